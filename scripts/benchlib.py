"""The harness the bench scripts share (issue 15): the local environment, DynamoDB Local with the template's
tables, DynamoDB call counting on the botocore event hooks, and the report helpers (machine line, command
line, Markdown sections). Each ``scripts/bench_*.py`` keeps only what it measures.

Counting: every DynamoDB call is counted by handlers on its botocore client's event system, pynamodb's
clients and plain boto3 ones (Powertools Idempotency) alike (see ``CallCounter``).
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

DOC = ROOT / "docs" / "BENCHMARKS.md"
ENGINE = "DynamoDB Local 1.25.1 (from npm amplify-dynamodb-simulator {version})"

from scripts.localdev.aws_env import DROPPED_AWS_ENV, LOCAL_AWS_ENV  # noqa: E402

READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


# ------------------------------------------------------------------ shared with bench_cold_start.py


def local_aws_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the dummy local AWS settings applied and anything that could reach AWS removed."""
    out = {k: v for k, v in env.items() if k not in DROPPED_AWS_ENV}
    out.update(LOCAL_AWS_ENV)
    return out


def template_parameter_env() -> dict[str, str]:
    """The Globals variables that are plain values or ``!Ref`` a parameter (its default), as Lambda gets them."""
    from scripts.localdev.template import load_template

    template = load_template()
    params = template.get("Parameters") or {}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    env: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"}:
            if value["Ref"] in params and "Default" in params[value["Ref"]]:
                env[name] = str(params[value["Ref"]]["Default"])
        else:
            env[name] = str(value)
    return env


def machine_line() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
        java = java.splitlines()[0].strip() if java else "?"
    except OSError:
        java = "?"
    from scripts.localdev.dynamodb_local import VERSION

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}{f' ({cpu})' if cpu else ''}, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {ENGINE.format(version=VERSION)} on {java}; "
        f"load average at start {load}"
    )


