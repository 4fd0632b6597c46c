"""The whole template on one machine, no AWS account, no Docker, no network:

    python -m devstack up [--fresh] [--in-memory] [--seed] [--port 3000]
    python -m devstack run-schedule NAME --at 2026-12-01T00:05   # fire one schedule now
    python -m devstack schedules                                  # list them
    python -m devstack token | dynamodb | invoke ...              # the one-shot tools (see __main__.py)

`up` starts DynamoDB Local (data kept in .local/dynamodb between runs; --fresh starts clean,
--in-memory keeps nothing), creates the template's tables, serves every HttpApi route on
http://127.0.0.1:3000 (JWT checked like API Gateway; tokens from `python -m devstack token`), polls every
DynamoDB stream event source, fires every schedule on its cron, and with --seed loads demo data.
Every function runs as Lambda runs it: in worker processes of its own, with only its template variables,
its own layers and the runtime's boto3 (scripts/devstack/lambda_runtime.py; --in-process: all in this
process, as the tests run them). run-schedule runs the function the same way.

Settings come from the environment when set: HOURBANK_PORT, HOURBANK_HOST, and any variable the
functions read (COMPANY_TIMEZONE, BUSINESS_HOURS, HOLIDAYS, ...) overrides the template's value.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]

if TYPE_CHECKING:
    from devstack.lambda_runtime import Processes

STATE_DIR = ROOT / ".local"
STATE_FILE = STATE_DIR / "stack.json"
PREFIX = "hourbank"

log = logging.getLogger("localstack")


def _local_aws_env() -> None:
    from devstack.aws_env import isolate

    isolate()


def _specs(table_names: dict[str, str]):
    from devstack.lambda_runtime import apply_environment, functions

    specs = functions(table_names=table_names)
    table_vars = {k for s in specs.values() for k, v in s.environment.items() if v in table_names.values()}
    for spec in specs.values():
        for key in list(spec.environment):
            if key not in table_vars and key in os.environ:
                spec.environment[key] = os.environ[key]  # the caller's setting wins over the template
    apply_environment(specs)
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

    get_settings.cache_clear()
    transactions.bind()
    return specs


class Stack:
    """Engine + tables + gateway + stream pollers + scheduler, started and stopped together."""

    def __init__(
        self,
        *,
        port: int,
        host: str = "127.0.0.1",
        data_dir: Path | None,
        fresh: bool = False,
        dlq_dir: Path | None = None,
        run_cron: bool = True,
        isolated: bool = False,
    ) -> None:
        self.port, self.host, self.data_dir, self.fresh = port, host, data_dir, fresh
        self.dlq_dir = dlq_dir or STATE_DIR / "dead-letters"
        self.run_cron = run_cron
        self.isolated = isolated  # each function in worker processes of its own (lambda_runtime.Processes)
        # set by start(); read only once it ran
        self.engine = self.gateway = self.pollers = self.scheduler = self.queues = self.inbox = cast(Any, None)
        self.runtime: Processes | None = None
        self._temporary_queues = False
        self.specs: dict = {}
        self.tables: dict[str, str] = {}

    def start(self) -> Stack:
        import boto3

        from devstack import dynamodb_local
        from devstack.template import create_tables

        _local_aws_env()
        if self.data_dir is not None:
            if self.fresh and self.data_dir.exists():
                shutil.rmtree(self.data_dir)
            self.data_dir.mkdir(parents=True, exist_ok=True)
        if not os.environ.get("HOURBANK_QUEUE_DIR"):
            # Queues live beside the data: kept with it, or gone with an in-memory engine.
            import tempfile

            queue_dir = STATE_DIR / "queues" if self.data_dir is not None else Path(tempfile.mkdtemp(prefix="hb-q-"))
            if self.fresh and queue_dir.exists():
                shutil.rmtree(queue_dir)
            os.environ["HOURBANK_QUEUE_DIR"] = str(queue_dir)
            self._temporary_queues = self.data_dir is None
        self.queue_dir = Path(os.environ["HOURBANK_QUEUE_DIR"])
        self.engine = dynamodb_local.start(in_memory=self.data_dir is None, db_path=self.data_dir)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.engine.endpoint
        client = boto3.client("dynamodb")
        self.tables = create_tables(client, PREFIX)
        self.specs = _specs(self.tables)
        if self.isolated:
            from devstack import lambda_runtime

            self.runtime = lambda_runtime.Processes(endpoint=self.engine.endpoint).prepare()  # layers built now
            lambda_runtime.use_processes(self.runtime)

        from devstack import gateway, schedules, streams
        from devstack.web import WEB_ROOT, LocalPages

        pages = LocalPages(WEB_ROOT, lambda: self.gateway.url)  # the order form and the local payment page
        self.gateway = gateway.start(self.specs, host=self.host, port=self.port, pages=pages)
        from devstack import local_env
        from hourbank.ports.settings import get_settings

        if self.runtime is not None:  # each worker gets only what its own variables ask for
            self.runtime.base_url = self.gateway.url
            local_env.apply({}, self.gateway.url)
        else:
            local_env.apply(self.specs, self.gateway.url)  # the payment page and the order form live here
        get_settings.cache_clear()
        self.dlq_dir.mkdir(parents=True, exist_ok=True)
        self.pollers = streams.start_pollers(
            self.specs,
            client,
            self.tables,
            self.dlq_dir,
            on_dead_letter=lambda entry: log.warning("dead letter: %s", json.dumps(entry)[:300]),
        )
        from devstack import queues

        self.queues = queues.start_pollers(self.specs)  # SQS event sources (the month-end fan-out)
        from devstack import mail_inbox

        self.inbox = mail_inbox.start(self.specs)  # SES receiving: .local/inbox → S3 → the intake (SPEC E1)
        self.scheduler = schedules.Scheduler(self.specs)
        if self.run_cron:
            self.scheduler.start()
        return self

    @property
    def url(self) -> str:
        return self.gateway.url

    def stop(self) -> None:
        for part in (self.scheduler, self.inbox, self.queues, self.pollers, self.gateway, self.runtime, self.engine):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # keep stopping the rest
                    log.exception("while stopping %s", type(part).__name__)
        if self.runtime is not None:
            from devstack import lambda_runtime

            if lambda_runtime.runtime() is self.runtime:
                lambda_runtime.use_in_process()
        if self._temporary_queues:
            shutil.rmtree(self.queue_dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cmd_up(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    data_dir = None if args.in_memory else STATE_DIR / "dynamodb"
    stack = Stack(
        port=args.port, host=args.host, data_dir=data_dir, fresh=args.fresh, isolated=not args.in_process
    ).start()
    STATE_DIR.mkdir(exist_ok=True)
    STATE_FILE.write_text(
        json.dumps(
            {
                "endpoint": stack.engine.endpoint,
                "url": stack.url,
                "prefix": PREFIX,
                "pid": os.getpid(),
                "tables": stack.tables,
                "queues": str(stack.queue_dir),
            },
            indent=2,
        )
    )
    ready = time.perf_counter() - started
    print(f"Hourbank local stack ready in {ready:.1f} s")
    print(f"  API            {stack.url}")
    print(f"  order form     {stack.url}/   (pays on the local payment page unless STRIPE_API_KEY is set)")
    print(
        f"  portal         {stack.url}/portal/   (local sign-in: pick a role and an account; invitations in"
        f" {os.environ.get('OUTBOX_DIR') or '.local/outbox'})"
    )
    print(f"  DynamoDB Local {stack.engine.endpoint} ({'in memory' if data_dir is None else data_dir})")
    print(f"  functions      {', '.join(stack.specs)}")
    print(
        "  runtime        "
        + ("worker processes per function: its own variables and layers only" if stack.runtime else "in-process")
    )
    print(f"  schedules      {', '.join(stack.scheduler.names()) or '(none in the template yet)'}")
    print(f"  dead letters   {stack.dlq_dir}")
    print(f"  queues         {stack.queue_dir}")
    print(f"  mail inbox     {stack.inbox.directory}   (a .eml put here is received as SES would deliver it)")
    print("  tokens         .venv/bin/python -m devstack token --role technician|billing|customer [--account ID]")
    if args.seed:
        from devstack.seed import seed

        print(seed(stack.url, state=None if data_dir is None else data_dir / "seed.json"))
    sys.stdout.flush()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stopping.wait()
    finally:
        print("stopping…")
        stack.stop()
        STATE_FILE.unlink(missing_ok=True)
    return 0


def _at(text: str, tz: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo(tz))


@contextlib.contextmanager
def attached() -> Iterator[dict[str, str]]:
    """The running stack's engine and tables, or the kept data (.local/dynamodb) on an engine started for
    the call: what one-shot commands (run-schedule, scripts/ops/month_end.py) work against."""
    _local_aws_env()
    engine = None
    if STATE_FILE.exists():
        state = json.loads(STATE_FILE.read_text())
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = state["endpoint"]
        if state.get("queues"):  # messages go where the running stack's pollers look
            os.environ.setdefault("HOURBANK_QUEUE_DIR", state["queues"])
        tables = state["tables"]
    else:
        import boto3

        from devstack import dynamodb_local
        from devstack.template import create_tables

        data_dir = STATE_DIR / "dynamodb"
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = dynamodb_local.start(in_memory=False, db_path=data_dir)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
        tables = create_tables(boto3.client("dynamodb"), PREFIX)
    try:
        yield tables
    finally:
        if engine is not None:
            engine.stop()


def cmd_run_schedule(args: argparse.Namespace) -> int:
    """Fire one schedule against the running stack's engine (or a persisted one, started for the call)."""
    from devstack import lambda_runtime, schedules

    with attached() as tables:
        specs = _specs(tables)
        url = json.loads(STATE_FILE.read_text()).get("url") if STATE_FILE.exists() else None
        runtime = lambda_runtime.use_processes(
            lambda_runtime.Processes(
                endpoint=os.environ["AWS_ENDPOINT_URL_DYNAMODB"], base_url=url or "http://127.0.0.1:3000"
            )
        )
        scheduler = schedules.Scheduler(specs)
        if args.name not in scheduler.names():
            print(
                f"no schedule {args.name!r}; the template has: {', '.join(scheduler.names()) or 'none'}",
                file=sys.stderr,
            )
            return 2
        at = _at(args.at, os.environ.get("COMPANY_TIMEZONE", "UTC")) if args.at else datetime.now(UTC)
        from devstack.lambda_runtime import InvocationError

        try:
            with contextlib.redirect_stdout(sys.stderr):  # the function's own logs go with the stack's, on stderr
                result = scheduler.fire(args.name, at)
        except InvocationError as exc:  # the function refused (e.g. SPEC M1: a month not ended): say so, exit 1
            print(
                f"{args.name} at {at.isoformat()}: {getattr(exc.cause, 'message', None) or exc.cause}", file=sys.stderr
            )
            return 1
        finally:
            runtime.stop()
        print(json.dumps(result, indent=2, default=str))
        return 0


