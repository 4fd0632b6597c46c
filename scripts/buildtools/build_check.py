#!/usr/bin/env python3
"""The deploy artifact, checked as Lambda would run it (issue 15): every function of ``.aws-sam/build``
imports and answers one typical event from ``events/``, each in a process of its own, with

* on ``sys.path`` only its own code directory and its own layers' directories as ``sam build`` built them
  (a later layer ahead of an earlier one, as Lambda extracts them over each other into /opt), then what
  the Lambda runtime itself ships (boto3), then the standard library - never this repo, its .venv or
  the interpreter's site-packages (``python -I -S``);
* in its environment only the variables the built template gives it (Globals + its own, references
  resolved to the local tables and parameter defaults) and the ones Lambda sets itself (region,
  function name, credentials - here dummy ones for DynamoDB Local).

Each runs in the local stack's worker (``scripts/devstack/lambda_runtime.Worker``, ``lambda_worker.py``),
which installs the local adapters (``scripts/devstack/adapters.py``: queues as directories, the JWKS file,
e-mails and invitations into an outbox) before the handler is imported. What AWS would hold differently is
swapped for what the local stack uses (``local_env.lambda_environment``), and only where the function's own
template variables ask for it: a ``*_PARAM`` (SSM) for the secret's local value (no ``STRIPE_API_KEY``
value: the local payment page instead of Stripe), ``JWKS_URL`` for the local key. DynamoDB is a DynamoDB
Local started here with the template's tables.

The layers' compiled wheels are aarch64 (``Architectures: [arm64]``) and this machine may be x86_64: the
distributions of a built layer that are not pure Python (their ``WHEEL`` says ``Root-Is-Purelib: false``)
are installed again, same name and version, for this machine into an overlay of that layer only, placed
just ahead of it. Everything else - the function code, every pure-Python file, which distribution sits
in which layer - is the built artifact itself.

    python -m buildtools.build_check                        # after `make build`; exit 1 on any failure
    python -m buildtools.build_check --function StripeWebhookFunction --template /tmp/edited.yaml
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buildtools.runtime_python import find as find_python
from buildtools.runtime_python import runtime_version
from devstack import dynamodb_local, local_env
from devstack.lambda_runtime import FunctionError, FunctionSpec, Worker, functions, worker_path
from devstack.template import create_tables, load_template

ROOT = Path(__file__).resolve().parents[2]

BUILD_DIR = ROOT / ".aws-sam" / "build"
EVENTS = ROOT / "events"
# One typical event a function: the one a newcomer would try first. A function missing here fails the check.
TYPICAL = {
    "AccountsApiFunction": "accounts_api-create-account.json",
    "TicketsApiFunction": "tickets_api-open-ticket.json",
    "PostTimeEntryFunction": "post_time_entry-remote.json",
    "CloseTicketFunction": "close_ticket-close.json",
    "OrdersFunction": "orders_api-new-customer.json",
    "StripeWebhookFunction": "stripe_webhook-checkout-completed.json",
    "VisitsApiFunction": "visits_api-book-visit.json",
    "VisitExpiryFunction": "visit_expiry-schedule.json",
    "BalanceWatchFunction": "balance_watch-crossing.json",
    "InvoicingFunction": "invoicing-new-invoice.json",
    "ResponseWarningFunction": "response_warnings-schedule.json",
    "MonthEndPlannerFunction": "month_end_planner-schedule.json",
    "MonthEndWorkerFunction": "month_end_worker-page.json",
    "NotificationsFunction": "notifications-ticket-opened.json",
    "MailFeedbackFunction": "mail_feedback-bounce.json",
    "MailIntakeFunction": "mail_intake-new-mail.json",  # the mail itself: mail_intake-new-mail.eml beside it
}
# The account and ticket the events name, and the functions (with their typical events) that make them.
EXAMPLE_ACCOUNT = "acc_01m80q7x2a9f4k3jz5v6w8y0b1"
EXAMPLE_TICKET = "tkt_01m80q8h4c7d2e5f6g8h9j0k1m.acc_01m80q7x2a9f4k3jz5v6w8y0b1"
# Run in this order, before the others (two at a time): (function, event, the id its answer carries, the
# example id in events/ that stands for it).
SETUP = (
    ("AccountsApiFunction", "accounts_api-create-account.json", "account_id", EXAMPLE_ACCOUNT),
    ("AccountsApiFunction", "accounts_api-adjustment-purchase.json", None, None),
    ("TicketsApiFunction", "tickets_api-open-ticket.json", "ticket_id", EXAMPLE_TICKET),
    ("PostTimeEntryFunction", "post_time_entry-remote.json", None, None),  # work on the ticket, then close it
    ("CloseTicketFunction", "close_ticket-close.json", None, None),
)
# Never reached: checkout links are built with it, nothing calls it.
LOCAL_URL = "http://127.0.0.1:9"
CHILD_TIMEOUT_S = 120


@dataclass
class Outcome:
    function: str
    event: str
    ok: bool
    summary: str
    seconds: float
    detail: str = ""
    result: Any = None


# ---------------------------------------------------------------- the host's copies of compiled wheels
def compiled_distributions(layer_dir: Path) -> list[str]:
    """``name==version`` of every distribution in a built layer that is not pure Python."""
    pins = []
    for wheel in sorted(layer_dir.glob("*.dist-info/WHEEL")):
        if re.search(r"^Root-Is-Purelib:\s*true\s*$", wheel.read_text(), re.M | re.I):
            continue
        meta = (wheel.parent / "METADATA").read_text(errors="replace")
        name = re.search(r"^Name:\s*(\S+)", meta, re.M)
        version = re.search(r"^Version:\s*(\S+)", meta, re.M)
        if name and version:
            pins.append(f"{name.group(1)}=={version.group(1)}")
    return pins


def _pip_target(python: str, target: Path, requirements: list[str], *, deps: bool) -> None:
    """Install ``requirements`` into ``target`` once; a stamp names what is there, so a change reinstalls."""
    stamp = target / ".installed"
    wanted = "\n".join(sorted(requirements))
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if target.exists():
        subprocess.run(["rm", "-rf", str(target)], check=True)
    if requirements:
        cmd = [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            "--only-binary=:all:",
            "--target",
            str(target),
            *([] if deps else ["--no-deps"]),
            *requirements,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"build_check: {' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    target.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted)


def runtime_provided(python: str, work: Path) -> Path:
    """What Lambda's Python runtime ships beside the handler (/var/runtime): boto3 and what it needs."""
    pin = re.search(r"^boto3==\S+", (ROOT / "requirements-dev.txt").read_text(), re.M)
    requirement = pin.group(0) if pin else "boto3"
    target = work / "runtime"
    _pip_target(python, target, [requirement], deps=True)
    return target


