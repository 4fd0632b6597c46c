"""The Stripe adapter's requests, checked at the HTTP level (issue 4, SPEC O1, O6).

stripe's own client builds the requests; only the transport is replaced: ``stripe.StripeClient`` takes
an ``http_client`` (a subclass of ``stripe.HTTPClient``), and the fake below records what would go on the
wire and answers with canned Stripe JSON. Nothing reaches api.stripe.com.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from hourbank.payments.stripe_checkout import StripeCheckout, select_checkout
from hourbank.store.models import AccountModel, OrderModel
from scripts.localdev import adapters as local_adapters
from scripts.localdev.adapters import LocalCheckout

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk_test_51HourbankFakeKeyForTestsOnly"


class RecordingHTTPClient(stripe.HTTPClient):
    """stripe's pluggable transport: records each request and answers from ``routes`` (method, path)."""

    name = "recording"

    def __init__(self, routes: dict[tuple[str, str], dict]) -> None:
        super().__init__()
        self.routes = routes
        self.requests: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        self.requests.append(
            {
                "method": method.upper(),
                "url": url,
                "host": parts.netloc,
                "path": parts.path,
                "query": dict(parse_qsl(parts.query)),
                "headers": dict(headers or {}),
                "form": dict(parse_qsl(post_data or "")),
            }
        )
        body = self.routes.get((method.upper(), parts.path))
        if body is None:
            raise AssertionError(f"unexpected request {method} {url}")
        return json.dumps(body), 200, {"Request-Id": f"req_{len(self.requests)}", "Content-Type": "application/json"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):  # pragma: no cover
        raise AssertionError("the adapter does not stream")

    def close(self):
        pass


def session_json(order_id: str, mode: str = "payment") -> dict:
    """A Checkout Session as POST /v1/checkout/sessions returns it (trimmed from Stripe's API reference)."""
    return {
        "id": "cs_test_a1b2c3d4e5f6g7h8i9j0",
        "object": "checkout.session",
        "amount_subtotal": 285000,
        "amount_total": 285000,
        "client_reference_id": order_id,
        "created": 1795000000,
        "currency": "usd",
        "customer_email": "it@example.test",
        "expires_at": 1795086400,
        "invoice": None,
        "livemode": False,
        "metadata": {"order_id": order_id, "account_id": "acc_1"},
        "mode": mode,
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": "https://hourbank.example/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://hourbank.example/order",
        "subscription": None,
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3d4e5f6g7h8i9j0#fid",
    }


def order(
    kind: str = "one_time",
    *,
    order_id: str = "ord_01jtest",
    minutes: int = 600,
    rate: int = 30000,
    discount: int = 15000,
    amount: int = 285000,
) -> OrderModel:
    return OrderModel(
        order_id,
        account_id="acc_1",
        kind=kind,
        minutes=minutes,
        rate_minor=rate,
        discount_minor=discount,
        amount_minor=amount,
        currency="USD",
        created_at="2026-11-20T15:00:00+00:00",
    )


def account() -> AccountModel:
    return AccountModel(
        "acc_1",
        name="Corner Bakery",
        email="it@example.test",
        plan="non_member",
        plan_version="2026-11-01",
        currency="USD",
        created_at="2026-11-01T00:00:00+00:00",
    )


def adapter(routes: dict) -> tuple[StripeCheckout, RecordingHTTPClient]:
    http = RecordingHTTPClient(routes)
    return StripeCheckout(
        API_KEY,
        "https://hourbank.example/paid?session={CHECKOUT_SESSION_ID}",
        "https://hourbank.example/order",
        http_client=http,
    ), http


def test_one_time_order_creates_a_payment_checkout_session_O1_P1():
    checkout, http = adapter({("POST", "/v1/checkout/sessions"): session_json("ord_01jtest")})
    session_id, url = checkout.create_checkout(order(), account())

    assert (session_id, url) == (
        "cs_test_a1b2c3d4e5f6g7h8i9j0",
        "https://checkout.stripe.com/c/pay/cs_test_a1b2c3d4e5f6g7h8i9j0#fid",
    )
    [req] = http.requests
    assert (req["method"], req["host"], req["path"]) == ("POST", "api.stripe.com", "/v1/checkout/sessions")
    assert req["headers"]["Idempotency-Key"] == "order-ord_01jtest-checkout"
    assert req["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert req["headers"]["Stripe-Version"] == stripe.api_version
    form = req["form"]
    assert form == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "285000",
        "line_items[0][price_data][product_data][name]": "Support time: 10 h",
        "line_items[0][price_data][product_data][description]": (
            "10 h at USD 300.00/h, less USD 150.00 bulk discount (P1)"
        ),
        "line_items[0][quantity]": "1",
        "client_reference_id": "ord_01jtest",
        "metadata[order_id]": "ord_01jtest",
        "metadata[account_id]": "acc_1",
        "payment_intent_data[metadata][order_id]": "ord_01jtest",
        "payment_intent_data[metadata][account_id]": "acc_1",
        "customer_email": "it@example.test",
        "success_url": "https://hourbank.example/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://hourbank.example/order",
    }


def test_recurring_order_creates_a_monthly_subscription_session_O6():
    checkout, http = adapter({("POST", "/v1/checkout/sessions"): session_json("ord_rec", "subscription")})
    checkout.create_checkout(
        order("recurring", order_id="ord_rec", minutes=300, rate=12000, discount=0, amount=60000), account()
    )
    form = http.requests[0]["form"]
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["line_items[0][price_data][unit_amount]"] == "60000"
    assert form["line_items[0][price_data][product_data][name]"] == "Support time: 5 h"
    assert form["line_items[0][price_data][product_data][description]"] == "5 h every month at USD 120.00/h"
    assert form["subscription_data[metadata][order_id]"] == "ord_rec"
    assert form["subscription_data[metadata][account_id]"] == "acc_1"
    assert not any(key.startswith("payment_intent_data") for key in form), "not allowed in subscription mode"
    assert http.requests[0]["headers"]["Idempotency-Key"] == "order-ord_rec-checkout"


