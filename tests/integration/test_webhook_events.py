"""Stripe webhook events applied to orders against DynamoDB Local (SPEC O1-O3, C3, C7, scenario 10).

Each event is built in Stripe's shapes (API reference, version 2026-10-28), signed with ``sign_webhook``
and verified with ``verify_webhook`` exactly as the webhook function does, then applied with
``apply_event``. Orders are created through ``create_order`` with the local checkout port.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from hourbank.kernel.identity import Actor
from hourbank.orders.payment_matching import apply_event
from hourbank.orders.placing import create_order
from hourbank.payments.webhook_signature import sign_webhook, verify_webhook
from hourbank.store.models import AccountModel, LedgerModel, OrderModel
from scripts.localdev.adapters import LocalCheckout
from scripts.localdev.stripe_shapes import CREATED, CREATED_AT, charge, dispute, event, invoice, session, sid
from tests.integration.conftest import assert_c7, ledger_items

pytestmark = pytest.mark.integration

SECRET = "whsec_test_webhook_events"
CHECKOUT = LocalCheckout("http://127.0.0.1:3000")


# -- delivery ----------------------------------------------------------------------------------------


def deliver(evt: dict, lookup=None):
    """What the webhook function does with one delivery: verify the raw body, then apply it."""
    body = json.dumps(evt)
    verified = verify_webhook(body.encode(), sign_webhook(body, SECRET), SECRET)
    return apply_event(verified, lookup=lookup)


def deliver_concurrently(events: list[dict], copies: int = 3, seed: int = 10) -> list[str]:
    """Each event ``copies`` times, shuffled, from 8 threads released together (SPEC scenario 10)."""
    deliveries = [e for e in events for _ in range(copies)]
    random.Random(seed).shuffle(deliveries)
    assert len(deliveries) <= 8, "one thread per delivery, all released at once"
    start = Barrier(len(deliveries))

    def one(evt: dict) -> str:
        start.wait(timeout=10)
        return deliver(evt).outcome

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, deliveries))


def customer(account_id: str) -> Actor:
    return Actor("cust", frozenset({"customers"}), account_id)


def new_order(account_id: str, hours: float = 2, kind: str = "one_time") -> OrderModel:
    order, _ = create_order(customer(account_id), checkout=CHECKOUT, account_id=account_id, hours=hours, kind=kind)
    assert order.checkout_session_id == LocalCheckout.session_id(order.order_id)
    return order


class FakeLookup:
    """The PaymentLookup port as Stripe would answer it (the adapter's HTTP is tested in the unit tests)."""

    def __init__(self, intents: dict[str, dict], invoices: dict[str, dict] | None = None) -> None:
        self.intents, self.invoices, self.asked = intents, invoices or {}, []

    def payment_objects(self, payment_intent):
        self.asked.append(payment_intent)
        return self.intents.get(payment_intent, {"id": payment_intent, "metadata": {}}), self.invoices.get(
            payment_intent
        )


def balance(account_id: str) -> int:
    return int(AccountModel.get(account_id, consistent_read=True).balance_minutes)


def kinds(account_id: str) -> list[str]:
    return [e["kind"] for e in sorted(ledger_items(account_id), key=lambda e: e["seq"])]


# -- paid ----------------------------------------------------------------------------------------------


def test_checkout_completed_paid_credits_once_O1(api, make_account):
    account = make_account("member")
    order = new_order(account)
    assert balance(account) == 0, "credits land only when Stripe says paid, never on the redirect"
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    assert deliver(paid).outcome == "credited"
    assert deliver(paid).outcome == "duplicate"
    assert assert_c7(account) == 120
    stored = OrderModel.get(order.order_id, consistent_read=True)
    assert (stored.status, int(stored.credited_minutes)) == ("paid", 120)
    [entry] = LedgerModel.query(account, consistent_read=True)
    assert entry.at == CREATED_AT.isoformat(), "settled at the event's created time, not when it arrived"


def test_scenario_10_same_event_three_times_concurrently_credits_once_O2(api, make_account):
    account = make_account("non_member")
    order = new_order(account, hours=10)  # P1: $2,850.00 for 600 minutes
    outcomes = deliver_concurrently([event("checkout.session.completed", session(order, payment_intent=sid("pi")))])
    assert sorted(outcomes) == ["credited", "duplicate", "duplicate"]
    assert assert_c7(account) == 600


def one_time_paid(order):
    return [event("checkout.session.completed", session(order, payment_intent=sid("pi")))]


def one_time_async(order):
    pi = sid("pi")
    return [
        event("checkout.session.completed", session(order, status="unpaid", payment_intent=pi)),
        event("checkout.session.async_payment_succeeded", session(order, payment_intent=pi), created=CREATED + 9),
    ]


def subscription_first_invoice(order):
    inv, sub = sid("in"), sid("sub")
    return [
        event("checkout.session.completed", session(order, invoice=inv, subscription=sub)),
        event("invoice.paid", invoice(order, inv, sub)),
    ]


def paid_then_refunded(order):
    pi = sid("pi")
    return [
        event("checkout.session.completed", session(order, payment_intent=pi)),
        event("charge.refunded", charge(order, pi, refunded=int(order.amount_minor)), created=CREATED + 60),
    ]


@pytest.mark.parametrize(
    ("kind", "build", "expected"),
    [
        pytest.param("one_time", one_time_paid, 120, id="completed-paid"),
        pytest.param("one_time", one_time_async, 120, id="completed-unpaid+async-succeeded"),
        pytest.param("recurring", subscription_first_invoice, 300, id="subscription-completed+invoice.paid"),
        pytest.param("one_time", paid_then_refunded, 0, id="paid+refunded-in-any-order"),
    ],
)
def test_each_handled_event_three_times_shuffled_from_8_threads_applies_once_O2(
    api, make_account, kind, build, expected
):
    account = make_account("member")
    order = new_order(account, hours=5 if kind == "recurring" else 2, kind=kind)
    outcomes = deliver_concurrently(build(order))
    assert outcomes.count("credited") == 1, outcomes
    assert assert_c7(account) == expected
    stored = OrderModel.get(order.order_id, consistent_read=True)
    assert int(stored.credited_minutes) == (300 if kind == "recurring" else 120), "credited exactly once"


def test_subscription_completed_and_invoice_paid_for_one_invoice_credit_once_O2_O6(api, make_account):
    account = make_account("member")
    order = new_order(account, hours=5, kind="recurring")  # $600.00 a month
    inv, sub = sid("in"), sid("sub")
    results = [
        deliver(event("invoice.paid", invoice(order, inv, sub))),
        deliver(event("checkout.session.completed", session(order, invoice=inv, subscription=sub))),
    ]
    assert [r.outcome for r in results] == ["credited", "duplicate"]
    assert assert_c7(account) == 300
    # next month's invoice is a new payment of the same order: credited again (O6)
    renewal = invoice(order, sid("in"), sub, billing_reason="subscription_cycle")
    assert deliver(event("invoice.paid", renewal, created=CREATED + 30 * 86400)).outcome == "credited"
    assert assert_c7(account) == 600


def test_unpaid_completed_then_async_succeeded_credits_once(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account)
    pi = sid("pi")
    with unchanged():
        waiting = deliver(event("checkout.session.completed", session(order, status="unpaid", payment_intent=pi)))
    assert (waiting.outcome, waiting.order_id) == ("ignored", order.order_id)
    assert OrderModel.get(order.order_id, consistent_read=True).status == "pending"
    succeeded = event("checkout.session.async_payment_succeeded", session(order, payment_intent=pi))
    assert [deliver(succeeded).outcome for _ in range(2)] == ["credited", "duplicate"]
    assert assert_c7(account) == 120


def test_async_payment_failed_marks_the_order_failed(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account)
    failed = event("checkout.session.async_payment_failed", session(order, status="unpaid", payment_intent=sid("pi")))
    with unchanged(skip=("orders",)):
        assert deliver(failed).outcome == "ignored"
    assert OrderModel.get(order.order_id, consistent_read=True).status == "failed"
    assert balance(account) == 0


def test_payment_completes_a_close_waiting_for_credit_C3(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("non_member", 60)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 60)
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": -60, "kind": "adjustment", "reason": "reversal"}, as_=billing
    )
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body["status"] == "awaiting_credit"
    order = new_order(account, hours=2)
    deliver(event("checkout.session.completed", session(order, payment_intent=sid("pi"))))
    assert api.get(f"/tickets/{ticket}", as_=tech).body["status"] == "closed"
    assert assert_c7(account) == 60