def host_overlay(python: str, layer_dir: Path, work: Path, build_dir: Path) -> Path | None:
    """This machine's build of the layer's compiled distributions (same versions), or None if it has none."""
    if not layer_dir.resolve().is_relative_to(build_dir.resolve()):
        return None  # not built by sam build (CoreLayer: copied as it is, pure Python)
    pins = compiled_distributions(layer_dir)
    if not pins:
        return None
    target = work / "host" / layer_dir.parent.name
    _pip_target(python, target, pins, deps=False)
    return target


# ---------------------------------------------------------------- what each function gets
def lambda_environment(spec: FunctionSpec, endpoint: str) -> dict[str, str]:
    """The template's variables for this function, with AWS-only values swapped for the local stack's
    stand-ins - each only where this function's own variables call for it - and what Lambda adds."""
    return local_env.lambda_environment(spec, endpoint=endpoint, base_url=LOCAL_URL, environ={})  # {}: no real key


def sys_path(spec: FunctionSpec, overlays: Mapping[Path, Path | None], runtime: Path) -> list[str]:
    """The local runtime's path (``lambda_runtime.worker_path``), each compiled overlay just ahead of its layer."""
    layers: list[Path] = []
    for layer in spec.layer_paths:
        layers.append(layer)
        if overlays.get(layer):
            layers.append(overlays[layer])  # type: ignore[arg-type]
    return worker_path(spec.code_uri, layers, [runtime])


