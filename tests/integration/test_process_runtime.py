"""Issue 15: the local stack's process runtime (``lambda_runtime.Processes``, what ``make dev`` runs) fails where
AWS would, because each function runs in worker processes of its own with ONLY its template variables (plus
what Lambda sets), its own layers as ``sam build`` builds them and the runtime's boto3.

The in-process runtime the rest of the suite uses shares one ``os.environ`` and one ``sys.path`` between all
functions and the tests, so every "fails" below answered there before: a template without a variable the code
reads, and a function without the layer of a library it imports, both worked locally and failed in AWS. The
in-process runtime now refuses the second too (its import guard; the last tests here), not the first.
Each failure has its control - the same call on the unchanged template answers - so it is the edit's doing.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import os
import sys
import uuid
from pathlib import Path

import pytest

from devstack import lambda_runtime
from devstack.lambda_runtime import FunctionSpec, InvocationError, Processes, functions, invoke
from devstack.local_env import webhook_secret
from devstack.template import load_template
from hourbank.payments.webhook_signature import sign_webhook

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
WEBHOOK = "StripeWebhookFunction"


@pytest.fixture
def processes(dynamodb_local, tables, tmp_path):
    with lambda_runtime.running(Processes(endpoint=dynamodb_local.endpoint, outbox=str(tmp_path / "outbox"))) as rt:
        yield rt


def _event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def _new_account_event() -> dict:
    event = _event("accounts_api-create-account.json")
    body = json.loads(event["body"])
    body["email"] = f"it-{uuid.uuid4().hex[:10]}@acme.example"  # SPEC O7: one e-mail, one account
    event["body"] = json.dumps(body)
    return event


def _signed_checkout() -> dict:
    event = _event("stripe_webhook-checkout-completed.json")
    event["headers"] = {**event["headers"], "stripe-signature": sign_webhook(event["body"], webhook_secret())}
    return event


def test_a_variable_missing_from_the_template_fails_locally(processes, tables):
    template = load_template()
    edited = copy.deepcopy(template)
    del edited["Globals"]["Function"]["Environment"]["Variables"]["ACCOUNTS_TABLE"]
    assert os.environ["ACCOUNTS_TABLE"] == tables["AccountsTable"]  # this process has it: the old runtime answered

    answer = invoke(functions(template, tables)["AccountsApiFunction"], _new_account_event())
    assert answer["statusCode"] == 201, answer  # the control

    with pytest.raises(InvocationError) as raised:
        invoke(functions(edited, tables)["AccountsApiFunction"], _new_account_event())
    cause = raised.value.cause
    assert type(cause).__name__ == "RuntimeError", cause  # a function error, as Lambda reports it
    assert "ACCOUNTS_TABLE is not set" in str(cause)
    assert any("settings.py" in frame for frame in cause.stack_trace)  # Lambda's stackTrace, from the worker


def test_a_library_from_a_layer_the_function_lacks_fails_locally(processes, tables):
    template = load_template()
    edited = copy.deepcopy(template)
    props = edited["Resources"][WEBHOOK]["Properties"]
    props["Layers"] = [layer for layer in props["Layers"] if layer != {"Ref": "PaymentsLayer"}]
    assert functions(edited, tables)[WEBHOOK].layers == ("DepsLayer", "CoreLayer")
    __import__("stripe")  # this process has it: the old runtime answered

    answer = invoke(functions(template, tables)[WEBHOOK], _signed_checkout())
    assert answer["statusCode"] < 500, answer  # the control: with its layer it answers

    with pytest.raises(InvocationError) as raised:
        invoke(functions(edited, tables)[WEBHOOK], _signed_checkout())
    assert "No module named 'stripe'" in str(raised.value.cause), raised.value.cause


# ---------------------------------------------------------------- the runtime itself, with a function of our own
PROBE = """
import json, os, sys, time

def handler(event, context):
    if event.get("raise"):
        raise ValueError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("import"):
        exec("import " + event["import"])  # an import statement of the function's own code
    return {"env": dict(os.environ), "path": sys.path, "pid": os.getpid(),
            "remaining": context.get_remaining_time_in_millis(), "name": context.function_name}
