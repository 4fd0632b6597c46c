"""Fault tests (issue 16): DynamoDB throttling, transaction conflicts, 500s and timeouts, and Stripe 429s, 5xx
and timeouts, injected at the HTTP-client level (``tests/support/faults.py``: a botocore ``before-send``
hook, stripe's pluggable HTTP client) on a share of the calls of a concurrent workload against DynamoDB
Local. Whatever was injected: every request ends with a success or a retryable answer (503, 409) that a
retry turns into a success; nothing is lost, nothing counted twice; balance = Σ ledger for every account.

The figures (calls, injected faults by kind, requests, answers) are printed for docs/BENCHMARKS.md:
``pytest tests/integration/test_faults.py -q -s``.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from threading import Lock

import pytest

from hourbank.payments.webhook_signature import sign_webhook
from hourbank.ports.settings import get_settings
from hourbank.store.models import InvoiceModel, LedgerModel, TicketModel
from scripts.localdev import lambda_runtime
from scripts.localdev.stream_records import batch, raw_item, record
from scripts.localdev.stripe_shapes import event, session, sid
from tests.integration.conftest import assert_c7, snapshot
from tests.integration.test_payment_functions import bearer, order_of, secret
from tests.support import aws_hooks
from tests.support.faults import DynamoFaults, FaultyStripe

pytestmark = pytest.mark.integration

RETRYABLE = {503, 409}


@cache
def _longest_timeout_s() -> int:
    """The longest Timeout among the functions this module calls over the API: an in-progress record left by
    one of their deliveries blocks the same key until then."""
    specs = lambda_runtime.functions(strict=False)
    return max(
        specs[name].timeout_s
        for name in ("AccountsApiFunction", "PostTimeEntryFunction", "CloseTicketFunction", "StripeWebhookFunction")
    )


class Tally:
    """Every answer the clients saw, and each request's final one."""

    def __init__(self) -> None:
        self.answers: Counter = Counter()
        self.requests = 0
        self.retried = 0
        self._lock = Lock()

    def call(self, send, *, ok: set[int], tries: int = 80, pause: float = 0.1, for_at_least_s: float = 15.0):
        """Send until the answer is in ``ok``; a retryable answer is retried (the same request, the same
        Idempotency-Key), anything else fails the test. Retries go on for ``tries`` and for at least
        ``for_at_least_s`` - and, after each 503, for the function's timeout from that attempt's start: a
        delivery whose clean-up met a fault leaves its in-progress record (409) until its deadline, and the
        retry that takes the expired record over can meet a fault again and leave a new one."""
        with self._lock:
            self.requests += 1
        deadline = time.monotonic() + for_at_least_s
        for attempt in itertools.count():
            sent_at = time.monotonic()
            reply = send()
            with self._lock:
                self.answers[reply.status] += 1
                self.retried += attempt == 1
            if reply.status in ok:
                return reply
            assert reply.status in RETRYABLE, f"not a retryable answer: {reply}"
            if reply.status == 503:
                assert reply.body["error"]["code"] in ("service_unavailable", "contention"), reply
                deadline = max(deadline, sent_at + _longest_timeout_s() + 2.0)
            if attempt + 1 >= tries and time.monotonic() >= deadline:
                break
            time.sleep(pause)
        raise AssertionError(f"still {reply} after {attempt + 1} tries")


def _webhook(api, evt: dict):
    body = json.dumps(evt)
    return lambda: api.post(
        "/webhooks/stripe", raw_body=body, headers={"stripe-signature": sign_webhook(body, secret())}
    )