def prepare_event(
    spec: FunctionSpec, env: Mapping[str, str], event_file: Path, into: Path, ids: Mapping[str, str]
) -> Path:
    text = event_file.read_text()
    # The events' example ids -> the ones the check's own calls made; the ticket's id holds the account's.
    for example, made in sorted(ids.items(), key=lambda item: -len(item[0])):
        text = text.replace(example, made)
    # A stream record names its table by ARN: the name the check's tables have (the function's own variable).
    text = re.sub(r"\$\{([A-Z_]+_TABLE)\}", lambda m: env.get(m.group(1), m.group(0)), text)
    event = json.loads(text)
    _store_mail(event, event_file.with_suffix(".eml"), into)
    if spec.logical_id == "StripeWebhookFunction" or "stripe-signature" in (event.get("headers") or {}):
        # Signed now with the secret the function was given (a stored signature expires after 300 s).
        from devstack.local_env import webhook_secret
        from hourbank.payments.webhook_signature import sign_webhook

        secret = env.get("STRIPE_WEBHOOK_SECRET") or webhook_secret({})
        event["headers"] = {**event.get("headers", {}), "stripe-signature": sign_webhook(event["body"], secret)}
    target = into / "event.json"
    target.write_text(json.dumps(event))
    return target


def _store_mail(event: Mapping[str, Any], mail: Path, into: Path) -> None:
    """An S3 event of a mail SES stored (SPEC E1): the mail (the ``.eml`` beside the event) where the local S3
    stand-in keeps that object - ``exports/<bucket>/<key>`` beside the worker's outbox (devstack.adapters)."""
    if not mail.exists():
        return
    for record in event.get("Records") or []:
        s3 = record.get("s3") or {}
        bucket, key = s3.get("bucket", {}).get("name"), s3.get("object", {}).get("key")
        if bucket and key:
            target = into / "exports" / bucket / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(mail.read_bytes())


def judge(result: Any) -> tuple[bool, str]:
    """An API answer below 500 with a JSON body; a batch with no failed item; anything else returned."""
    if isinstance(result, dict) and "statusCode" in result:
        status = int(result["statusCode"])
        try:
            json.loads(result.get("body") or "null")
        except ValueError:
            return False, f"{status} with a body that is not JSON"
        return status < 500, f"HTTP {status}"
    if isinstance(result, dict) and result.get("batchItemFailures"):
        return False, f"{len(result['batchItemFailures'])} batch item(s) failed"
    return True, "returned " + (json.dumps(result, default=str)[:80] if result is not None else "None")


def run_one(
    spec: FunctionSpec,
    python: str,
    overlays: Mapping[Path, Path | None],
    runtime: Path,
    endpoint: str,
    work: Path,
    ids: Mapping[str, str],
    event_name: str | None = None,
) -> Outcome:
    name = spec.logical_id
    event_name = event_name or TYPICAL.get(name)
    if event_name is None or not (EVENTS / event_name).exists():
        return Outcome(
            name,
            str(event_name),
            False,
            "no typical event: add one to TYPICAL in scripts/buildtools/build_check.py",
            0.0,
        )
    scratch = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
    env = lambda_environment(spec, endpoint)
    event = json.loads(prepare_event(spec, env, EVENTS / event_name, scratch, ids).read_text())
    started = time.perf_counter()
    logs = scratch / "logs.txt"
    # The local stack's worker (lambda_runtime.Worker): -I -S, only this path; the local adapters installed
    # before the handler is imported (e-mails into this scratch directory's outbox).
    with logs.open("w") as sink:
        try:
            worker = Worker(
                name=name,
                handler=spec.handler,
                memory_mb=spec.memory_mb,
                path=sys_path(spec, overlays, runtime),
                env=env,
                cwd=spec.code_uri,
                python=python,
                outbox=str(scratch / "outbox"),
                checkout=LOCAL_URL,
                log=sink,
                pycache=work.parent / "pycache",
                init_timeout_s=CHILD_TIMEOUT_S,
            )
            try:
                result = worker.call(event, str(uuid.uuid4()), CHILD_TIMEOUT_S)
            finally:
                worker.stop()
        except FunctionError as exc:
            took = time.perf_counter() - started
            detail = logs.read_text() + "".join(exc.stack_trace) + f"{type(exc).__name__}: {exc}"
            return Outcome(name, event_name, False, f"raised: {type(exc).__name__}: {str(exc)[:160]}", took, detail)
    took = time.perf_counter() - started
    ok, summary = judge(result)
    return Outcome(name, event_name, ok, summary, took, "" if ok else logs.read_text(), result)