def command_line() -> str:
    argv = list(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    return shlex.join(argv)


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` (appended if missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def log(message: str) -> None:
    """Progress for the person running a bench: stderr, so stdout is only the section."""
    print(message, file=sys.stderr, flush=True)


def publish(name: str, section: str, write: bool) -> None:
    """Print a bench's Markdown section; with ``--write`` also replace its marked part of docs/BENCHMARKS.md."""
    print(section)
    if write:
        write_section(name, section)
        log(f"wrote the {name} section of {DOC.relative_to(ROOT)}")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# ------------------------------------------------------------------ counting DynamoDB calls


@dataclass
class Sample:
    calls: Counter
    sends: int
    rcu: float
    wcu: float
    ms: float
    errors: Counter = field(default_factory=Counter)  # "Operation:ErrorCode" of the calls DynamoDB refused
    sequence: tuple[str, ...] = ()  # the calls in order, with the tables they touch


@dataclass
class CallCounter:
    """Counts what pynamodb's botocore clients send, from the clients' own event hooks."""

    calls: Counter = field(default_factory=Counter)
    sends: int = 0
    capacity: float = 0.0
    rcu: float = 0.0
    wcu: float = 0.0
    capacity_added: int = 0  # calls where we had to add ReturnConsumedCapacity ourselves
    capacity_missing: int = 0  # calls that accept it but came back without ConsumedCapacity
    errors: Counter = field(default_factory=Counter)  # whole run
    op_errors: Counter = field(default_factory=Counter)  # since the last reset
    sequence: list[str] = field(default_factory=list)  # since the last reset
    tables: dict[str, str] = field(default_factory=dict)  # physical table name → template logical id
    hooked: int = 0

    def reset(self) -> None:
        self.calls = Counter()
        self.op_errors = Counter()
        self.sequence = []
        self.sends = 0
        self.capacity = self.rcu = self.wcu = 0.0

    # botocore event handlers ------------------------------------------------
    def _table(self, name: str | None) -> str:
        name = name or "?"
        return self.tables.get(name, name).removesuffix("Table")

    def _describe(self, params: dict, model: Any) -> str:
        """``GetItem Orders``; ``TransactWriteItems [Accounts update, Ledger put ×2]`` (items by table and kind)."""
        items = params.get("TransactItems")
        if items is None:
            return f"{model.name} {self._table(params.get('TableName'))}"
        kinds: Counter = Counter()
        for item in items:
            for action, body in item.items():
                kinds[f"{self._table(body.get('TableName'))} {action[0].lower()}{action[1:]}"] += 1
        parts = [f"{name}{f' ×{n}' if n > 1 else ''}" for name, n in sorted(kinds.items())]
        return f"{model.name} [{', '.join(parts)}]"

    def _before_parameter_build(self, params: dict, model: Any, **_: Any) -> None:
        self.sequence.append(self._describe(params, model))
        shape = model.input_shape
        if shape is not None and "ReturnConsumedCapacity" in shape.members and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"
            self.capacity_added += 1

    def _before_call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _before_send(self, **_: Any) -> None:
        self.sends += 1  # returns None: botocore goes on to send the request

    def _after_call(self, parsed: dict, model: Any, **_: Any) -> None:
        if "Error" in parsed:
            self.errors[f"{model.name}:{parsed['Error'].get('Code')}"] += 1
            self.op_errors[f"{model.name}:{parsed['Error'].get('Code')}"] += 1
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None:
            if (
                model.input_shape is not None
                and "ReturnConsumedCapacity" in model.input_shape.members
                and "Error" not in parsed
            ):
                self.capacity_missing += 1
            return
        for cc in consumed if isinstance(consumed, list) else [consumed]:
            units = float(cc.get("CapacityUnits") or 0)
            self.capacity += units
            if "ReadCapacityUnits" in cc or "WriteCapacityUnits" in cc:
                self.rcu += float(cc.get("ReadCapacityUnits") or 0)
                self.wcu += float(cc.get("WriteCapacityUnits") or 0)
            elif model.name in READ_OPS:
                self.rcu += units
            else:
                self.wcu += units

    def attach(self, events: Any) -> None:
        events.register("before-parameter-build.dynamodb", self._before_parameter_build)
        events.register("before-call.dynamodb", self._before_call)
        events.register("before-send.dynamodb", self._before_send)
        events.register("after-call.dynamodb", self._after_call)
        self.hooked += 1

    def hook(self, botocore_client: Any) -> Any:
        """Attach the handlers to one client's own event system, once."""
        if not getattr(botocore_client, "_bench_ops_hooked", False):
            self.attach(botocore_client.meta.events)
            botocore_client._bench_ops_hooked = True
        return botocore_client

    def install(self) -> None:
        """Hook every DynamoDB client made from now on: pynamodb's and plain boto3 ones alike.

        * pynamodb: each Connection makes its own session and client (``Connection.session`` /
          ``Connection.client``); the client copies the session's event emitter when it is created, so the
          handlers go on each client's ``meta.events`` the first time pynamodb hands that client out (this
          also catches a client made before ``install``).
        * boto3 (Powertools Idempotency's ``DynamoDBPersistenceLayer`` makes ``boto3.session.Session().client
          ("dynamodb")`` on the webhook's first request): every client comes out of
          ``botocore.session.Session.create_client``, which is wrapped to hook the DynamoDB ones.
        """
        import botocore.session
        from pynamodb.connection.base import Connection

        original: Any = Connection.client  # a property at run time (the stubs say a method)
        counter = self

        def client(conn: Connection) -> Any:
            return counter.hook(original.fget(conn))

        Connection.client = property(client)  # type: ignore[method-assign,assignment]

        create_client = botocore.session.Session.create_client

        def hooked_create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            made = create_client(session, service_name, *args, **kwargs)
            return counter.hook(made) if service_name == "dynamodb" else made

        botocore.session.Session.create_client = hooked_create_client  # type: ignore[method-assign]

    def snapshot(self, ms: float) -> Sample:
        return Sample(
            Counter(self.calls), self.sends, self.rcu, self.wcu, ms, Counter(self.op_errors), tuple(self.sequence)
        )


def fmt_units(value: float) -> str:
    return f"{value:.1f}" if value else "0"


# ------------------------------------------------------------------ the local stack for a bench run

LOCAL_BASE_URL = "http://127.0.0.1:3000"


def local_env(
    prefix: str, *, payments: bool = True, outbox_var: bool = True, keep_params: bool = False, **extra: str
) -> str:
    """Set this process's environment as the local stack gives a function: nothing that could reach AWS,
    no SSM parameter names, the template's Globals, the dummy local AWS settings, and (``payments``) the
    local payment setup (no Stripe key, the local webhook secret and JWKS). E-mails go to an outbox of this
    run's own (returned), not the developer's .local/outbox. ``keep_params`` leaves the SSM parameter names
    alone (bench_sla never cleared them)."""
    for name in DROPPED_AWS_ENV:
        os.environ.pop(name, None)
    from scripts.localdev.local_env import PARAMS, payment_env

    for name in () if keep_params else PARAMS:  # the secrets are set in the environment locally: no SSM
        os.environ.pop(name, None)
    outbox = tempfile.mkdtemp(prefix=f"hourbank-{prefix}-outbox-")
    env = {**template_parameter_env(), **LOCAL_AWS_ENV}
    if payments:
        env.update(payment_env(LOCAL_BASE_URL, outbox_dir=outbox))
    if outbox_var:
        env["OUTBOX_DIR"] = outbox
    os.environ.update({**env, **extra})
    from scripts.localdev.adapters import install

    install(outbox=outbox)  # the local stack's queue directories, JWKS file, outbox (hourbank.ports.adapters)
    return outbox


@contextmanager
def counted_dynamodb(counter_cls: type[CallCounter] | None = CallCounter) -> Iterator[tuple[Any, dict[str, str], Any]]:
    """DynamoDB Local in memory with the template's tables ("bench" prefix), the store bound to it and every
    DynamoDB call counted from here on: yields (engine, logical -> physical table names, counter). With
    ``counter_cls=None`` nothing is counted (the bench installs its own counter later) and counter is None."""
    from scripts.localdev.dynamodb_local import start
    from scripts.localdev.template import create_tables, table_env

    with start(in_memory=True) as engine:
        names = create_tables(engine.client(), "bench")
        os.environ.update(table_env(names))
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
        from hourbank.ports.settings import get_settings
        from hourbank.store import transactions

        get_settings.cache_clear()
        transactions.bind()
        counter = None
        if counter_cls is not None:
            counter = counter_cls(tables={physical: logical for logical, physical in names.items()})
            counter.install()
        yield engine, names, counter