def test_dynamodb_faults_under_a_concurrent_workload_lose_nothing_and_double_nothing(
    api, tech, billing, make_account, open_ticket
):
    accounts = [make_account("member", 600) for _ in range(3)]
    tickets = {acc: [open_ticket(acc, title=f"fault {i}") for i in range(3)] for acc in accounts}
    orders = {
        acc: [
            order_of(
                api.post(
                    "/orders", {"account_id": acc, "hours": 1, "kind": "one_time"}, headers=bearer("customer", acc)
                ).body["order_id"]
            )
            for _ in range(2)
        ]
        for acc in accounts
    }
    tally = Tally()

    def adjust(acc: str) -> None:
        key = {"idempotency-key": uuid.uuid4().hex}
        tally.call(
            lambda: api.post(
                f"/accounts/{acc}/adjustments",
                {"minutes": 30, "kind": "purchase", "reason": "paid by phone"},
                as_=billing,
                headers=key,
            ),
            ok={201, 200},
        )

    def work(ticket: str) -> None:
        key = {"idempotency-key": uuid.uuid4().hex}
        tally.call(
            lambda: api.post(
                f"/tickets/{ticket}/time-entries",
                {"work_type": "remote", "started_at": "2026-11-16T15:00:00Z", "minutes": 30, "note": "under fire"},
                as_=tech,
                headers=key,
            ),
            ok={201, 200},
        )
        tally.call(lambda: api.post(f"/tickets/{ticket}/close", as_=tech), ok={200})

    def pay(order) -> None:
        paid = event("checkout.session.completed", session(order, payment_intent=f"pi_{order.order_id}"))
        tally.call(_webhook(api, paid), ok={200})
        again = event("checkout.session.async_payment_succeeded", paid["data"]["object"])  # same payment
        assert tally.call(_webhook(api, again), ok={200}).body["outcome"] == "duplicate"

    jobs = (
        [(adjust, acc) for acc in accounts for _ in range(4)]
        + [(work, t) for ts in tickets.values() for t in ts]
        + [(pay, o) for os_ in orders.values() for o in os_]
    )
    faults = DynamoFaults(0.35)
    started = time.perf_counter()
    with aws_hooks.handler("before-send", faults), ThreadPoolExecutor(8) as pool:
        for done in [pool.submit(fn, arg) for fn, arg in jobs]:
            done.result()
    took = time.perf_counter() - started

    for acc in accounts:
        closed = [TicketModel.get(t, "TICKET", consistent_read=True) for t in tickets[acc]]
        assert {t.status for t in closed} == {"closed"}
        debited = sum(int(t.debited_minutes) for t in closed)
        entries = [e for t in tickets[acc] for e in TicketModel.query(t, TicketModel.sk.startswith("ENTRY#"))]
        assert len(entries) == 3, "one entry per ticket: a retried post is the same entry"
        kinds = Counter(e.kind for e in LedgerModel.query(acc, consistent_read=True))
        # the opening credit, 4 adjustments, 2 payments; 3 closes
        assert kinds["purchase"] == 1 + 4 + 2 and kinds["consumption"] == 3, kinds
        paid = {o.order_id for o in orders[acc]}
        credits = [e for e in LedgerModel.query(acc, consistent_read=True) if e.ref in paid]
        assert len(credits) == 2, "each payment credited once, however often told"
        assert assert_c7(acc) == 600 + 4 * 30 + 2 * 60 - debited
    assert faults.total_injected >= 20, faults.injected
    assert set(tally.answers) <= {200, 201, *RETRYABLE}
    print(
        f"\nFAULTS dynamodb: {sum(faults.calls.values())} calls from functions, injected "
        f"{faults.total_injected} ({dict(faults.injected)}); {tally.requests} requests, "
        f"{sum(tally.answers.values())} answers {dict(sorted(tally.answers.items()))}; "
        f"{tally.retried} requests retried by the client; {took:.1f} s"
    )


def test_a_database_that_stays_unavailable_is_a_503_that_writes_nothing(api, billing, make_account):
    account = make_account("member", 60)
    before = snapshot()
    with aws_hooks.handler("before-send", DynamoFaults(1.0, kinds=("throttling", "timeout"))) as faults:
        started = time.perf_counter()
        reply = api.post(
            f"/accounts/{account}/adjustments",
            {"minutes": 30, "kind": "purchase", "reason": "x"},
            as_=billing,
            headers={"idempotency-key": uuid.uuid4().hex},
        )
        took = time.perf_counter() - started
    assert (reply.status, reply.body["error"]["code"]) == (503, "service_unavailable")
    assert snapshot() == before
    print(
        f"\nFAULTS outage: 503 service_unavailable after {faults.total_injected} refused calls in {took:.1f} s "
        "(pynamodb's botocore retries, then the answer)"
    )


def test_webhook_under_a_database_outage_is_retried_by_stripe_and_credits_once(api, make_account):
    account = make_account("non_member")
    order = order_of(
        api.post(
            "/orders", {"account_id": account, "hours": 1, "kind": "one_time"}, headers=bearer("customer", account)
        ).body["order_id"]
    )
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    with aws_hooks.handler("before-send", DynamoFaults(1.0, kinds=("internal",), only={"TransactWriteItems"})):
        refused = _webhook(api, paid)()
    assert (refused.status, refused.body["error"]["code"]) in ((503, "service_unavailable"), (503, "contention"))
    assert assert_c7(account) == 0
    again = Tally().call(_webhook(api, paid), ok={200})  # Stripe's redelivery, once the database is back
    assert again.body["outcome"] == "credited" and assert_c7(account) == 60


# -- Stripe ---------------------------------------------------------------------------------------------