def _made_id(outcome: Outcome, key: str) -> str | None:
    try:
        return str(json.loads(outcome.result["body"])[key])
    except (TypeError, KeyError, ValueError):
        return None


def check(
    build_dir: Path = BUILD_DIR,
    template_path: Path | None = None,
    only: list[str] | None = None,
    python: str | None = None,
    jobs: int = 2,
) -> list[Outcome]:
    template_path = template_path or build_dir / "template.yaml"
    if not template_path.exists():
        raise SystemExit(f"build_check: {template_path} does not exist: run `make build` first")
    built = load_template(template_path)
    python = python or find_python(runtime_version(ROOT / "template.yaml"))
    work = build_dir.parent / "build-check"
    work.mkdir(parents=True, exist_ok=True)
    runtime = runtime_provided(python, work)
    with (
        tempfile.TemporaryDirectory(prefix="run-", dir=work) as run_dir,
        dynamodb_local.start(in_memory=True) as engine,
    ):
        run = Path(run_dir)
        names = create_tables(engine.client(), "check", built)
        queues = {
            name: (run / "queues" / name).as_uri()
            for name, res in built["Resources"].items()
            if res.get("Type") == "AWS::SQS::Queue"
        }  # !Ref of a queue: a local directory
        specs = functions(built, names, overrides=queues, root=build_dir)
        unknown = sorted(set(only or ()) - set(specs))
        if unknown:
            raise SystemExit(f"build_check: no function {unknown} in {template_path}")
        chosen = [specs[n] for n in (only or specs)]
        layers = {layer for spec in chosen for layer in spec.layer_paths}
        overlays = {layer: host_overlay(python, layer, work, build_dir) for layer in sorted(layers)}

        def overlays_for(spec: FunctionSpec) -> dict[Path, Path | None]:
            return {layer: overlays[layer] for layer in spec.layer_paths}

        # The events name an example account and ticket: the check makes them first with the built functions
        # themselves (create the account, buy it time, open the ticket, log time on it, close it), so the
        # events find them and answer as for a real customer, through their success paths, not a 404 or 402.
        ids: dict[str, str] = {}
        ran: list[Outcome] = []
        for first, event_name, key, example in SETUP:
            if first in specs and (not only or first in only):
                outcome = run_one(
                    specs[first], python, overlays_for(specs[first]), runtime, engine.endpoint, run, ids, event_name
                )
                ran.append(outcome)
                value = _made_id(outcome, key) if key else None
                if value and example:
                    ids[example] = value
        rest = [spec for spec in chosen if spec.logical_id not in {o.function for o in ran}]
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            return ran + list(
                pool.map(
                    lambda spec: run_one(spec, python, overlays_for(spec), runtime, engine.endpoint, run, ids), rest
                )
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR, help="sam build's output (.aws-sam/build)")
    parser.add_argument("--template", type=Path, help="template to read (default: the build dir's template.yaml)")
    parser.add_argument("--function", action="append", help="logical id; repeat for more (default: all)")
    parser.add_argument(
        "--python", help="the runtime's Python (default: found by scripts/buildtools/runtime_python.py)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    outcomes = check(args.build_dir.resolve(), args.template, args.function, args.python)
    for o in outcomes:
        print(f"{'ok  ' if o.ok else 'FAIL'} {o.function:<26} {o.event:<42} {o.summary} ({o.seconds:.1f} s)")
        if not o.ok and o.detail:
            print("     " + "\n     ".join(o.detail.splitlines()[-25:]))
    failed = [o.function for o in outcomes if not o.ok]
    print(
        f"build check: {len(outcomes) - len(failed)} of {len(outcomes)} functions answered "
        f"from the built artifact in {time.perf_counter() - started:.1f} s"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
