"""Orders and payment settlement (SPEC O1-O3, P1, O6, C3, C7) against DynamoDB Local.

The HTTP routes and the Stripe adapter come with the payments issue; these tests drive the domain the
webhook function will call, with a fake checkout port, and prove exactly-once crediting under
duplicated, reordered and concurrent deliveries.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier

import pytest

from hourbank.kernel.errors import Conflict, InvalidInput, NotFound, Unauthorized
from hourbank.kernel.identity import Actor
from hourbank.orders.payment_settlement import settle_dispute, settle_failed, settle_paid, settle_refund
from hourbank.orders.placing import create_order
from hourbank.store.models import AccountModel, OrderModel
from tests.integration.conftest import assert_c7, ledger_items

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class FakeCheckout:
    """Records calls; idempotent per order as the Stripe adapter is (idempotency key from the order)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def create_checkout(self, order, account):
        self.calls.append(order.order_id)
        return f"cs_test_{order.order_id}", f"https://checkout.example/{order.order_id}"


def customer(account_id: str) -> Actor:
    return Actor("cust", frozenset({"customers"}), account_id)


@pytest.fixture
def checkout():
    return FakeCheckout()


@pytest.mark.parametrize(
    ("plan", "hours", "kind", "amount"),
    [
        pytest.param("non_member", 10, "one_time", 285_000, id="P1-non-member-10h-5pct-off-2850"),
        pytest.param("non_member", 9.5, "one_time", 285_000, id="P1-9.5h-no-discount"),
        pytest.param("member", 2, "one_time", 30_000, id="O1-member-2h-300"),
        pytest.param("member", 5, "recurring", 60_000, id="O6-member-recurring-5h-600"),
        pytest.param("member", 10, "recurring", 114_000, id="O6-P1-recurring-10h-5pct-off"),
    ],
)
def test_orders_are_priced_by_plan_and_bulk_rule_P1_O6(api, make_account, checkout, plan, hours, kind, amount):
    account = make_account(plan)
    order, quote = create_order(customer(account), checkout=checkout, account_id=account, hours=hours, kind=kind)
    assert (quote.amount_minor, order.amount_minor, order.status) == (amount, amount, "pending")
    assert order.checkout_url == f"https://checkout.example/{order.order_id}"
    assert AccountModel.get(account).balance_minutes == 0, "credits land only when paid (O1)"


@pytest.mark.parametrize(
    ("hours", "kind", "plan", "message"),
    [
        pytest.param(0.5, "one_time", "member", "between 1", id="P1-under-1h"),
        pytest.param(1.25, "one_time", "member", "half-hour steps", id="P1-not-30min-steps"),
        pytest.param(500.5, "one_time", "member", "between 1", id="over-500h"),
        pytest.param("ten", "one_time", "member", "a number", id="not-a-number"),
        pytest.param(2, "recurring", "non_member", "for members", id="O6-recurring-members-only"),
        pytest.param(2, "one_time", "unlimited_remote", "does not sell", id="flat-plan-sells-no-time"),
    ],
)
def test_bad_orders_write_nothing(api, make_account, checkout, unchanged, hours, kind, plan, message):
    account = make_account(plan)
    with unchanged(), pytest.raises(InvalidInput, match=message):
        create_order(customer(account), checkout=checkout, account_id=account, hours=hours, kind=kind)
    assert checkout.calls == []


def test_customer_cannot_order_for_another_account(api, make_account, checkout, unchanged):
    mine, theirs = make_account("member"), make_account("member")
    with unchanged(), pytest.raises(NotFound):
        create_order(customer(mine), checkout=checkout, account_id=theirs, hours=2)
    with unchanged(), pytest.raises(Unauthorized):  # anonymous: sign in first
        create_order(None, checkout=checkout, account_id=theirs, hours=2)


def test_new_customer_order_opens_a_non_member_account_once_paid_O1_O7(api, checkout):
    order, quote = create_order(None, checkout=checkout, name="Corner Bakery", email="owner@o1.bakery.example", hours=4)
    with pytest.raises(AccountModel.DoesNotExist):  # SPEC O7: no account until the order is paid
        AccountModel.get(order.account_id)
    settle_paid(order.order_id, payment_ref="pi_o1_bakery", amount_minor=120_000, currency="usd", at=NOW)
    account = AccountModel.get(order.account_id)
    assert (account.plan, account.email, quote.amount_minor) == ("non_member", "owner@o1.bakery.example", 120_000)


def test_same_form_submitted_twice_is_one_order(api, make_account, checkout):
    account = make_account("member")
    first, _ = create_order(customer(account), checkout=checkout, account_id=account, hours=3, idempotency_key="form-1")
    again, _ = create_order(customer(account), checkout=checkout, account_id=account, hours=3, idempotency_key="form-1")
    assert again.order_id == first.order_id and checkout.calls == [first.order_id]
    with pytest.raises(Conflict):
        create_order(customer(account), checkout=checkout, account_id=account, hours=4, idempotency_key="form-1")


def _paid_order(checkout, account, hours=2):
    order, _ = create_order(customer(account), checkout=checkout, account_id=account, hours=hours)
    return order


