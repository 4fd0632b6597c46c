"""Cold import time and peak memory of every function in template.yaml, each in a fresh interpreter.

    python -m bench.cold_start [--runs 15] [--mem-runs 3] [--write]

For every ``AWS::Serverless::Function`` (CodeUri + Handler) a new ``python`` process is started with
``PYTHONPATH=layers/core/python:<CodeUri>`` (what Lambda's /opt/python and /var/task give), the template's
Globals environment (tables named with dummies, parameters at their defaults) and a local AWS region and
keys; it times ``import <handler module>`` with ``time.perf_counter``. ``import boto3`` is timed the same way
as the yardstick (target: each function's median ≤ 1.3 × boto3's). Runs are interleaved so load on the
machine hits every target alike, and byte-code is cached in a private PYTHONPYCACHEPREFIX (one discarded
warm-up run per target fills it), so nothing is written into the repository.

Peak memory is ``ru_maxrss`` of the child: a bare interpreter, after the import, and after the import plus
one typical invocation against DynamoDB Local (started here, with data prepared through the handlers; the
child gets an API Gateway v2 event built by ``devstack.lambda_client``). ``-X importtime`` shows where the
heaviest function's import time goes. ``--write`` replaces the ``cold_start`` section of docs/BENCHMARKS.md.

The payment functions (those carrying the PaymentsLayer: OrdersFunction, StripeWebhookFunction) are measured
but not held to the 1.3 × target, and get rows of their own: the handler module alone, and the handler
followed in the same interpreter by what its first request imports lazily (``stripe``, ``jwt``; see
``LAZY_VARIANTS``), each import timed, interleaved with the other runs. They run with the local payment
environment (``devstack.local_env.payment_env``: no Stripe key, the local webhook secret).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.benchlib import (
    DROPPED_AWS_ENV,
    LOCAL_AWS_ENV,
    LOCAL_BASE_URL,
    command_line,
    machine_line,
    percentile,
    publish,
    template_parameter_env,
)

ROOT = Path(__file__).resolve().parents[2]

LAYER = ROOT / "layers" / "core" / "python"
BOTO3 = "import boto3"
RATIO_TARGET = 1.3
MEMORY_SIZES = (128, 256, 512, 1024, 1769, 2048, 3008)
HEADROOM = 1.5

# Peak RSS is read twice: ru_maxrss (the brief's measure) and VmHWM, the high-water mark of this process's own
# address space. On Linux ru_maxrss is carried across execve from the pre-exec image (the spawning parent's
# memory, shared under vfork), so in a child of a large process it never reads below the parent's peak; VmHWM
# starts fresh at exec and is what the figures and the MemorySize suggestion use.
VM_HWM = """
def _vm_hwm_kib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None
"""

# Imports the modules named in argv, in order (a handler module, then what its first request imports lazily),
# timing each; "ms" is the total.
CHILD_IMPORT = (
    VM_HWM
    + """
import importlib, sys, time
parts, counts = [], []
for name in sys.argv[1:]:
    t0 = time.perf_counter()
    importlib.import_module(name)
    parts.append((time.perf_counter() - t0) * 1000)
    counts.append(len(sys.modules))
import json, resource
print(json.dumps({"ms": sum(parts), "parts": parts, "counts": counts,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "hwm_kib": _vm_hwm_kib(), "modules": len(sys.modules)}))
"""
)

CHILD_BARE = (
    VM_HWM
    + """
import json, resource, sys
print(json.dumps({"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "hwm_kib": _vm_hwm_kib(),
                  "modules": len(sys.modules)}))
"""
)

CHILD_INVOKE = (
    VM_HWM
    + """
import importlib, json, resource, sys, time
event = json.loads(sys.stdin.read())

class Context:  # what Lambda's context offers handlers
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self):
        return 10_000

def _status(response):
    # HTTP functions answer a status; stream and queue consumers a batch report; the planner a summary.
    if isinstance(response, dict) and "statusCode" in response:
        return response["statusCode"]
    return 500 if isinstance(response, dict) and response.get("batchItemFailures") else 200


import importlib.util, os  # the local stack's adapters (outbox, queue directory, JWKS file), as its workers do
_adapters = importlib.util.spec_from_file_location("hourbank_local_adapters", os.environ["HOURBANK_LOCAL_ADAPTERS"])
_module = importlib.util.module_from_spec(_adapters)
_adapters.loader.exec_module(_module)
_module.install()