def test_half_hours_are_named_as_people_read_them_U1():
    checkout, http = adapter({("POST", "/v1/checkout/sessions"): session_json("ord_h")})
    checkout.create_checkout(order(order_id="ord_h", minutes=150, rate=15000, discount=0, amount=37500), account())
    form = http.requests[0]["form"]
    assert form["line_items[0][price_data][product_data][name]"] == "Support time: 2.5 h"
    assert form["line_items[0][price_data][product_data][description]"] == "2.5 h at USD 150.00/h"


@pytest.mark.parametrize(("minutes", "hours"), [(20, "0.33"), (100, "1.67"), (150, "2.5"), (600, "10")])
def test_checkout_names_hours_as_everywhere_else_U1(minutes: int, hours: str):
    """Issue 15: the checkout had its own hours text, which named 20 minutes "0.3333333333333333333333333333 h"."""
    checkout, http = adapter({("POST", "/v1/checkout/sessions"): session_json("ord_m")})
    checkout.create_checkout(order(order_id="ord_m", minutes=minutes, rate=15000, discount=0, amount=37500), account())
    form = http.requests[0]["form"]
    assert form["line_items[0][price_data][product_data][name]"] == f"Support time: {hours} h"
    assert form["line_items[0][price_data][product_data][description]"] == f"{hours} h at USD 150.00/h"


def test_a_retried_checkout_sends_the_same_idempotency_key():
    """The port must be idempotent per order: Stripe replays the first session for a repeated key."""
    checkout, http = adapter({("POST", "/v1/checkout/sessions"): session_json("ord_01jtest")})
    first = checkout.create_checkout(order(), account())
    again = checkout.create_checkout(order(), account())
    assert first == again
    keys = [r["headers"]["Idempotency-Key"] for r in http.requests]
    assert keys == ["order-ord_01jtest-checkout"] * 2
    assert http.requests[0]["form"] == http.requests[1]["form"]


def test_payment_lookup_asks_for_the_intent_and_the_invoice_it_paid():
    """Disputes and subscription refunds name a PaymentIntent only: the adapter asks Stripe which
    top-up it paid (GET the intent, then the InvoicePayment linking it to an invoice)."""
    intent = {"id": "pi_3Q", "object": "payment_intent", "amount": 60000, "metadata": {}}
    invoice = {
        "id": "in_1Q",
        "object": "invoice",
        "metadata": {},
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"metadata": {"order_id": "ord_rec"}, "subscription": "sub_1"},
        },
    }
    listing = {
        "object": "list",
        "url": "/v1/invoice_payments",
        "has_more": False,
        "data": [
            {
                "id": "inpay_1",
                "object": "invoice_payment",
                "invoice": invoice,
                "is_default": True,
                "payment": {"type": "payment_intent", "payment_intent": "pi_3Q"},
                "status": "paid",
            }
        ],
    }
    checkout, http = adapter({("GET", "/v1/payment_intents/pi_3Q"): intent, ("GET", "/v1/invoice_payments"): listing})
    got_intent, got_invoice = checkout.payment_objects("pi_3Q")
    assert got_intent["id"] == "pi_3Q" and got_invoice["id"] == "in_1Q"
    assert isinstance(got_invoice["parent"]["subscription_details"]["metadata"], dict)  # plain dicts
    assert [(r["method"], r["path"]) for r in http.requests] == [
        ("GET", "/v1/payment_intents/pi_3Q"),
        ("GET", "/v1/invoice_payments"),
    ]
    assert http.requests[1]["query"] == {
        "payment[type]": "payment_intent",
        "payment[payment_intent]": "pi_3Q",
        "expand[0]": "data.invoice",
        "limit": "1",
    }


def test_local_checkout_is_deterministic_per_order():
    local = LocalCheckout("http://127.0.0.1:3000/")
    first = local.create_checkout(order(), account())
    assert first == local.create_checkout(order(), account())
    session_id, url = first
    assert session_id.startswith("cs_local_") and len(session_id) == len("cs_local_") + 24
    assert url == f"http://127.0.0.1:3000/local-pay/{session_id}?order=ord_01jtest"
    assert local.create_checkout(order(order_id="ord_other"), account())[0] != session_id


def test_port_selection_follows_the_stripe_key():
    local_adapters.install(checkout="http://l")  # the local stack's stand-in, for no key (issue 15)
    try:
        assert isinstance(select_checkout("sk_test_x", success_url="s", cancel_url="c"), StripeCheckout)
        for key in (None, "", "  "):
            assert isinstance(select_checkout(key, success_url="s", cancel_url="c"), LocalCheckout)
    finally:
        local_adapters.install()  # back to the test session's


def test_importing_the_payments_package_and_webhooks_does_not_import_stripe():
    """STYLE 10 (cold start): stripe is imported only when a checkout is created or a signature verified."""
    code = (
        "import sys\n"
        "import hourbank.payments.stripe_checkout, hourbank.orders.payment_matching\n"
        "from hourbank.payments.webhook_signature import sign_webhook\n"
        "sign_webhook('{}', 'whsec_x', 1)\n"
        "from scripts.localdev.adapters import LocalCheckout\n"
        "LocalCheckout('http://x')\n"
        "hourbank.payments.stripe_checkout.StripeCheckout('sk_test_x', 's', 'c')\n"
        "assert 'stripe' not in sys.modules, sorted(m for m in sys.modules if m.startswith('stripe'))\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": f"{ROOT / 'layers/core/python'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
