"""The invoicing adapter's requests to Stripe, checked at the HTTP level (issue 5, SPEC O4).

Only stripe's transport is replaced (``RecordingHTTPClient``): the requests are what would go on the
wire - paths, form fields, idempotency keys - and the answers are canned Stripe JSON.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from hourbank.payments.stripe_invoicing import StripeInvoicing
from hourbank.store.models import AccountModel, InvoiceModel
from scripts.localdev.adapters import LocalInvoicing
from tests.unit.test_payments_stripe import API_KEY, RecordingHTTPClient

pytestmark = pytest.mark.unit

INVOICE_ID = "inv_t0123456789abcdefghijklmno"


def hourbank_invoice() -> InvoiceModel:
    return InvoiceModel(
        "acc_1",
        INVOICE_ID,
        kind="auto_top_up",
        status="draft",
        minutes=120,
        amount_minor=30_000,
        currency="USD",
        description="Support time: 2 h (auto top-up)",
        order_id="ord_t0123456789abcdefghijklmno",
        reason="balance 0.5 h fell below the auto top-up threshold 1 h",
        created_at="2026-11-30T10:00:00+00:00",
    )


def account(customer: str | None = None) -> AccountModel:
    return AccountModel(
        "acc_1",
        name="Corner Bakery",
        email="it@bakery.example",
        plan="member",
        plan_version="1",
        currency="USD",
        created_at="2026-11-01T00:00:00+00:00",
        stripe_customer_id=customer,
    )


def stripe_invoice(status: str = "draft", collection: str = "send_invoice") -> dict:
    return {
        "id": "in_1QHourbank",
        "object": "invoice",
        "status": status,
        "collection_method": collection,
        "customer": "cus_QHourbank",
        "currency": "usd",
        "amount_due": 30_000,
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_hourbank",
        "metadata": {"invoice_id": INVOICE_ID},
    }


def routes(*, default_method: str | None = None, paid: bool = False) -> dict:
    final = stripe_invoice("paid" if paid else "open", "charge_automatically" if default_method else "send_invoice")
    return {
        ("POST", "/v1/customers"): {"id": "cus_QHourbank", "object": "customer", "invoice_settings": {}},
        ("GET", "/v1/customers/cus_QHourbank"): {
            "id": "cus_QHourbank",
            "object": "customer",
            "invoice_settings": {"default_payment_method": default_method},
        },
        ("POST", "/v1/invoices"): stripe_invoice(),
        ("POST", "/v1/invoiceitems"): {"id": "ii_1", "object": "invoiceitem", "amount": 30_000},
        ("POST", "/v1/invoices/in_1QHourbank/finalize"): final,
        ("POST", "/v1/invoices/in_1QHourbank/send"): final,
    }


def test_first_invoice_creates_the_customer_and_sends_the_invoice_O4():
    http = RecordingHTTPClient(routes())
    issued = StripeInvoicing(API_KEY, http_client=http).issue(hourbank_invoice(), account())
    assert [(r["method"], r["path"]) for r in http.requests] == [
        ("POST", "/v1/customers"),
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", "/v1/invoices/in_1QHourbank/finalize"),
        ("POST", "/v1/invoices/in_1QHourbank/send"),
    ]
    keys = [r["headers"].get("Idempotency-Key") for r in http.requests]
    assert keys == [
        "account-acc_1-customer",
        f"invoice-{INVOICE_ID}-create",
        f"invoice-{INVOICE_ID}-item",
        f"invoice-{INVOICE_ID}-finalize",
        f"invoice-{INVOICE_ID}-send",
    ]
    customer, created, item = (r["form"] for r in http.requests[:3])
    assert customer == {"email": "it@bakery.example", "name": "Corner Bakery", "metadata[account_id]": "acc_1"}
    assert created["collection_method"] == "send_invoice" and created["days_until_due"] == "7"
    assert (created["metadata[invoice_id]"], created["metadata[order_id]"], created["metadata[account_id]"]) == (
        INVOICE_ID,
        "ord_t0123456789abcdefghijklmno",
        "acc_1",
    )  # API.md: invoice.paid finds it by these
    assert created["currency"] == "usd" and created["pending_invoice_items_behavior"] == "exclude"
    assert (item["invoice"], item["amount"], item["currency"]) == ("in_1QHourbank", "30000", "usd")
    assert issued.stripe_invoice_id == "in_1QHourbank" and issued.customer_id == "cus_QHourbank"
    assert issued.payment_url.startswith("https://invoice.stripe.com/") and issued.status == "open"
    assert all(urlsplit(r["url"]).netloc == "api.stripe.com" for r in http.requests)


def test_a_saved_payment_method_is_charged_automatically_not_sent():
    http = RecordingHTTPClient(routes(default_method="pm_card_visa", paid=True))
    issued = StripeInvoicing(API_KEY, http_client=http).issue(hourbank_invoice(), account("cus_QHourbank"))
    assert [(r["method"], r["path"]) for r in http.requests] == [
        ("GET", "/v1/customers/cus_QHourbank"),
        ("POST", "/v1/invoices"),
        ("POST", "/v1/invoiceitems"),
        ("POST", "/v1/invoices/in_1QHourbank/finalize"),
    ]
    assert http.requests[1]["form"]["collection_method"] == "charge_automatically"
    assert "days_until_due" not in http.requests[1]["form"]
    assert issued.status == "paid"


class FlakyHTTPClient(RecordingHTTPClient):
    """Answers the first ``failures`` requests to one path with an error status, then as recorded."""

    def __init__(self, routes: dict, path: str, statuses: list[int]) -> None:
        super().__init__(routes)
        self.path, self.statuses = path, list(statuses)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body, status, reply_headers = super().request(method, url, headers, post_data, _usage=_usage)
        if urlsplit(url).path == self.path and self.statuses:
            code = self.statuses.pop(0)
            error = {"error": {"type": "api_error", "message": f"HTTP {code}"}}
            retry = {"stripe-should-retry": "true"} if code >= 500 else {}  # a plain 429 says nothing
            return json.dumps(error), code, {**reply_headers, **retry}
        return body, status, reply_headers


def test_rate_limits_and_5xx_are_retried_under_the_same_idempotency_key(monkeypatch):
    import stripe

    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds", lambda self, *a, **k: 0.0)
    http = FlakyHTTPClient(routes(), "/v1/invoices", [429, 503])
    issued = StripeInvoicing(API_KEY, http_client=http, rate_limit_delays=(0.0, 0.0)).issue(
        hourbank_invoice(), account()
    )
    creates = [r for r in http.requests if r["path"] == "/v1/invoices"]
    assert len(creates) == 3 and {r["headers"]["Idempotency-Key"] for r in creates} == {f"invoice-{INVOICE_ID}-create"}
    assert issued.stripe_invoice_id == "in_1QHourbank"


def test_what_still_fails_is_raised_for_the_stream_to_retry_and_dead_letter():
    import stripe

    http = FlakyHTTPClient(routes(), "/v1/invoices", [429, 429, 429])
    with pytest.raises(stripe.RateLimitError):  # still limited after its backoff: the stream retries the record
        StripeInvoicing(API_KEY, http_client=http, rate_limit_delays=(0.0, 0.0)).issue(hourbank_invoice(), account())
    http = FlakyHTTPClient(routes(), "/v1/invoices", [400])
    with pytest.raises(stripe.StripeError):
        StripeInvoicing(API_KEY, http_client=http, max_network_retries=0).issue(hourbank_invoice(), account())


def test_local_invoicing_points_at_the_local_invoice_page():
    issued = LocalInvoicing("http://127.0.0.1:3000/").issue(hourbank_invoice(), account())
    assert issued.payment_url == f"http://127.0.0.1:3000/local-pay/invoice/{INVOICE_ID}?account=acc_1"
    assert issued.stripe_invoice_id == LocalInvoicing.stripe_invoice_id(INVOICE_ID).strip()


def test_a_month_end_invoice_is_itemised_one_stripe_item_per_statement_line_M1():
    from hourbank.store.models import InvoiceLine

    invoice = hourbank_invoice()
    invoice.kind, invoice.order_id = "plan", None
    invoice.lines = [
        InvoiceLine(
            description="Business Priority Support: monthly package of 10 h", minutes=600, amount_minor=135_000
        ),
        InvoiceLine(description="Support beyond the package: 1 h", minutes=60, amount_minor=15_000),
    ]
    http = RecordingHTTPClient(routes())
    StripeInvoicing(API_KEY, http_client=http).issue(invoice, account())
    items = [r for r in http.requests if r["path"] == "/v1/invoiceitems"]
    assert [(r["form"]["amount"], r["form"]["description"]) for r in items] == [
        ("135000", "Business Priority Support: monthly package of 10 h"),
        ("15000", "Support beyond the package: 1 h"),
    ]
    assert [r["headers"]["Idempotency-Key"] for r in items] == [
        f"invoice-{INVOICE_ID}-item",
        f"invoice-{INVOICE_ID}-item-1",
    ]
    assert "metadata[order_id]" not in items[0]["form"]