def cmd_schedules(_args: argparse.Namespace) -> int:
    from devstack import schedules
    from devstack.lambda_runtime import functions

    for name in schedules.Scheduler(functions(strict=False)).names():
        print(name)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("HOURBANK_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    parser = argparse.ArgumentParser(
        prog="python -m devstack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    up = sub.add_parser("up", help="start the whole stack (the default)")
    up.add_argument("--port", type=int, default=int(os.environ.get("HOURBANK_PORT", "3000")))
    up.add_argument("--host", default=os.environ.get("HOURBANK_HOST", "127.0.0.1"))
    up.add_argument("--fresh", action="store_true", help="delete the kept data first")
    up.add_argument("--in-memory", action="store_true", help="keep no data between runs")
    up.add_argument("--seed", action="store_true", help="load demo accounts, tickets and time")
    up.add_argument(
        "--in-process",
        action="store_true",
        help="run every function in this process (shared environment and path), as the tests do",
    )
    run = sub.add_parser("run-schedule", help="fire one schedule now, as if at --at")
    run.add_argument("name")
    run.add_argument("--at", help="ISO time, e.g. 2026-12-01T00:05 (company timezone unless an offset is given)")
    sub.add_parser("schedules", help="list the template's schedules")
    args = parser.parse_args(argv if argv is not None else (sys.argv[1:] or ["up"]))
    if args.command in (None, "up"):
        if args.command is None:
            args = parser.parse_args(["up"])
        return cmd_up(args)
    if args.command == "run-schedule":
        return cmd_run_schedule(args)
    return cmd_schedules(args)


if __name__ == "__main__":
    raise SystemExit(main())