# -- refunds and disputes (O3) ------------------------------------------------------------------------


def test_refund_after_credit_debits_once_and_flags_O3(api, tech, make_account, open_ticket, log_time):
    account = make_account("member")
    order = new_order(account, hours=2)
    pi = sid("pi")
    deliver(event("checkout.session.completed", session(order, payment_intent=pi)))
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 90)
    api.post(f"/tickets/{ticket}/close", as_=tech)  # 120 - 90 = 30
    refund = event("charge.refunded", charge(order, pi, refunded=int(order.amount_minor)), created=CREATED + 60)
    assert [deliver(refund).outcome for _ in range(3)] == ["debited", "duplicate", "duplicate"]
    assert assert_c7(account) == 30 - 120, "the balance may go negative (O3)"
    assert "refunded" in AccountModel.get(account, consistent_read=True).flags
    assert OrderModel.get(order.order_id, consistent_read=True).status == "refunded"


def test_refund_before_paid_ends_right_O2_O3(api, make_account):
    account = make_account("member")
    order = new_order(account)
    pi = sid("pi")
    early = deliver(event("charge.refunded", charge(order, pi, refunded=int(order.amount_minor)), created=CREATED + 60))
    assert early.outcome == "deferred" and balance(account) == 0
    assert deliver(event("checkout.session.completed", session(order, payment_intent=pi))).outcome == "credited"
    assert assert_c7(account) == 0
    assert kinds(account) == ["purchase", "refund"]