t0 = time.perf_counter()
handler = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
t1 = time.perf_counter()
response = handler(event, Context())
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "invoke_ms": (t2 - t1) * 1000, "status": _status(response),
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "hwm_kib": _vm_hwm_kib()}))
"""
)


PAYMENTS_LAYER = "PaymentsLayer"  # stripe and PyJWT: only the order and webhook functions carry it


@dataclass
class Function:
    name: str
    code_uri: str
    module: str
    attr: str
    layers: tuple[str, ...] = ()
    import_ms: list[float] = field(default_factory=list)
    import_mem: list[dict] = field(default_factory=list)
    invoke: list[dict] = field(default_factory=list)
    typical: str = ""

    @property
    def directory(self) -> Path:
        return ROOT / self.code_uri

    @property
    def payment(self) -> bool:
        """A payment function (the order and webhook functions, which carry the PaymentsLayer): the 1.3 ×
        boto3 target is for the ticket and account API, these are measured but not held to it."""
        return PAYMENTS_LAYER in self.layers or "payment" in self.name.lower() or "payment" in self.code_uri.lower()


@dataclass
class Variant:
    """``import <handler module>`` followed by what its first request imports lazily, in one fresh interpreter
    (or the lazy imports alone, ``function`` None): what a cold start costs once that request has come."""

    label: str
    function: Function | None
    lazy: tuple[str, ...]
    when: str
    import_ms: list[float] = field(default_factory=list)
    parts: list[list[float]] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)

    @property
    def modules(self) -> list[str]:
        return [*([self.function.module] if self.function else []), *self.lazy]

    @property
    def directory(self) -> Path:
        return self.function.directory if self.function else ROOT


# What each payment function imports lazily, and on which request (STYLE 10: stripe and PyJWT are not imported
# at module level). stripe: ``verify_webhook`` on every webhook request; ``StripeCheckout`` on an order once a
# Stripe key is configured (in AWS; locally the page stands in and stripe is never imported). jwt: PyJWT (with
# cryptography for RS256) in ``hourbank.edge.bearer_tokens``, only when an order request carries a bearer token.
LAZY_VARIANTS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "OrdersFunction": [
        (("jwt",), "1st order by a signed-in owner (bearer token)"),
        (("stripe",), "1st order with a Stripe key (Checkout Session)"),
        (("jwt", "stripe"), "both: a signed-in owner's 1st order with a Stripe key"),
    ],
    "StripeWebhookFunction": [
        (("stripe",), "every 1st webhook request (signature check)"),
    ],
}


def lazy_variants(functions: list[Function]) -> list[Variant]:
    out: list[Variant] = []
    by_name = {f.name: f for f in functions}
    for name, variants in LAZY_VARIANTS.items():
        function = by_name.get(name)
        if function is None:
            continue
        for lazy, when in variants:
            label = f"{name} + " + " + ".join(f"`import {m}`" for m in lazy)
            out.append(Variant(label, function, lazy, when))
    if out:
        for module in ("stripe", "jwt"):
            out.append(Variant(f"`import {module}` alone", None, (module,), "bare interpreter, for reference"))
    return out


def functions_of_template() -> list[Function]:
    from devstack.template import load_template

    out = []
    for name, res in load_template()["Resources"].items():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and "CodeUri" in props and "Handler" in props:
            module, attr = props["Handler"].rsplit(".", 1)
            layers = tuple(layer.get("Ref", "") for layer in props.get("Layers") or [] if isinstance(layer, dict))
            out.append(Function(name, props["CodeUri"], module, attr, layers))
    return out


def child_env(
    tables: dict[str, str], pycache: str, code_dir: Path | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in DROPPED_AWS_ENV and not k.startswith(("PYTHON", "POWERTOOLS_"))
    }
    env.update(template_parameter_env())
    env.update(tables)
    env.update(LOCAL_AWS_ENV)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["PYTHONPATH"] = os.pathsep.join([str(LAYER), *([str(code_dir)] if code_dir else [])])
    env.update(extra or {})
    return env


def run_child(
    code: str, args: list[str], env: dict[str, str], cwd: Path, *, stdin: str | None = None, flags: tuple[str, ...] = ()
) -> tuple[dict, str]:
    proc = subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed ({proc.returncode}) for {args}:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1]), proc.stderr


# ------------------------------------------------------------------ import time


def measure_imports(
    functions: list[Function], runs: int, env_of: Any, variants: list[Variant] | None = None
) -> tuple[list[float], list[dict]]:
    boto3_ms: list[float] = []
    boto3_mem: list[dict] = []
    targets: list[Function | Variant | None] = [None, *functions, *(variants or [])]
    for run in range(runs + 1):  # run 0 fills the byte-code cache and is discarded
        for target in targets:
            if isinstance(target, Variant):
                result, _ = run_child(CHILD_IMPORT, target.modules, env_of(target.function), target.directory)
                if run:
                    target.import_ms.append(result["ms"])
                    target.parts.append(result["parts"])
                    target.counts.append(result["counts"])
            elif target is None:
                result, _ = run_child(CHILD_IMPORT, ["boto3"], env_of(None), ROOT)
                if run:
                    boto3_ms.append(result["ms"])
                    boto3_mem.append(result)
            else:
                result, _ = run_child(CHILD_IMPORT, [target.module], env_of(target), target.directory)
                if run:
                    target.import_ms.append(result["ms"])
                    target.import_mem.append(result)
        print(f"import run {run}/{runs} done", file=sys.stderr)
    return boto3_ms, boto3_mem


def importtime_breakdown(module: str, cwd: Path, env: dict[str, str], runs: int = 5) -> dict[str, Any]:
    """Per-module median self/cumulative µs from ``-X importtime`` for ``import <module>`` only."""
    code = f"import sys; sys.stderr.write('BENCH-MARK\\n'); sys.stderr.flush(); import {module}; print('{{}}')"
    selfs: dict[str, list[int]] = defaultdict(list)
    cumul: dict[str, list[int]] = defaultdict(list)
    depth: dict[str, int] = {}
    for _ in range(runs):
        _, err = run_child(code, [], env, cwd, flags=("-X", "importtime"))
        seen = False
        for line in err.splitlines():
            if line.startswith("BENCH-MARK"):
                seen = True
                continue
            if not seen or not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cum_us, raw = line[len("import time:") :].split("|", 2)
            name = raw.rstrip()
            indent = len(name) - len(name.lstrip())
            name = name.strip()
            selfs[name].append(int(self_us))
            cumul[name].append(int(cum_us))
            depth[name] = max(0, (indent - 1) // 2)
    med_self = {k: statistics.median(v) for k, v in selfs.items()}
    med_cum = {k: statistics.median(v) for k, v in cumul.items()}
    by_package: dict[str, float] = defaultdict(float)
    for name, us in med_self.items():
        by_package[name.split(".")[0]] += us
    total = med_cum.get(module, sum(med_self.values()))
    return {
        "self": med_self,
        "cum": med_cum,
        "depth": depth,
        "packages": dict(by_package),
        "total": total,
        "modules": len(med_self),
    }


def compile_cost_ms(function: Function, repeats: int = 5) -> tuple[float, int]:
    """What importing costs on top when no usable .pyc ships: compiling hourbank and the handler."""
    sources = [*sorted((LAYER / "hourbank").rglob("*.py")), function.directory / f"{function.module}.py"]
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in sources]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for path, text in texts:
            compile(text, path, "exec", dont_inherit=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(texts)


# ------------------------------------------------------------------ memory with one invocation


def prepare_invocations(functions: list[Function], mem_runs: int) -> dict[str, list[dict]]:
    """Data for one typical request per function, made through the handlers; returns the events per function."""
    import devstack.lambda_client as lc

    api = lc.LambdaClient()
    billing = lc.claims("billing", sub="bench-billing")
    tech = lc.claims("technician", sub="bench-tech")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5)))

    def ok(reply: Any, status: int = 201) -> Any:
        if reply.status != status:
            raise AssertionError(reply)
        return reply.body

    def entry(ticket_id: str, n: int) -> dict:
        return {
            "work_type": "remote",
            "started_at": (start + timedelta(minutes=15 * n)).isoformat(),
            "minutes": 15,
            "note": "work done",
        }

    account = ok(
        api.post(
            "/accounts", {"name": "bench", "email": f"{uuid.uuid4().hex}@bench.test", "plan": "member"}, as_=billing
        )
    )["account_id"]
    ok(
        api.post(
            f"/accounts/{account}/adjustments", {"minutes": 100_000, "kind": "purchase", "reason": "bench"}, as_=billing
        )
    )

    def ticket(entries: int) -> str:
        tid = ok(
            api.post(
                "/tickets",
                {
                    "account_id": account,
                    "title": "Server offline",
                    "priority": "normal",
                    "opened_at": (start - timedelta(hours=1)).isoformat(),
                },  # SPEC T8
                as_=tech,
            )
        )["ticket_id"]
        for n in range(entries):
            ok(api.post(f"/tickets/{tid}/time-entries", entry(tid, n), as_=tech))
        return tid

    read_ticket = ticket(10)
    post_ticket = ticket(1)
    to_close = [ticket(10) for _ in range(mem_runs)]

    # Orders to pay: made through OrdersFunction here; each child credits one (its first delivery).
    import json as _json

    from devstack.stripe_shapes import event, session, sid
    from hourbank.payments.webhook_signature import sign_webhook
    from hourbank.store.models import OrderModel

    form = {"name": "Corner Bakery", "email": "owner@bakery.example", "hours": 2}
    to_pay = [OrderModel.get(ok(api.post("/orders", form))["order_id"], consistent_read=True) for _ in range(mem_runs)]
    paid_bodies = [
        _json.dumps(event("checkout.session.completed", session(o, payment_intent=sid("pi")))) for o in to_pay
    ]
    visit = ok(
        api.post(
            "/visits",
            {"account_id": account, "scheduled_at": start.isoformat(), "address": "bench", "estimate_hours": 2},
            as_=tech,
        )
    )  # SPEC V1 (issue 14)

    # Build the exact events LambdaClient would send, without invoking anything.
    captured: list[dict] = []
    real_invoke = lc.invoke

    def capture(route: Any, event: dict) -> dict:
        captured.append(event)
        return {"statusCode": 200, "body": ""}

    lc.invoke = capture
    try:

        def event_of(call: Any) -> dict:
            captured.clear()
            call()
            return captured[0]

        requests: dict[str, tuple[str, list[dict]]] = {
            "AccountsApiFunction": (
                "GET account",
                [event_of(lambda: api.get(f"/accounts/{account}", as_=billing)) for _ in range(mem_runs)],
            ),
            "TicketsApiFunction": (
                "GET ticket (10 entries)",
                [event_of(lambda: api.get(f"/tickets/{read_ticket}", as_=tech)) for _ in range(mem_runs)],
            ),
            "PostTimeEntryFunction": (
                "post an entry on an open ticket",
                [
                    event_of(
                        lambda n=n: api.post(
                            f"/tickets/{post_ticket}/time-entries", entry(post_ticket, 100 + n), as_=tech
                        )
                    )
                    for n in range(mem_runs)
                ],
            ),
            "CloseTicketFunction": (
                "close a ticket with 10 entries",
                [event_of(lambda t=t: api.post(f"/tickets/{t}/close", as_=tech)) for t in to_close],
            ),
            "OrdersFunction": (
                "POST /orders, new customer (local page: no stripe, no jwt)",
                [event_of(lambda: api.post("/orders", form)) for _ in range(mem_runs)],
            ),
            # Signed now: the children run within seconds, well inside the 300 s tolerance.
            "StripeWebhookFunction": (
                "checkout.session.completed, 1st delivery → credited (imports stripe)",
                [
                    event_of(
                        lambda b=b: api.post(
                            "/webhooks/stripe",
                            raw_body=b,
                            headers={"stripe-signature": sign_webhook(b, os.environ["STRIPE_WEBHOOK_SECRET"])},
                        )
                    )
                    for b in paid_bodies
                ],
            ),
            "VisitsApiFunction": (
                "GET a visit",
                [event_of(lambda: api.get(f"/visits/{visit['visit_id']}", as_=tech)) for _ in range(mem_runs)],
            ),
        }
    finally:
        lc.invoke = real_invoke

    # The consumers: a crossing per run (balance watch), a new draft invoice (invoicing), a page of one
    # account (month-end worker), a month's planning (planner, its queue a directory).
    from devstack.stream_records import raw_item, record
    from hourbank.ports.settings import get_settings
    from hourbank.statements.monthly_statement import previous_month
    from hourbank.store.models import InvoiceModel

    settings = get_settings()
    crossings, drafts = [], []
    for n in range(mem_runs):
        body = {"name": f"watch {n}", "email": f"{uuid.uuid4().hex}@bench.test", "plan": "member"}  # SPEC O7
        watched = ok(api.post("/accounts", body, as_=billing))["account_id"]
        ok(
            api.post(
                f"/accounts/{watched}/adjustments", {"minutes": 60, "kind": "purchase", "reason": "bench"}, as_=billing
            )
        )  # at T: the -30 below crosses it
        ok(
            api.request(
                "PUT",
                f"/accounts/{watched}/auto-top-up",
                {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120, "notify_low_balance": True},
                as_=billing,
            ),
            200,
        )
        before = raw_item(settings.accounts_table, {"account_id": watched})
        ok(
            api.post(
                f"/accounts/{watched}/adjustments",
                {"minutes": -30, "kind": "adjustment", "reason": "bench"},
                as_=billing,
            )
        )
        crossings.append(
            {
                "Records": [
                    record(
                        "MODIFY",
                        {"account_id": {"S": watched}},
                        old=before,
                        new=raw_item(settings.accounts_table, {"account_id": watched}),
                    )
                ]
            }
        )
        draft = InvoiceModel(
            account,
            f"inv_bench_{n}",
            kind="auto_top_up",
            status="draft",
            minutes=120,
            amount_minor=30_000,
            currency="USD",
            description="bench",
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        draft.save()
        drafts.append(
            {
                "Records": [
                    record(
                        "INSERT",
                        {"account_id": {"S": account}, "invoice_id": {"S": draft.invoice_id}},
                        new=raw_item(settings.invoices_table, {"account_id": account, "invoice_id": draft.invoice_id}),
                        view="NEW_IMAGE",
                    )
                ]
            }
        )
    month = previous_month(datetime.now(UTC), settings.calendar().tz)
    pages = [
        {
            "Records": [
                {
                    "messageId": f"m{n}",
                    "receiptHandle": f"r{n}",
                    "eventSource": "aws:sqs",
                    "body": _json.dumps({"month": month, "account_ids": [account]}),
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:MonthEndQueue",
                    "awsRegion": "us-east-1",
                }
            ]
        }
        for n in range(mem_runs)
    ]
    requests.update(
        {
            "BalanceWatchFunction": ("one crossing: top-up invoice + e-mail", crossings),
            "InvoicingFunction": ("issue one draft invoice (local invoicing)", drafts),
            "MonthEndPlannerFunction": (f"plan {month} (a few accounts)", [{"month": month}] * mem_runs),
            "MonthEndWorkerFunction": ("close one account's month (a rerun after the first)", pages),
            "ResponseWarningFunction": (
                "one warning run (SPEC S1; nothing due in its window)",
                [{"time": "2026-12-01T14:45:00Z", "detail": "{}"}] * mem_runs,
            ),
            "VisitExpiryFunction": (
                "sweep unpaid visits (none due)",
                [{"at": datetime.now(UTC).isoformat()}] * mem_runs,
            ),
        }
    )
    events: dict[str, list[dict]] = {}
    for function in functions:
        label, evs = requests.get(function.name, ("", []))
        function.typical = label
        events[function.name] = evs
    return events


# ------------------------------------------------------------------ report


def mib(kib: float) -> float:
    return kib / 1024


def suggest_memory(peak_kib: float) -> int:
    need = mib(peak_kib) * HEADROOM
    return next((size for size in MEMORY_SIZES if size >= need), MEMORY_SIZES[-1])


def _subtree_ms(breakdown: dict[str, Any], name: str) -> float:
    return breakdown["cum"].get(name, 0) / 1000


def _group(module: str) -> str:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top.startswith("_sysconfigdata"):
        return "stdlib"
    if top in ("pydantic", "pydantic_core", "typing_inspection", "annotated_types", "typing_extensions"):
        return "pydantic"
    if top in ("botocore", "urllib3", "jmespath", "dateutil", "six", "boto3", "s3transfer"):
        return "botocore"
    return top


WHEN_ALONE = {
    "OrdersFunction": "an anonymous order on the local page, a quote, GET /orders/{id}",
    "StripeWebhookFunction": "Lambda's Init only: its 1st request always adds stripe",
}


def render_payments(functions: list[Function], variants: list[Variant], b_med: float, bare_modules: float) -> list[str]:
    """The payment functions alone and with what their first requests import lazily."""
    payment = [f for f in functions if f.payment]
    if not payment or not variants:
        return []
    lines = [
        "",
        "### Payment functions: the cold import with and without their lazy imports (same interleaved runs)",
        "",
        "`import app` of the function, then in the same fresh interpreter what its first request imports lazily "
        '(stripe, PyJWT; STYLE 10), each timed. "Of which lazy" is the time of those imports after the handler\'s '
        '(median over the runs); "modules added" the entries they add to `sys.modules`.',
        "",
        "| Import | paid by | median ms | p90 ms | × `import boto3` (median) | of which lazy: median ms | "
        "modules added |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in payment:
        med = statistics.median(f.import_ms)
        lines.append(
            f"| {f.name} alone | {WHEN_ALONE.get(f.name, '')} | {med:.0f} | "
            f"{percentile(f.import_ms, 90):.0f} | {med / b_med:.2f} | | |"
        )
        for v in (v for v in variants if v.function is f):
            v_med = statistics.median(v.import_ms)
            lazy = statistics.median(sum(p[1:]) for p in v.parts)
            added = statistics.median(c[-1] - c[0] for c in v.counts)
            lines.append(
                f"| {v.label} | {v.when} | {v_med:.0f} | {percentile(v.import_ms, 90):.0f} | "
                f"{v_med / b_med:.2f} | {lazy:.0f} | {added:.0f} |"
            )
    for v in (v for v in variants if v.function is None):
        v_med = statistics.median(v.import_ms)
        added = statistics.median(c[-1] for c in v.counts) - bare_modules
        lines.append(
            f"| {v.label} | {v.when} | {v_med:.0f} | {percentile(v.import_ms, 90):.0f} | "
            f"{v_med / b_med:.2f} | {v_med:.0f} | {added:.0f} |"
        )

    def lazy_of(name: str, modules: tuple[str, ...]) -> tuple[float, float] | None:
        for v in variants:
            if v.function is not None and v.function.name == name and v.lazy == modules:
                return statistics.median(v.import_ms), statistics.median(sum(p[1:]) for p in v.parts)
        return None

    alone = {v.lazy[0]: statistics.median(v.import_ms) for v in variants if v.function is None}
    reading = []
    hook = next((f for f in payment if f.name == "StripeWebhookFunction"), None)
    got = lazy_of("StripeWebhookFunction", ("stripe",))
    if hook is not None and got is not None:
        h_med = statistics.median(hook.import_ms)
        reading.append(
            f"StripeWebhookFunction imports in {h_med:.0f} ms ({h_med / b_med:.2f} × boto3), but no request of it "
            f"runs without stripe (every delivery's signature is checked with `stripe.Webhook.construct_event`): "
            f"its first request imports stripe for {got[1]:.0f} ms more (median of the stripe import timed after "
            f"the handler's), so a cold webhook pays about {h_med + got[1]:.0f} ms of imports "
            f"({(h_med + got[1]) / b_med:.2f} × boto3; the row timing both together: {got[0]:.0f} ms). "
            "Importing stripe lazily moves that cost from Init to the "
            "first request; it does not save it on this function. In a bare interpreter stripe takes "
            f"{alone.get('stripe', 0):.0f} ms: about {max(0, alone.get('stripe', 0) - got[1]):.0f} ms of it is "
            "modules the handler has already loaded (standard library, typing helpers)."
        )
    orders = next((f for f in payment if f.name == "OrdersFunction"), None)
    if orders is not None:
        o_med = statistics.median(orders.import_ms)
        parts = [
            f"OrdersFunction imports in {o_med:.0f} ms ({o_med / b_med:.2f} × boto3), which is all an "
            "anonymous order pays (locally, and in AWS until a Stripe key is set)"
        ]
        for modules, what in (
            (("jwt",), "a signed-in owner's first order adds PyJWT and cryptography"),
            (("stripe",), "with a Stripe key every first order adds stripe"),
            (("jwt", "stripe"), "both together"),
        ):
            got = lazy_of("OrdersFunction", modules)
            if got is not None:
                parts.append(f"{what}: +{got[1]:.0f} ms ({got[0]:.0f} ms, {got[0] / b_med:.2f} × boto3)")
        reading.append(
            "; ".join(parts) + ". In AWS, with the Stripe key configured, the order function's first "
            "POST /orders always imports stripe, so there too lazy loading helps only the quote and "
            "GET routes."
        )
    if reading:
        lines += ["", "**Payment functions.** " + " ".join(reading)]
    return lines


def render(
    functions: list[Function],
    boto3_ms: list[float],
    boto3_mem: list[dict],
    bare_mem: list[dict],
    breakdown: dict[str, Any],
    boto3_breakdown: dict[str, Any],
    heaviest: Function,
    compile_ms: float,
    compiled_files: int,
    runs: int,
    seconds: float,
    configured_mb: int,
    variants: list[Variant] | None = None,
) -> tuple[str, str]:
    b_med = statistics.median(boto3_ms)
    lines = [
        f"### Cold import (fresh interpreter each time, N = {runs} per row, runs interleaved)",
        "",
        "| Import | median ms | p90 ms | × `import boto3` (median) | target ≤ 1.3× |",
        "|---|---:|---:|---:|---|",
        f"| `import boto3` (yardstick) | {b_med:.0f} | {percentile(boto3_ms, 90):.0f} | 1.00 | |",
    ]
    misses = []
    for f in functions:
        med = statistics.median(f.import_ms)
        ratio = med / b_med
        if f.payment:
            verdict = "n/a (payment function)"
        elif ratio <= RATIO_TARGET:
            verdict = "✅"
        else:
            verdict = f"❌ {(ratio / RATIO_TARGET - 1) * 100:.0f} % over"
            misses.append((f, ratio))
        lines.append(
            f"| {f.name} (`{f.code_uri}/{f.module}.py`) | {med:.0f} | {percentile(f.import_ms, 90):.0f} | "
            f"{ratio:.2f} | {verdict} |"
        )

    lines += render_payments(functions, variants or [], b_med, statistics.median(r["modules"] for r in bare_mem))

    def hwm(results: list[dict], pick: Any = statistics.median) -> float:
        return mib(pick([r["hwm_kib"] for r in results]))

    def maxrss(results: list[dict], pick: Any = statistics.median) -> float:
        return mib(pick([r["maxrss_kib"] for r in results]))

    lines += [
        "",
        "### Peak memory (MiB) and the first invocation",
        "",
        "| Process | peak RSS after import | peak RSS after import + 1 invocation | typical invocation "
        "(against DynamoDB Local) | first invocation ms | ru_maxrss after import / invocation | "
        "suggested MemorySize |",
        "|---|---:|---:|---|---:|---:|---:|",
        f"| bare interpreter | {hwm(bare_mem):.1f} | | | | {maxrss(bare_mem):.1f} | |",
        f"| `import boto3` | {hwm(boto3_mem):.1f} | | | | {maxrss(boto3_mem):.1f} | |",
    ]
    peaks = []
    for f in functions:
        peak = max(r["hwm_kib"] for r in f.invoke)
        peaks.append(peak)
        first = statistics.median(r["invoke_ms"] for r in f.invoke)
        lines.append(
            f"| {f.name} | {hwm(f.import_mem):.1f} | {mib(peak):.1f} (max of {len(f.invoke)}) | "
            f"{f.typical} | {first:.0f} | {maxrss(f.import_mem):.1f} / {maxrss(f.invoke, max):.1f} | "
            f"{suggest_memory(peak)} MB |"
        )
    top_peak = max(peaks)
    suggestion = suggest_memory(top_peak)
    lines += [
        "",
        "Peak RSS is the child's `VmHWM` (/proc/self/status): the high-water mark of its own address space. "
        "`ru_maxrss` (getrusage, KiB) is shown beside it but is not usable here: Linux carries the pre-exec "
        "image's high-water mark across `execve`, and `subprocess` starts children with vfork, so a child's "
        "`ru_maxrss` never reads below this benchmark process's own peak (compare the bare interpreter's two "
        f"figures). Suggested MemorySize = the smallest of {', '.join(map(str, MEMORY_SIZES[:4]))} MB that "
        f"holds {HEADROOM:g} × the peak.",
    ]

    total_us = breakdown["total"]
    lines += [
        "",
        f"### Where {heaviest.name}'s import time goes (`python -X importtime`, median of 5 runs)",
        "",
        f"`import {heaviest.module}` loads {breakdown['modules']} modules in {total_us / 1000:.0f} ms under "
        "`-X importtime` (which adds overhead of its own). Top 8 by cumulative time (depth 1 = imported by "
        f"`{heaviest.module}.py` itself; deeper rows are included in the rows they sit under):",
        "",
        "| Module | depth | cumulative ms | self ms |",
        "|---|---:|---:|---:|",
    ]
    cum = breakdown["cum"]
    ranked = sorted((name for name in cum if name != heaviest.module), key=lambda n: -cum[n])[:8]
    for name in ranked:
        lines.append(
            f"| `{name}` | {breakdown['depth'].get(name, 0)} | {cum[name] / 1000:.1f} | "
            f"{breakdown['self'][name] / 1000:.1f} |"
        )
    groups: dict[str, float] = defaultdict(float)
    for name, us in breakdown["self"].items():
        groups[_group(name)] += us
    ordered = sorted(groups.items(), key=lambda kv: -kv[1])
    # What the handler imports that `import boto3` does not: the excess, without double counting.
    boto3_modules = set(boto3_breakdown["self"])
    extra: dict[str, float] = defaultdict(float)
    extra_count = 0
    for name, us in breakdown["self"].items():
        if name not in boto3_modules:
            extra[_group(name)] += us
            extra_count += 1
    extra_total = sum(extra.values())
    extra_ordered = sorted(extra.items(), key=lambda kv: -kv[1])
    shared_us = sum(us for name, us in breakdown["self"].items() if name in boto3_modules)
    stdlib_extra = sorted(
        (
            (name, us)
            for name, us in breakdown["self"].items()
            if name not in boto3_modules and _group(name) == "stdlib"
        ),
        key=lambda kv: -kv[1],
    )
    lines += [
        "",
        "Self time by origin, which adds up to the total without double counting (botocore = botocore, urllib3 "
        "and their helpers; pydantic = pydantic, pydantic_core and typing helpers; stdlib = standard-library "
        "modules the others pull in): "
        + ", ".join(f"{g} {us / 1000:.0f} ms ({us / total_us * 100:.0f} %)" for g, us in ordered[:7])
        + ".",
        "",
        f"Against `import boto3` under the same tool ({boto3_breakdown['modules']} modules, "
        f"{boto3_breakdown['total'] / 1000:.0f} ms): the modules both load cost the handler {shared_us / 1000:.0f} ms; "
        f"the {extra_count} modules only the handler loads cost {extra_total / 1000:.0f} ms: "
        + ", ".join(f"{g} {us / 1000:.0f} ms" for g, us in extra_ordered[:7] if us >= 500)
        + (
            " (the biggest standard-library ones: "
            + ", ".join(f"`{n}` {us / 1000:.1f}" for n, us in stdlib_extra[:4])
            + " ms)"
            if stdlib_extra
            else ""
        )
        + ".",
    ]

    # the reading --------------------------------------------------------------------------------------
    x = {k: v / 1000 for k, v in extra.items()}
    heavy_med = statistics.median(heaviest.import_ms)
    if misses:
        worst = max(misses, key=lambda m: m[1])
        best = min(misses, key=lambda m: m[1])
        verdict = (
            f"The 1.3 × `import boto3` target is missed by {len(misses)} of "
            f"{sum(not f.payment for f in functions)} functions, by {(best[1] / RATIO_TARGET - 1) * 100:.0f} "
            f"to {(worst[1] / RATIO_TARGET - 1) * 100:.0f} % ({best[0].name} {best[1]:.2f}×, "
            f"{worst[0].name} {worst[1]:.2f}×; up to "
            f"{statistics.median(worst[0].import_ms) - RATIO_TARGET * b_med:.0f} ms more than the target "
            "allows)."
        )
    else:
        verdict = "Every function imports within 1.3 × `import boto3`."
    boto3_note = "imports boto3 itself" if "boto3" in cum else "never imports boto3 itself (pynamodb brings botocore)"
    appsync = _subtree_ms(breakdown, "aws_lambda_powertools.event_handler.appsync")
    event_handler = _subtree_ms(breakdown, "aws_lambda_powertools.event_handler")
    reading = (
        f"{verdict} {heaviest.name} ({heavy_med:.0f} ms against boto3's {b_med:.0f} ms) {boto3_note}; what it "
        f"loads on top of boto3's modules costs, under `-X importtime`, pydantic {x.get('pydantic', 0):.0f} ms, "
        f"aws_lambda_powertools {x.get('aws_lambda_powertools', 0):.0f} ms, standard-library modules "
        f"{x.get('stdlib', 0):.0f} ms that those two pull in, hourbank {x.get('hourbank', 0):.0f} ms and pynamodb "
        f"{x.get('pynamodb', 0):.0f} ms. So the miss is the API plumbing, not the domain code: pydantic (the "
        "request models in `hourbank.api.schemas`, and Powertools' OpenAPI models behind `enable_validation=True`) "
        f"and Powertools' `event_handler` package ({event_handler:.0f} ms cumulative), whose import also loads "
        f"every other resolver in it, the AppSync ones with asyncio among them ({appsync:.0f} ms), which an HTTP "
        "API never uses. Not in the import figures: the first request builds the botocore client and its service "
        "model (the 'first invocation ms' column, measured against DynamoDB Local), and if the core layer ships "
        "without .pyc files for the runtime's Python (Lambda cannot write them under /opt), compiling the "
        f"{compiled_files} source files of hourbank and the handler adds about {compile_ms:.0f} ms to every cold "
        f"start. Peak RSS after one request is at most {mib(top_peak):.0f} MiB (bare interpreter "
        f"{hwm(bare_mem):.0f} MiB); with {HEADROOM:g}× headroom that suggests MemorySize {suggestion} MB, "
        f"against the template's {configured_mb} MB. Memory is not the constraint; but MemorySize also sets the "
        "CPU share (one vCPU at 1,769 MB), so a smaller size makes the CPU-bound import and every request "
        f"slower: keep {configured_mb} MB unless Init Duration measured on AWS says otherwise. Measured with "
        f"Python {sys.version_info.major}.{sys.version_info.minor} on x86-64; the template deploys python3.13 on "
        "arm64, so absolute times will differ (the ratios less so)."
    )
    lines += ["", f"Whole run: {seconds:.0f} s.", "", "**Reading.** " + reading]
    return "\n".join(lines), reading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import (default 15)")
    parser.add_argument("--mem-runs", type=int, default=3, help="fresh interpreters per invocation (default 3)")
    parser.add_argument("--write", action="store_true", help="rewrite the cold_start section of docs/BENCHMARKS.md")
    args = parser.parse_args(argv)

    from devstack.template import load_template, table_env

    template = load_template()
    configured_mb = int(template["Globals"]["Function"].get("MemorySize", 128))
    tables = [k for k, v in template["Resources"].items() if v.get("Type") == "AWS::DynamoDB::Table"]
    dummy_tables = table_env({t: f"bench-{t}" for t in tables})
    functions = functions_of_template()
    variants = lazy_variants(functions)
    from devstack.local_env import PARAMS, payment_env

    for name in PARAMS:  # the secrets are set in the environment locally: nothing reads SSM
        os.environ.pop(name, None)
    # The payment functions as the local stack runs them (no Stripe key: the local page; the local webhook
    # secret and JWT issuer); the other functions ignore these variables.
    queue_dir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    pay_env = {
        **payment_env(LOCAL_BASE_URL, outbox_dir=str(queue_dir / "outbox")),
        "OUTBOX_DIR": str(queue_dir / "outbox"),
        "HOURBANK_LOCAL_ADAPTERS": str(ROOT / "scripts" / "devstack" / "adapters.py"),
        "HOURBANK_QUEUE_DIR": str(queue_dir),
        "MONTH_END_QUEUE_URL": (queue_dir / "MonthEndQueue").as_uri(),
    }
    machine = machine_line()
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="hourbank-bench-pycache-") as pycache:

        def env_of(function: Function | None) -> dict[str, str]:
            return child_env(dummy_tables, pycache, function.directory if function else None, pay_env)

        boto3_ms, boto3_mem = measure_imports(functions, args.runs, env_of, variants)
        bare_mem = [run_child(CHILD_BARE, [], env_of(None), ROOT)[0] for _ in range(3)]
        # The breakdown and the reading are about the API functions held to the 1.3 × boto3 target.
        held = [f for f in functions if not f.payment] or functions
        heaviest = max(held, key=lambda f: statistics.median(f.import_ms))
        breakdown = importtime_breakdown(heaviest.module, heaviest.directory, env_of(heaviest))
        boto3_breakdown = importtime_breakdown("boto3", ROOT, env_of(None))
        compile_ms, compiled_files = compile_cost_ms(heaviest)

        # Memory with one real invocation: DynamoDB Local, data made through the handlers in this process.
        from devstack.dynamodb_local import start
        from devstack.template import create_tables

        for name in DROPPED_AWS_ENV:
            os.environ.pop(name, None)
        os.environ.update({**template_parameter_env(), **LOCAL_AWS_ENV, **pay_env})
        with start(in_memory=True) as engine:
            names = create_tables(engine.client(), "coldstart")
            real_tables = table_env(names)
            os.environ.update(real_tables)
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
            from hourbank.ports.settings import get_settings
            from hourbank.store import transactions

            get_settings.cache_clear()
            transactions.bind()
            events = prepare_invocations(functions, args.mem_runs)
            for function in functions:
                env = child_env(
                    real_tables, pycache, function.directory, {**pay_env, "AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint}
                )
                for event in events[function.name]:
                    result, _ = run_child(
                        CHILD_INVOKE, [function.module, function.attr], env, function.directory, stdin=json.dumps(event)
                    )
                    if not 200 <= result["status"] < 300:
                        raise AssertionError(f"{function.name}: typical invocation answered {result['status']}")
                    function.invoke.append(result)
            print("invocations done", file=sys.stderr)
    seconds = time.perf_counter() - started

    body, _ = render(
        functions,
        boto3_ms,
        boto3_mem,
        bare_mem,
        breakdown,
        boto3_breakdown,
        heaviest,
        compile_ms,
        compiled_files,
        args.runs,
        seconds,
        configured_mb,
        variants,
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join(
        [
            "## Cold start: import time and peak memory",
            "",
            "```",
            command_line(),
            "```",
            "",
            f"Run {stamp}; {machine}.",
            "",
            body,
        ]
    )
    publish("cold_start", section, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