def test_same_payment_delivered_many_times_concurrently_credits_once_O2(api, make_account, checkout):
    """SPEC scenario 10, and "two event types for one payment credit once": 3 deliveries each of
    checkout.session.completed and invoice.paid for the same payment, shuffled, from 8 threads."""
    account = make_account("member")
    order = _paid_order(checkout, account)
    deliveries = [("in_123", order.amount_minor)] * 6
    random.Random(3).shuffle(deliveries)
    start = Barrier(len(deliveries))

    def deliver(args):
        start.wait()
        return settle_paid(order.order_id, payment_ref=args[0], amount_minor=args[1], currency="usd", at=NOW)

    with ThreadPoolExecutor(8) as pool:
        outcomes = [r.outcome for r in pool.map(deliver, deliveries)]
    assert sorted(outcomes) == ["credited"] + ["duplicate"] * 5
    assert assert_c7(account) == 120
    assert OrderModel.get(order.order_id).status == "paid"


def test_amount_or_currency_mismatch_is_flagged_not_credited_O2(api, make_account, checkout):
    account = make_account("member")
    order = _paid_order(checkout, account)
    for amount, currency in ((order.amount_minor - 1, "usd"), (order.amount_minor, "eur")):
        result = settle_paid(
            order.order_id, payment_ref=f"pi_{currency}", amount_minor=amount, currency=currency, at=NOW
        )
        assert result.outcome == "review"
    assert AccountModel.get(account).balance_minutes == 0
    assert len(OrderModel.get(order.order_id).review) == 2
    assert settle_paid("ord_unknown", payment_ref="pi_x", amount_minor=1, currency="usd", at=NOW).outcome == "review"


def test_refund_after_credit_debits_once_and_flags_O3(api, make_account, checkout, tech, open_ticket, log_time):
    account = make_account("member")
    order = _paid_order(checkout, account, hours=2)
    settle_paid(order.order_id, payment_ref="pi_1", amount_minor=order.amount_minor, currency="usd", at=NOW)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 90)
    api.post(f"/tickets/{ticket}/close", as_=tech)  # balance 120 - 90 = 30
    for _ in range(3):
        settle_refund(order.order_id, payment_ref="pi_1", charge_ref="ch_1", refunded_minor=order.amount_minor, at=NOW)
    assert assert_c7(account) == 30 - 120  # the balance may go negative (O3)
    assert "refunded" in AccountModel.get(account).flags
    assert OrderModel.get(order.order_id).status == "refunded"


def test_partial_refunds_in_any_order_take_back_their_share_O3(api, make_account, checkout):
    account = make_account("member")
    order = _paid_order(checkout, account, hours=4)  # 240 min for 60000
    settle_paid(order.order_id, payment_ref="pi_2", amount_minor=order.amount_minor, currency="usd", at=NOW)
    # Cumulative refunded amounts 30000 then 15000 delivered out of order: the larger wins, once.
    settle_refund(order.order_id, payment_ref="pi_2", charge_ref="ch_2", refunded_minor=30_000, at=NOW)
    settle_refund(order.order_id, payment_ref="pi_2", charge_ref="ch_2", refunded_minor=15_000, at=NOW)
    assert assert_c7(account) == 120


def test_refund_before_payment_still_ends_right_O2_O3(api, make_account, checkout):
    account = make_account("member")
    order = _paid_order(checkout, account)
    early = settle_refund(
        order.order_id, payment_ref="pi_3", charge_ref="ch_3", refunded_minor=order.amount_minor, at=NOW
    )
    assert early.outcome == "deferred" and AccountModel.get(account).balance_minutes == 0
    settle_paid(order.order_id, payment_ref="pi_3", amount_minor=order.amount_minor, currency="usd", at=NOW)
    assert assert_c7(account) == 0
    assert [e["kind"] for e in sorted(ledger_items(account), key=lambda e: e["seq"])] == ["purchase", "refund"]


def test_dispute_takes_back_everything_and_flags_O3(api, make_account, checkout):
    account = make_account("member")
    order = _paid_order(checkout, account, hours=3)
    settle_paid(order.order_id, payment_ref="pi_4", amount_minor=order.amount_minor, currency="usd", at=NOW)
    for _ in range(2):
        settle_dispute(order.order_id, payment_ref="pi_4", dispute_ref="dp_1", at=NOW)
    assert assert_c7(account) == 0
    assert "payment_disputed" in AccountModel.get(account).flags


def test_async_payment_failure_marks_the_order(api, make_account, checkout):
    account = make_account("member")
    order = _paid_order(checkout, account)
    settle_failed(order.order_id, payment_ref="pi_5")
    assert OrderModel.get(order.order_id).status == "failed"
    assert AccountModel.get(account).balance_minutes == 0


def test_payment_completes_a_close_waiting_for_credit_C3(
    api, tech, billing, make_account, open_ticket, log_time, checkout
):
    account = make_account("non_member", 60)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 60)
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": -60, "kind": "adjustment", "reason": "reversal"}, as_=billing
    )
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body["status"] == "awaiting_credit"
    order = _paid_order(checkout, account, hours=2)
    settle_paid(order.order_id, payment_ref="pi_6", amount_minor=order.amount_minor, currency="usd", at=NOW)
    assert api.get(f"/tickets/{ticket}", as_=tech).body["status"] == "closed"
    assert assert_c7(account) == 60