@pytest.mark.parametrize("taker", ["charge.refunded", "charge.dispute.created"])
def test_refund_racing_its_payment_is_never_lost_O2_O3(api, make_account, taker):
    """Payment and refund (or dispute) released together, many times: neither may miss the other
    (a refund parked as "before its payment" while the payment commits must still be taken back)."""
    for _ in range(8):
        account = make_account("member")
        order = new_order(account)
        pi = sid("pi")
        lookup = FakeLookup({pi: {"id": pi, "metadata": {"order_id": order.order_id}}})
        back = charge(order, pi, refunded=int(order.amount_minor)) if taker == "charge.refunded" else dispute(order, pi)
        both = [
            event("checkout.session.completed", session(order, payment_intent=pi)),
            event(taker, back, created=CREATED + 60),
        ]
        start = Barrier(2)

        def one(evt: dict, lookup=lookup, start=start) -> str:
            start.wait(timeout=10)
            return deliver(evt, lookup).outcome

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(one, both))
        assert assert_c7(account) == 0, outcomes
        assert kinds(account)[0] == "purchase" and len(kinds(account)) == 2, "credited once, taken back once"


def test_partial_refund_takes_back_its_share_O3(api, make_account):
    account = make_account("member")
    order = new_order(account, hours=4)  # 240 min for $600.00
    pi, ch = sid("pi"), sid("ch")
    deliver(event("checkout.session.completed", session(order, payment_intent=pi)))
    assert deliver(event("charge.refunded", charge(order, pi, refunded=15_000, charge_id=ch))).minutes == 60
    assert assert_c7(account) == 180


def test_dispute_found_through_stripe_takes_back_everything_and_flags_O3(api, make_account):
    """A dispute carries no metadata: the order is found by asking Stripe about its PaymentIntent."""
    account = make_account("member")
    order = new_order(account, hours=3)
    pi = sid("pi")
    deliver(event("checkout.session.completed", session(order, payment_intent=pi)))
    lookup = FakeLookup({pi: {"id": pi, "object": "payment_intent", "metadata": {"order_id": order.order_id}}})
    opened = event("charge.dispute.created", dispute(order, pi), created=CREATED + 86400)
    assert [deliver(opened, lookup).outcome for _ in range(2)] == ["debited", "duplicate"]
    assert lookup.asked == [], "SPEC O3: Hourbank's own record of the credit first, Stripe only as a fallback"
    assert assert_c7(account) == 0
    assert "payment_disputed" in AccountModel.get(account, consistent_read=True).flags
    assert OrderModel.get(order.order_id, consistent_read=True).status == "disputed"


def test_dispute_with_order_metadata_needs_no_lookup_O3(api, make_account):
    account = make_account("member")
    order = new_order(account, hours=2)
    pi = sid("pi")
    deliver(event("checkout.session.completed", session(order, payment_intent=pi)))
    opened = dispute(order, pi)
    opened["metadata"] = {"order_id": order.order_id}
    assert deliver(event("charge.dispute.created", opened)).outcome == "debited"
    assert assert_c7(account) == 0


def test_dispute_whose_order_cannot_be_told_goes_to_review(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account, hours=2)
    pi = sid("pi")
    deliver(event("checkout.session.completed", session(order, payment_intent=pi)))
    # A PaymentIntent Hourbank never credited (O3 finds the ones it did), no lookup configured.
    with unchanged(skip=("reviews",)):  # SPEC O8: only the review is kept
        result = deliver(event("charge.dispute.created", dispute(order, sid("pi"))))
    assert result.outcome == "review" and "names no order" in result.detail
    assert assert_c7(account) == 120