def fake_stripe(method: str, path: str, form: dict) -> dict:
    """Enough of Stripe for issuing invoices: ids derived from what the request names."""
    parts = path.strip("/").split("/")
    if (method, path) == ("POST", "/v1/customers"):
        return {"id": f"cus_{form['metadata[account_id]']}", "object": "customer", "invoice_settings": {}}
    if method == "GET" and parts[:2] == ["v1", "customers"]:
        return {"id": parts[2], "object": "customer", "invoice_settings": {"default_payment_method": None}}
    if (method, path) == ("POST", "/v1/invoices"):
        return {
            "id": f"in_{form['metadata[invoice_id]']}",
            "object": "invoice",
            "status": "draft",
            "customer": form["customer"],
            "currency": form["currency"],
            "metadata": {},
        }
    if (method, path) == ("POST", "/v1/invoiceitems"):
        return {"id": f"ii_{form['invoice']}_{len(form)}", "object": "invoiceitem"}
    if method == "POST" and parts[:2] == ["v1", "invoices"] and parts[3] in ("finalize", "send"):
        return {
            "id": parts[2],
            "object": "invoice",
            "status": "open",
            "collection_method": "send_invoice",
            "hosted_invoice_url": f"https://invoice.stripe.com/i/{parts[2]}",
            "customer": "cus_x",
            "metadata": {},
        }
    raise AssertionError(f"unexpected Stripe request {method} {path}")


def test_stripe_429_5xx_and_timeouts_while_issuing_invoices_issue_each_exactly_once(make_account, monkeypatch):
    import stripe

    stripe_faults = FaultyStripe(fake_stripe, 0.25)
    monkeypatch.setattr("stripe._stripe_client.new_default_http_client", lambda *a, **k: stripe_faults.client)
    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds", lambda self, *a, **k: 0.01)
    monkeypatch.setattr("hourbank.payments.stripe_invoicing.RATE_LIMIT_DELAYS_S", (0.01, 0.01, 0.01, 0.01))
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_51HourbankFaultInjection")
    get_settings.cache_clear()
    lambda_runtime.retire_environments()  # the invoicing function builds its Stripe client afresh
    spec = lambda_runtime.functions(strict=False)["InvoicingFunction"]
    invoices = []
    for i in range(12):
        acc = make_account("member")
        inv = InvoiceModel(
            acc,
            f"inv_fault{i:02d}",
            kind="month_end",
            status="draft",
            minutes=60,
            amount_minor=15_000,
            currency="USD",
            description="Support time",
            reason="month end",
            created_at="2026-11-30T10:00:00+00:00",
        )
        inv.save()
        invoices.append(inv)

    def stream_record(inv: InvoiceModel) -> dict:
        item = raw_item(get_settings().invoices_table, {"account_id": inv.account_id, "invoice_id": inv.invoice_id})
        return record(
            "INSERT",
            {"account_id": {"S": inv.account_id}, "invoice_id": {"S": inv.invoice_id}},
            new=item,
            view="NEW_IMAGE",
        )

    outcomes: Counter = Counter()
    lock = Lock()

    def deliver(inv: InvoiceModel) -> None:
        """The stream's contract: a failed record is retried (MaximumRetryAttempts 8), then dead-lettered."""
        for _ in range(9):
            result = lambda_runtime.invoke(spec, batch(stream_record(inv)), source="test")
            failed = bool((result or {}).get("batchItemFailures"))
            with lock:
                outcomes["record failed, retried" if failed else "record done"] += 1
            if not failed:
                return
        raise AssertionError(f"{inv.invoice_id} dead-lettered")

    try:
        # Each invoice's record twice at once (a redelivered batch) among 8 concurrent invocations.
        with (
            aws_hooks.handler("before-send", DynamoFaults(0.1, kinds=("throttling", "internal", "timeout"))) as dynamo,
            ThreadPoolExecutor(8) as pool,
        ):
            for done in [pool.submit(deliver, inv) for inv in invoices for _ in range(2)]:
                done.result()
    finally:
        get_settings.cache_clear()
        lambda_runtime.retire_environments()
    for inv in invoices:
        fresh = InvoiceModel.get(inv.account_id, inv.invoice_id, consistent_read=True)
        assert (fresh.status, fresh.stripe_invoice_id) == ("open", f"in_{inv.invoice_id}")
    created = stripe_faults.created
    assert created[("POST", "/v1/invoices")] == len(invoices), "one Stripe invoice per Hourbank invoice"
    assert created[("POST", "/v1/customers")] == len(invoices), "one customer per account"
    assert sum(stripe_faults.injected.values()) >= 10
    print(
        f"\nFAULTS stripe: {stripe_faults.requests} Stripe requests, injected "
        f"{sum(stripe_faults.injected.values())} ({dict(stripe_faults.injected)}); DynamoDB injected "
        f"{dynamo.total_injected} of {sum(dynamo.calls.values())}; {2 * len(invoices)} stream records, "
        f"invocations {dict(outcomes)}; created at Stripe: {created[('POST', '/v1/customers')]} customers, "
        f"{created[('POST', '/v1/invoices')]} invoices, {created[('POST', '/v1/invoiceitems')]} items"
    )
    assert os.environ.get("STRIPE_API_KEY") is not None
