"""Issue 15: local-only adapters live with the local stack (scripts/localdev/adapters.py) and are injected
through ``hourbank.ports.adapters``; the production layer has no branch for them and uses the AWS adapters when
nothing is installed. That includes Stripe's stand-ins (the local payment page for checkout and invoices,
refunds without Stripe): with no Stripe key and nothing installed, a payment fails and says why."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest

from hourbank.edge import bearer_tokens
from hourbank.payments.stripe_checkout import StripeCheckout, select_checkout
from hourbank.payments.stripe_invoicing import StripeInvoicing, select_invoicing
from hourbank.payments.stripe_refunds import StripeRefunds, select_refunds
from hourbank.ports import adapters, invitations, mail, queue
from scripts.localdev import adapters as local_adapters

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "core" / "python" / "hourbank"
FUNCTIONS = ROOT / "functions"
# What Stripe's local stand-ins look like: the local payment page (its path, its URL setting), the ids they
# make up, their classes, and the branch that chose them on an empty key (``local_base_url``).
PAYMENT_TEXT = ("local-pay", "local_checkout", "cs_local", "in_local", "re_local")
PAYMENT_NAMES = ("localcheckout", "localinvoicing", "localrefunds", "local_checkout", "local_base_url")
# What a local-only branch looks like: a file: URL, a JWKS read from a file, the outbox; Stripe's stand-ins.
FORBIDDEN_TEXT = ("file:", "outbox", "url2pathname", *PAYMENT_TEXT)
FORBIDDEN_NAMES = ("outbox", "url2pathname", "jwksfile", "to_directory", *PAYMENT_NAMES)


def _findings(path: Path, text_words: tuple[str, ...], name_words: tuple[str, ...]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.alias):
            text = node.name
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            text = node.name
        elif isinstance(node, ast.arg | ast.keyword):  # parameters, and arguments passed by name
            text = node.arg
        if text is None:
            continue
        lowered = text.lower()
        words = text_words if isinstance(node, ast.Constant) else name_words
        found += [f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: {w!r}" for w in words if w in lowered]
    return found


def test_the_production_layer_has_no_local_only_branch():
    files = sorted(LAYER.rglob("*.py"))
    assert len(files) > 50
    findings = [finding for path in files for finding in _findings(path, FORBIDDEN_TEXT, FORBIDDEN_NAMES)]
    assert findings == [], "local-only code belongs in scripts/localdev/adapters.py:\n" + "\n".join(findings)


def test_no_function_chooses_a_stand_in_for_stripe():
    """The handlers take their payment ports from the layer (``select_*``): none picks a local one itself."""
    files = sorted(FUNCTIONS.rglob("*.py"))
    assert any(path.parent.name == "invoicing" for path in files)
    findings = [finding for path in files for finding in _findings(path, PAYMENT_TEXT, PAYMENT_NAMES)]
    assert findings == [], "Stripe's local stand-ins belong in scripts/localdev/adapters.py:\n" + "\n".join(findings)


@pytest.fixture
def nothing_installed():
    saved = dict(adapters._installed)
    adapters.uninstall()
    bearer_tokens._key_source.cache_clear()
    try:
        yield
    finally:
        adapters.install(**saved)
        bearer_tokens._key_source.cache_clear()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def send_message_batch(self, **kwargs):
        self.calls.append(("send_message_batch", kwargs))
        return {"Successful": [{"Id": e["Id"]} for e in kwargs["Entries"]]}


def test_aws_adapters_when_nothing_is_installed(nothing_installed, monkeypatch, tmp_path):
    settings = SimpleNamespace(sender_email="support@hourbank.example", user_pool_id="us-east-1_Pool")
    assert isinstance(mail.mailer(settings), mail.SesMailer)
    assert isinstance(invitations.inviter(settings), invitations.CognitoInviter)
    cognito = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool/.well-known/jwks.json"
    assert isinstance(bearer_tokens._jwks(cognito), jwt.PyJWKClient)
    with pytest.raises(jwt.PyJWKClientError, match="scheme 'file'"):  # no file reading of its own
        bearer_tokens._jwks((tmp_path / "jwks.json").as_uri()).get_jwk_set()

    sqs = Recorder()
    import boto3

    monkeypatch.setattr(boto3, "client", lambda service, **kw: sqs if service == "sqs" else None)
    url = (tmp_path / "queue").as_uri()
    assert queue.send(url, [{"page": 1}]) == 1
    assert sqs.calls == [
        ("send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "0", "MessageBody": '{"page":1}'}]})
    ]
    assert not (tmp_path / "queue").exists()  # a file: URL is nothing special to the production layer


def test_without_a_stripe_key_and_nothing_installed_payments_fail_clearly(nothing_installed, monkeypatch):
    """In AWS nothing is installed: an empty Stripe key is a misconfiguration, never a made-up payment."""
    monkeypatch.setenv("LOCAL_CHECKOUT_URL", "http://127.0.0.1:3000")  # the layer does not read it
    for key in (None, "", "  "):
        with pytest.raises(RuntimeError, match="no Stripe key"):
            select_checkout(key, success_url="s", cancel_url="c")
        with pytest.raises(RuntimeError, match="no Stripe key"):
            select_invoicing(key)
        with pytest.raises(RuntimeError, match="no Stripe key"):
            select_refunds(key)
    assert isinstance(select_checkout("sk_test_x", success_url="s", cancel_url="c"), StripeCheckout)
    assert isinstance(select_invoicing("sk_test_x"), StripeInvoicing)
    assert isinstance(select_refunds("sk_test_x"), StripeRefunds)


def test_the_invoicing_function_fails_clearly_without_a_key(nothing_installed, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("invoicing_app_issue15", FUNCTIONS / "invoicing" / "app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    # No Stripe key configured (the value set, empty, wins over any parameter); a local page URL around
    # in the process changes nothing: the function does not read it.
    payments = SimpleNamespace(stripe_api_key="", stripe_api_key_param="", local_checkout_url="http://127.0.0.1:3000")
    monkeypatch.setattr(app, "get_settings", lambda: SimpleNamespace(payments=payments))
    monkeypatch.setenv("LOCAL_CHECKOUT_URL", "http://127.0.0.1:3000")
    with pytest.raises(RuntimeError, match="no Stripe key"):
        app._port()
    local_adapters.install(checkout="http://127.0.0.1:3999/")  # undone by nothing_installed
    app._port.cache_clear()
    port = app._port()
    assert isinstance(port, local_adapters.LocalInvoicing) and port.base_url == "http://127.0.0.1:3999"


def test_the_local_payment_adapters_stand_in_only_without_a_key(monkeypatch):
    monkeypatch.delenv("LOCAL_CHECKOUT_URL", raising=False)
    local_adapters.install(checkout="http://127.0.0.1:3999/")
    try:
        checkout = select_checkout("", success_url="s", cancel_url="c")
        assert isinstance(checkout, local_adapters.LocalCheckout)
        order = SimpleNamespace(order_id="ord_1")
        session_id = local_adapters.LocalCheckout.session_id("ord_1")
        assert checkout.create_checkout(order, None) == (
            session_id,
            f"http://127.0.0.1:3999/local-pay/{session_id}?order=ord_1",
        )
        assert isinstance(select_invoicing(""), local_adapters.LocalInvoicing)
        assert select_refunds("").refund("pi_1", 5, idempotency_key="k", metadata={}).startswith("re_local_")
        # A Stripe key wins over the local stand-ins (a local stack given a Stripe test key uses Stripe).
        assert isinstance(select_checkout("sk_test_x", success_url="s", cancel_url="c"), StripeCheckout)
        assert isinstance(select_invoicing("sk_test_x"), StripeInvoicing)
        assert isinstance(select_refunds("sk_test_x"), StripeRefunds)
        # Without a base URL given or LOCAL_CHECKOUT_URL in the process, the local page cannot be named.
        local_adapters.install()
        with pytest.raises(RuntimeError, match="LOCAL_CHECKOUT_URL"):
            select_checkout("", success_url="s", cancel_url="c")
        monkeypatch.setenv("LOCAL_CHECKOUT_URL", "http://127.0.0.1:4000/")
        assert select_invoicing("").base_url == "http://127.0.0.1:4000"
    finally:
        local_adapters.install()


def test_a_function_is_not_given_the_local_payment_page(monkeypatch):
    """The local page's URL is the adapters' business (a worker's bootstrap passes it), not a variable."""
    from scripts.localdev.local_env import lambda_environment

    spec = SimpleNamespace(
        environment={"STRIPE_API_KEY_PARAM": "/hourbank/stripe", "WEBSITE_URL": "https://x", "LOCAL_CHECKOUT_URL": "y"},
        logical_id="OrdersFunction",
        memory_mb=256,
    )
    env = lambda_environment(spec, endpoint="http://127.0.0.1:8000", base_url="http://127.0.0.1:3999", environ={})
    assert env["STRIPE_API_KEY"] == "" and env["WEBSITE_URL"] == "http://127.0.0.1:3999"
    assert "LOCAL_CHECKOUT_URL" not in env and "STRIPE_API_KEY_PARAM" not in env


def test_the_local_adapters_once_installed(tmp_path):
    local_adapters.install(outbox=str(tmp_path / "outbox"))
    try:
        settings = SimpleNamespace(payments=SimpleNamespace(website_url="http://127.0.0.1:3000"))
        mail.mailer(settings).send(mail.Message("m#1", "a@example.com", "Hello", "text"))
        assert [m["message_id"] for m in local_adapters.read_outbox(tmp_path / "outbox")] == ["m#1"]
        assert isinstance(invitations.inviter(settings), local_adapters.OutboxInviter)
        assert isinstance(bearer_tokens._jwks((tmp_path / "jwks.json").as_uri()), local_adapters.JwksFile)
        url = (tmp_path / "queue").as_uri()
        assert queue.send(url, [{"page": 1}, {"page": 2}]) == 2
        bodies = [json.loads(p.read_text()) for p in sorted((tmp_path / "queue").glob("*.json"))]
        assert bodies == [{"page": 1}, {"page": 2}]
    finally:
        local_adapters.install()  # back to the test session's (the outbox named by OUTBOX_DIR)


def test_unknown_ports_are_refused():
    with pytest.raises(ValueError, match="no port"):
        adapters.install(sms=print)
    with pytest.raises(ValueError, match="no port"):
        adapters.installed("sms")


def test_the_layer_keeps_one_current_request_per_process_as_lambda_runs_them():
    """Issue 15: the per-thread request state only the in-process local runtime needs lives with it
    (``lambda_runtime._per_thread_requests``); in the layer the current request is one plain object."""
    import subprocess
    import sys

    probe = (
        "import hourbank.api.resolver as a, threading; "
        "print(type(a._request).__name__, isinstance(a._request, threading.local))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(ROOT / "layers" / "core" / "python"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["RequestState", "False"]
    uses = [n for n in ast.walk(ast.parse((LAYER / "api" / "resolver.py").read_text())) if isinstance(n, ast.alias)]
    assert "threading" not in {alias.name for alias in uses}


def _two_requests_at_once() -> list[str]:
    """Two environments' resolvers answer at the same time in one process, each route reading its request's
    header after the other request has begun: what each one read."""
    import json
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from hourbank.api.priming import synthetic_event
    from hourbank.api.resolver import make_resolver

    both_inside = Barrier(2, timeout=10)

    def environment():
        app = make_resolver(public=True)

        @app.get("/probe")
        def probe():
            both_inside.wait()
            return {"who": app.current_event.headers.get("x-who")}

        return app

    def call(who: str) -> str:
        event = synthetic_event("GET", "/probe")
        event["headers"]["x-who"] = who
        return json.loads(environment().resolve(event, None)["body"])["who"]

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(call, ["first", "second"]))


def test_in_process_mode_keeps_concurrent_requests_apart_with_per_thread_storage():
    """Powertools keeps the current event on its ``BaseRouter`` class. One request per process (Lambda, the
    local stack's workers) never notices; the in-process mode answers environments concurrently in threads,
    so it installs per-thread storage: without it, one request reads the other's headers."""
    import hourbank.api.resolver as api
    from scripts.localdev import lambda_runtime

    before = api._request
    try:
        api.use_request_state(api.RequestState())  # the layer as Lambda runs it
        assert len(set(_two_requests_at_once())) == 1, "both read the same request: the control"
        lambda_runtime._per_thread_requests()
        assert _two_requests_at_once() == ["first", "second"]
    finally:
        api.use_request_state(before)