def test_subscription_refund_is_keyed_by_the_invoice_it_paid_O3_O6(api, make_account):
    account = make_account("member")
    order = new_order(account, hours=5, kind="recurring")
    inv, sub, pi = sid("in"), sid("sub"), sid("pi")
    deliver(event("invoice.paid", invoice(order, inv, sub)))
    refund = event("charge.refunded", charge(order, pi, refunded=60_000, metadata=False), created=CREATED + 60)
    # without asking Stripe, a subscription charge names neither order nor invoice: review
    assert deliver(refund).outcome == "review"
    lookup = FakeLookup({}, {pi: invoice(order, inv, sub)})
    assert deliver(refund, lookup).outcome == "debited"
    assert assert_c7(account) == 0


def test_subscription_refund_naming_its_order_but_not_the_invoice_is_flagged(api, make_account):
    account = make_account("member")
    order = new_order(account, hours=5, kind="recurring")
    inv, sub, pi = sid("in"), sid("sub"), sid("pi")
    deliver(event("invoice.paid", invoice(order, inv, sub)))
    result = deliver(event("charge.refunded", charge(order, pi, refunded=60_000)))
    assert result.outcome == "review"
    assert OrderModel.get(order.order_id, consistent_read=True).review, "kept for a person to look at"
    assert assert_c7(account) == 300


# -- nothing to do ------------------------------------------------------------------------------------


def test_unknown_event_type_is_ignored_and_writes_nothing_O2(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account)
    with unchanged():
        result = deliver(event("customer.created", {"id": "cus_Q1x", "object": "customer", "metadata": {}}))
        also = deliver(
            event(
                "payment_intent.succeeded",
                {"id": sid("pi"), "object": "payment_intent", "metadata": {"order_id": order.order_id}},
            )
        )
    assert (result.outcome, also.outcome) == ("ignored", "ignored")
    assert OrderModel.get(order.order_id, consistent_read=True).status == "pending"


def test_event_for_an_unknown_order_goes_to_review_and_credits_nothing(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account)
    ghost = session(order, payment_intent=sid("pi"), reference="ord_doesnotexist", metadata_order="ord_doesnotexist")
    with unchanged(skip=("reviews",)):  # SPEC O8: only the review is kept
        result = deliver(event("checkout.session.completed", ghost))
        invoice_result = deliver(
            event("invoice.paid", {**invoice(order, sid("in"), sid("sub")), "parent": None, "lines": {"data": []}})
        )
    assert (result.outcome, result.order_id) == ("review", "ord_doesnotexist")
    assert invoice_result.outcome == "review"
    assert balance(account) == 0


def test_session_naming_two_different_orders_is_flagged_not_credited(api, make_account, unchanged):
    account = make_account("member")
    order, other = new_order(account), new_order(account)
    mixed = session(order, payment_intent=sid("pi"), metadata_order=other.order_id)
    with unchanged(skip=("orders", "reviews")):  # SPEC O8: the review is kept
        assert deliver(event("checkout.session.completed", mixed)).outcome == "review"
    for order_id in (order.order_id, other.order_id):
        assert OrderModel.get(order_id, consistent_read=True).review


def test_amount_or_currency_not_the_orders_is_flagged_not_credited(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account)
    with unchanged(skip=("orders", "reviews")):  # SPEC O8: the review is kept
        cheap = deliver(event("checkout.session.completed", session(order, payment_intent=sid("pi"), amount=100)))
        euros = deliver(event("checkout.session.completed", session(order, payment_intent=sid("pi"), currency="eur")))
    assert (cheap.outcome, euros.outcome) == ("review", "review")
    assert len(OrderModel.get(order.order_id, consistent_read=True).review) == 2


def test_invoice_naming_an_unknown_hourbank_invoice_goes_to_review(api, make_account, unchanged):
    account = make_account("member")
    order = new_order(account)
    hourbank_invoice = {
        **invoice(order, sid("in"), sid("sub")),
        "parent": None,
        "lines": {"data": []},
        "metadata": {"invoice_id": "inv_2026-11_acc", "account_id": account},
    }
    with unchanged(skip=("reviews",)):  # SPEC O8: only the review is kept
        result = deliver(event("invoice.paid", hourbank_invoice))
    assert result.outcome == "review" and "unknown Hourbank invoice" in result.detail