"""


def _probe(tmp_path: Path, *, layers: tuple[str, ...] = ("DepsLayer", "CoreLayer"), timeout_s: int = 3) -> FunctionSpec:
    code = tmp_path / "probe"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(PROBE)
    return FunctionSpec(
        logical_id="ProbeFunction",
        code_uri=code,
        handler="app.handler",
        timeout_s=timeout_s,
        memory_mb=256,
        environment={"ACCOUNTS_TABLE": "probe-accounts", "POWERTOOLS_SERVICE_NAME": "hourbank"},
        layers=layers,
    )


def test_a_worker_has_only_its_variables_and_its_layers(processes, tmp_path):
    result = invoke(_probe(tmp_path), {})
    env = result["env"]
    assert env["ACCOUNTS_TABLE"] == "probe-accounts" and env["AWS_LAMBDA_FUNCTION_NAME"] == "ProbeFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == processes.endpoint
    # Nothing of the tests' environment (other functions' tables, the queue and outbox directories, secrets).
    for name in ("TICKETS_TABLE", "HOURBANK_QUEUE_DIR", "OUTBOX_DIR", "MONTH_END_QUEUE_URL", "STRIPE_WEBHOOK_SECRET"):
        assert name in os.environ and name not in env, name
    path = result["path"]
    assert path[0] == str(tmp_path / "probe")
    assert not [p for p in path if p.startswith(sys.prefix) and "site-packages" in p], path  # not the venv's
    assert str(ROOT) not in path and str(ROOT / "scripts" / "devstack") not in path
    assert result["pid"] != os.getpid() and result["name"] == "ProbeFunction"


def test_a_function_that_is_not_a_payment_function_cannot_import_stripe(processes, tmp_path):
    with pytest.raises(InvocationError) as raised:
        invoke(_probe(tmp_path), {"import": "stripe"})
    assert type(raised.value.cause).__name__ == "ModuleNotFoundError"
    with_layer = _probe(tmp_path, layers=("DepsLayer", "CoreLayer", "PaymentsLayer"))
    assert invoke(with_layer, {"import": "stripe"})["name"] == "ProbeFunction"


def test_errors_timeouts_environments_and_scaling_out(processes, tmp_path):
    spec = _probe(tmp_path, timeout_s=2)
    first = invoke(spec, {})
    assert lambda_runtime.environments("ProbeFunction") == 1 and 0 < first["remaining"] <= 2000
    with pytest.raises(InvocationError) as raised:  # a function error: the environment lives on
        invoke(spec, {"raise": True})
    assert type(raised.value.cause).__name__ == "ValueError" and str(raised.value.cause) == "asked to fail"
    assert invoke(spec, {})["pid"] == first["pid"] and lambda_runtime.environments("ProbeFunction") == 1

    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # one request at a time per environment
        pids = {r["pid"] for r in pool.map(lambda _: invoke(spec, {"sleep": 0.5}), range(3))}
    assert len(pids) == 3 and lambda_runtime.environments("ProbeFunction") == 3

    with pytest.raises(InvocationError) as raised:  # Timeout enforced: the environment is killed
        invoke(spec, {"sleep": 5})
    assert "timed out after 2.00 seconds" in str(raised.value.cause)
    lambda_runtime.retire_environments()
    assert invoke(spec, {})["pid"] not in pids | {first["pid"]}  # a new cold start
    assert lambda_runtime.environments("ProbeFunction") == 4


# ---------------------------------------------------------------- the in-process runtime's import guard
def test_in_process_a_function_cannot_import_a_library_its_layers_lack(tmp_path):
    assert isinstance(lambda_runtime.runtime(), lambda_runtime._Instances)
    __import__("stripe")  # imported in this process already: only the guard can refuse it
    with pytest.raises(InvocationError) as raised:
        invoke(_probe(tmp_path), {"import": "stripe"})
    assert type(raised.value.cause) is ModuleNotFoundError and "No module named 'stripe'" in str(raised.value.cause)
    with_layer = _probe(tmp_path, layers=("DepsLayer", "CoreLayer", "PaymentsLayer"))
    assert invoke(with_layer, {"import": "stripe"})["name"] == "ProbeFunction"
    assert invoke(_probe(tmp_path), {"import": "json"})["name"] == "ProbeFunction"  # the standard library


def test_in_process_the_webhook_without_its_layer_fails(tables):
    edited = copy.deepcopy(load_template())
    props = edited["Resources"][WEBHOOK]["Properties"]
    props["Layers"] = [layer for layer in props["Layers"] if layer != {"Ref": "PaymentsLayer"}]
    assert invoke(functions(load_template(), tables)[WEBHOOK], _signed_checkout())["statusCode"] < 500
    with pytest.raises(InvocationError) as raised:  # the core layer's lazy `import stripe`, refused
        invoke(functions(edited, tables)[WEBHOOK], _signed_checkout())
    assert "No module named 'stripe'" in str(raised.value.cause), raised.value.cause
