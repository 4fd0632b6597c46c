"""Onsite visits through the handlers on DynamoDB Local (SPEC V1, O2, O3, C4, C5, C7; API.md ``/visits``).

Booked by staff, paid through the same signed Stripe webhook as any order (crediting no minutes), worked
in whole hours on the visit's ticket, extended, completed by the ticket's close (unused prepaid hours
refunded once), cancelled, expired; and the race for the last prepaid hour.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier
from zoneinfo import ZoneInfo

import pytest

from hourbank.store.models import AccountModel, OrderModel, VisitChargeModel
from scripts.localdev.lambda_client import claims
from scripts.localdev.stripe_shapes import charge, event, session, sid
from tests.integration.conftest import assert_c7, ledger_items
from tests.integration.test_payment_functions import deliver, deliver_concurrently

pytestmark = pytest.mark.integration

WHEN = "2026-11-24T09:00:00-05:00"  # a Tuesday in business hours, in the past


def at(hour: int, minute: int = 0) -> str:
    return f"2026-11-24T{hour:02d}:{minute:02d}:00-05:00"


@pytest.fixture
def book(api, tech):
    def book_(account_id: str, estimate_hours: int = 2, expect: int = 201, **extra):
        body = {
            "account_id": account_id,
            "scheduled_at": WHEN,
            "address": "12 Harbour Road, Springfield",
            "estimate_hours": estimate_hours,
            "opened_at": "2026-11-23T15:00:00-05:00",
            **extra,
        }
        reply = api.post("/visits", body, as_=tech)
        assert reply.status == expect, reply
        return reply.body

    return book_


def pay(api, order_id: str, *, concurrently: bool = False) -> str:
    """The order's Checkout Session paid, as Stripe reports it (signed): returns the PaymentIntent."""
    order = OrderModel.get(order_id, consistent_read=True)
    intent = sid("pi")
    paid = event("checkout.session.completed", session(order, payment_intent=intent))
    if concurrently:
        replies = deliver_concurrently(api, [paid], copies=3)
        assert all(r.status == 200 for r in replies), replies
    else:
        assert deliver(api, paid).status == 200
    return intent


def entry(api, tech, ticket_id: str, minutes: int, work_type: str = "onsite", start: str = WHEN):
    return api.post(
        f"/tickets/{ticket_id}/time-entries",
        {"work_type": work_type, "started_at": start, "minutes": minutes, "note": "onsite work"},
        as_=tech,
    )


def visit_of(api, visit_id: str, as_) -> dict:
    reply = api.get(f"/visits/{visit_id}", as_=as_)
    assert reply.status == 200, reply
    return reply.body


# -- booking and price (V1) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "estimate", "rate", "base", "price"),
    [
        ("non_member", 1, None, None, 35_000),  # the base fee alone: trip + first hour
        ("member", 3, None, None, 65_000),  # $350 + 2 x $150 = $650 (already whole $25 increments)
        ("non_member", 3, 11_000, None, 57_500),  # $350 + ceil($220 / $25) x $25 = $575
        ("member", 2, 9_999, 40_000, 50_000),  # base overridden: $400 + ceil($99.99 / $25) x $25 = $500
    ],
)
def test_booking_is_priced_by_V1_and_opens_its_own_ticket(
    api, tech, make_account, book, plan, estimate, rate, base, price
):
    account = make_account(plan)
    extra = {k: v for k, v in (("additional_hour_rate_minor", rate), ("base_fee_minor", base)) if v}
    booked = book(account, estimate, **extra)
    assert booked["status"] == "awaiting_payment" and booked["prepaid_hours"] == 0
    assert booked["price"] == {"currency": "USD", "amount_minor": price}
    assert booked["order_id"].startswith("ord_") and "/local-pay/" in booked["checkout_url"]
    ticket = api.get(f"/tickets/{booked['ticket_id']}", as_=tech).body
    assert ticket["visit_id"] == booked["visit_id"]
    assert ticket["status"] == "open" and ticket["opened_at"] == "2026-11-23T15:00:00-05:00"
    order = api.get(f"/orders/{booked['order_id']}").body
    assert order["price"]["amount_minor"] == price and order["minutes"] == 0 and order["visit_id"] == booked["visit_id"]


def test_only_staff_book_and_owners_see_their_own_visit(api, tech, make_account, book, unchanged):
    account, other = make_account("member"), make_account("member")
    body = {"account_id": account, "scheduled_at": WHEN, "address": "1 Main St", "estimate_hours": 2}
    with unchanged():
        assert api.post("/visits", body, as_=claims("customer", account)).status == 403
    booked = book(account)
    assert api.get(f"/visits/{booked['visit_id']}", as_=claims("customer", account)).status == 200
    assert api.get(f"/visits/{booked['visit_id']}", as_=claims("customer", other)).status == 404
    assert api.get("/visits/vis_nothing.acc_nothing", as_=tech).status == 404
    assert api.get("/visits/not-a-visit", as_=tech).status == 404
    owner, stranger = claims("customer", account), claims("customer", other)
    with unchanged():  # the owner may see the visit but not change it (403); another tenant sees nothing (404)
        assert api.post(f"/visits/{booked['visit_id']}/extensions", {"hours": 1}, as_=owner).status == 403
        assert api.post(f"/visits/{booked['visit_id']}/cancel", {"reason": "x"}, as_=owner).status == 403
        assert api.post(f"/visits/{booked['visit_id']}/extensions", {"hours": 1}, as_=stranger).status == 404
        assert api.post(f"/visits/{booked['visit_id']}/cancel", {"reason": "x"}, as_=stranger).status == 404
        assert api.post("/visits", {**body, "account_id": other}, as_=owner).status == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"estimate_hours": 0}, "estimate_hours"),
        ({"estimate_hours": 1.5}, "estimate_hours"),
        ({"estimate_hours": 25}, "estimate_hours"),
        ({"additional_hour_rate_minor": -1}, "additional_hour_rate_minor"),
        ({"address": ""}, "address"),
        ({"scheduled_at": "tomorrow"}, "scheduled_at"),
        ({"scheduled_at": "2026-11-24T09:00:00"}, "scheduled_at"),
        ({"opened_at": "2099-01-01T00:00:00Z"}, "opened_at"),
        ({"account_id": "acc_nobody"}, "account not found"),
        ({"hours": 3}, "hours: is not a field"),
    ],
)
def test_bad_booking_is_refused_and_writes_nothing(api, tech, make_account, unchanged, change, message):
    body = {
        "account_id": make_account("member"),
        "scheduled_at": WHEN,
        "address": "1 Main St",
        "estimate_hours": 2,
        **change,
    }
    with unchanged():
        reply = api.post("/visits", body, as_=tech)
    assert reply.status in (400, 404), reply
    assert message in reply.body["error"]["message"]


def test_a_plan_without_onsite_work_cannot_book(api, make_account, book, unchanged):
    account = make_account("unlimited_remote")
    with unchanged():
        reply = book(account, expect=400)
    assert "no onsite work" in reply["error"]["message"]


def test_the_same_booking_key_books_once(api, tech, make_account):
    account = make_account("member")
    body = {"account_id": account, "scheduled_at": WHEN, "address": "1 Main St", "estimate_hours": 2}
    key = {"idempotency-key": sid("book")}
    start = Barrier(4)

    def one(_):
        start.wait(timeout=10)
        return api.post("/visits", body, as_=tech, headers=key)

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(one, range(4)))
    assert all(r.status == 201 for r in replies), replies
    assert len({r.body["visit_id"] for r in replies}) == 1 and len({r.body["checkout_url"] for r in replies}) == 1
    different = api.post("/visits", {**body, "estimate_hours": 3}, as_=tech, headers=key)
    assert different.status == 409


# -- payment, work, extension, completion ------------------------------------------------------------


def test_a_visit_booked_paid_worked_extended_and_completed_V1(api, tech, make_account, book, unchanged):
    account = make_account("non_member")  # no balance at all: the visit is paid in money, not credits
    booked = book(account, 2, additional_hour_rate_minor=11_000)  # $350 + $125 = $475
    visit_id, ticket_id = booked["visit_id"], booked["ticket_id"]

    with unchanged():  # SPEC V1: any entry before the visit is paid is refused
        refused = entry(api, tech, ticket_id, 30, "travel")
    assert refused.status == 402 and refused.body["error"]["code"] == "visit_not_paid"

    intent = pay(api, booked["order_id"], concurrently=True)  # O2: three concurrent deliveries, paid once
    shown = visit_of(api, visit_id, tech)
    assert (shown["status"], shown["prepaid_hours"], shown["paid"]["amount_minor"]) == ("confirmed", 2, 47_500)
    assert shown["expires_at"] is None  # paid: out of the expiry sweep's list
    assert AccountModel.get(account).balance_minutes == 0 and ledger_items(account) == []  # no minutes credited

    assert entry(api, tech, ticket_id, 45, "travel", at(8, 15)).status == 201  # the trip charge's: 0 h
    assert entry(api, tech, ticket_id, 61, "onsite", at(9)).status == 201  # 61 min = 2 whole hours
    with unchanged():
        past = entry(api, tech, ticket_id, 60, "onsite", at(10, 1))  # 121 min would be 3 h of 2 prepaid
    assert past.status == 402, past
    assert past.body["error"]["code"] == "visit_hours_exhausted"
    assert past.body["error"]["details"]["hours_to_add"] == 1 and "add 1 h" in past.body["error"]["message"]
    with unchanged():
        remote = entry(api, tech, ticket_id, 10, "remote", at(10, 1))
    assert remote.status == 400 and "onsite and travel" in remote.body["error"]["message"]

    ext = api.post(f"/visits/{visit_id}/extensions", {"hours": 2}, as_=tech)
    assert ext.status == 201, ext
    # V1 at the visit's rate, the $25 increments on the visit's total: $350 + ceil($330/$25)x$25 - $475 = $225
    assert (
        ext.body["price"]["amount_minor"] == 22_500
        and ext.body["hours"] == 2
        and "/local-pay/" in ext.body["checkout_url"]
    )
    assert entry(api, tech, ticket_id, 60, "onsite", at(10, 1)).status == 402  # not paid yet
    ext_intent = pay(api, ext.body["order_id"])
    assert visit_of(api, visit_id, tech)["prepaid_hours"] == 4
    assert entry(api, tech, ticket_id, 60, "onsite", at(10, 1)).status == 201  # 121 min = 3 h of 4 prepaid
    assert visit_of(api, visit_id, tech)["used_hours"] == 3

    closed = api.post(f"/tickets/{ticket_id}/close", as_=tech)
    assert closed.status == 200, closed
    assert (closed.body["consumed_minutes"], closed.body["debited_minutes"]) == (0, 0)  # paid in money
    done = visit_of(api, visit_id, tech)
    assert done["status"] == "completed" and done["used_hours"] == 3 and done["unused_hours"] == 1
    # Paid $475 + $225 = $700; 3 h used cost $350 + ceil($220/$25) x $25 = $575 by V1: $125 back, from the
    # newest payment first.
    assert done["refund_due"]["amount_minor"] == 12_500 and done["refunded"]["amount_minor"] == 12_500
    assert [r["amount"]["amount_minor"] for r in done["refunds"]] == [12_500]
    assert done["refunds"][0]["refund_id"].startswith("re_local_")
    again = api.post(f"/tickets/{ticket_id}/close", as_=tech)  # SPEC C5: the first result, no second refund
    assert again.status == 200 and visit_of(api, visit_id, tech)["refunded"]["amount_minor"] == 12_500
    assert AccountModel.get(account).balance_minutes == 0 and ledger_items(account) == []
    assert_c7(account)
    money = VisitChargeModel.query(account, VisitChargeModel.charge_key.startswith("visit#"), consistent_read=True)
    lines = [(c.what, int(c.amount_minor)) for c in money]
    assert sorted(lines) == sorted([("visit", 47_500), ("visit_extension", 22_500), ("refund", -12_500)])
    assert intent != ext_intent

    # SPEC M3 + V1: the visit's money on the customer's statement (payments in the month Stripe took them,
    # the refund in the month it was made), JSON and CSV; the balance lines are untouched.
    owner = claims("customer", account)
    november = api.get(f"/accounts/{account}/statements/2026-11", as_=owner)
    assert november.status == 200, november
    assert sorted((v["kind"], v["amount"]["amount_minor"]) for v in november.body["visits"]) == [
        ("visit", 47_500),
        ("visit_extension", 22_500),
    ]  # both at the fixtures' one event time
    assert november.body["ledger"] == [] and november.body["closing_balance_minutes"] == 0
    this_month = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m")
    refund_month = api.get(f"/accounts/{account}/statements/{this_month}", as_=owner).body
    assert [(v["kind"], v["amount"]["amount_minor"]) for v in refund_month["visits"]] == [("refund", -12_500)]
    (visit_ticket,) = refund_month["tickets"]  # M3: the visit's ticket and its entries, consuming nothing
    assert visit_ticket["ticket_id"] == ticket_id and visit_ticket["consumed_minutes"] == 0
    assert [e["work_type"] for e in visit_ticket["entries"]] == ["travel", "onsite", "onsite"]
    assert refund_month["charges"] == [] and refund_month["consumption_minutes"] == 0
    csv_text = api.get(f"/accounts/{account}/statements/2026-11", as_=owner, headers={"accept": "text/csv"}).body
    assert csv_text.count("\r\nvisit,") == 2 and ",47500,USD" in csv_text


def test_two_entries_racing_for_the_last_prepaid_hour_never_both_pass_V1(api, tech, make_account, book):
    account = make_account("member")
    booked = book(account, 1)
    pay(api, booked["order_id"])
    ticket_id = booked["ticket_id"]
    assert entry(api, tech, ticket_id, 20, "onsite", at(9)).status == 201  # 40 min of the hour left
    start = Barrier(6)

    def one(n: int):
        start.wait(timeout=10)
        return entry(api, tech, ticket_id, 30, "onsite", at(10 + n))  # any two together pass the hour

    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(one, range(6)))
    assert sorted(r.status for r in replies) == [201, 402, 402, 402, 402, 402], replies
    shown = visit_of(api, booked["visit_id"], tech)
    assert shown["used_minutes"] == 50 and shown["used_hours"] == 1


def test_unused_hours_of_a_short_visit_are_refunded_once_even_when_closes_race(api, tech, make_account, book):
    account = make_account("member")
    booked = book(account, 4)  # $350 + 3 x $150 = $800
    pay(api, booked["order_id"])
    assert entry(api, tech, booked["ticket_id"], 50, "onsite", at(9)).status == 201  # 1 h: the base fee's
    start = Barrier(4)

    def close(_):
        start.wait(timeout=10)
        return api.post(f"/tickets/{booked['ticket_id']}/close", as_=tech)

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(close, range(4)))
    assert all(r.status == 200 for r in replies), replies
    done = visit_of(api, booked["visit_id"], tech)
    assert done["refund_due"]["amount_minor"] == 45_000 and done["refunded"]["amount_minor"] == 45_000
    assert len(done["refunds"]) == 1


# -- cancellation, expiry, refunds from Stripe --------------------------------------------------------


def test_cancelling_a_paid_visit_before_work_refunds_it_in_full(api, tech, make_account, book):
    account = make_account("member")
    booked = book(account, 2)
    pay(api, booked["order_id"])
    reply = api.post(f"/visits/{booked['visit_id']}/cancel", {"reason": "customer fixed it"}, as_=tech)
    assert reply.status == 200, reply
    assert reply.body["status"] == "cancelled" and reply.body["refunded"]["amount_minor"] == 50_000
    assert api.post(f"/visits/{booked['visit_id']}/cancel", {"reason": "again"}, as_=tech).body["refunded"] == {
        "currency": "USD",
        "amount_minor": 50_000,
    }
    assert api.get(f"/tickets/{booked['ticket_id']}", as_=tech).body["status"] == "closed"
    assert entry(api, tech, booked["ticket_id"], 10).status == 409
    assert api.post(f"/visits/{booked['visit_id']}/extensions", {"hours": 1}, as_=tech).status == 409


def test_a_visit_with_time_logged_is_completed_not_cancelled(api, tech, make_account, book, unchanged):
    booked = book(make_account("member"), 2)
    pay(api, booked["order_id"])
    assert entry(api, tech, booked["ticket_id"], 30, "travel").status == 201
    with unchanged():
        reply = api.post(f"/visits/{booked['visit_id']}/cancel", {"reason": "too late"}, as_=tech)
    assert reply.status == 409 and "close the ticket" in reply.body["error"]["message"]


def test_a_payment_landing_after_cancellation_is_refunded(api, tech, make_account, book):
    booked = book(make_account("member"), 2)
    assert api.post(f"/visits/{booked['visit_id']}/cancel", {"reason": "no longer needed"}, as_=tech).status == 200
    pay(api, booked["order_id"])
    shown = visit_of(api, booked["visit_id"], tech)
    assert shown["status"] == "cancelled" and shown["prepaid_hours"] == 0
    assert shown["paid"]["amount_minor"] == 50_000 and shown["refunded"]["amount_minor"] == 50_000


def test_an_unpaid_visit_expires_and_leaves_nothing_behind(api, tech, make_account, book):
    from scripts.localdev.lambda_runtime import functions, invoke

    account = make_account("member")
    unpaid, paid = book(account, 2), book(account, 2)
    pay(api, paid["order_id"])
    sweep = functions(strict=False)["VisitExpiryFunction"]
    early = invoke(sweep, {"at": (datetime.now(UTC) + timedelta(hours=23)).isoformat()}, source="test")
    assert early["expired"] == 0 and visit_of(api, unpaid["visit_id"], tech)["status"] == "awaiting_payment"
    later = invoke(
        sweep, {"time": (datetime.now(UTC) + timedelta(hours=26)).strftime("%Y-%m-%dT%H:%M:%SZ")}, source="test"
    )
    assert later["expired"] >= 1
    assert api.get(f"/visits/{unpaid['visit_id']}", as_=tech).status == 404
    assert api.get(f"/tickets/{unpaid['ticket_id']}", as_=tech).status == 404
    assert api.get(f"/orders/{unpaid['order_id']}").status == 404
    from hourbank.store.models import TicketModel

    assert list(TicketModel._get_connection().query(unpaid["ticket_id"], consistent_read=True)["Items"]) == []
    assert visit_of(api, paid["visit_id"], tech)["status"] == "confirmed"  # paid: kept


def test_a_refund_made_in_stripe_takes_back_the_hours_it_bought_O3(api, tech, make_account, book):
    booked = book(make_account("member"), 1)
    pay(api, booked["order_id"])
    ext = api.post(f"/visits/{booked['visit_id']}/extensions", {"hours": 2}, as_=tech).body
    intent = pay(api, ext["order_id"])
    assert visit_of(api, booked["visit_id"], tech)["prepaid_hours"] == 3
    order = OrderModel.get(ext["order_id"], consistent_read=True)
    refunded = event("charge.refunded", charge(order, intent, refunded=int(order.amount_minor)))
    assert deliver(api, refunded).status == 200
    assert deliver(api, refunded).status == 200  # redelivered: nothing more
    shown = visit_of(api, booked["visit_id"], tech)
    assert shown["prepaid_hours"] == 1 and "payment_refunded" in shown["flags"]
    assert entry(api, tech, booked["ticket_id"], 61, "onsite").status == 402


def test_two_events_for_one_visit_payment_confirm_it_once_O2(api, tech, make_account, book):
    booked = book(make_account("member"), 2)
    order = OrderModel.get(booked["order_id"], consistent_read=True)
    intent = sid("pi")
    completed = event("checkout.session.completed", session(order, payment_intent=intent))
    succeeded = event("checkout.session.async_payment_succeeded", session(order, payment_intent=intent))
    replies = deliver_concurrently(api, [completed, succeeded], copies=3)
    assert all(r.status == 200 for r in replies), replies
    shown = visit_of(api, booked["visit_id"], tech)
    assert (shown["prepaid_hours"], shown["paid"]["amount_minor"]) == (2, 50_000)
    assert (
        len(
            list(
                VisitChargeModel.query(
                    booked["account_id"], VisitChargeModel.charge_key.startswith("visit#"), consistent_read=True
                )
            )
        )
        == 1
    )


def test_a_visit_payment_of_the_wrong_amount_is_kept_for_review_O8(api, tech, make_account, book):
    booked = book(make_account("member"), 2)
    order = OrderModel.get(booked["order_id"], consistent_read=True)
    wrong = event("checkout.session.completed", session(order, payment_intent=sid("pi"), amount=100))
    assert deliver(api, wrong).body["outcome"] == "review"
    assert visit_of(api, booked["visit_id"], tech)["status"] == "awaiting_payment"
    assert OrderModel.get(booked["order_id"], consistent_read=True).review


def test_a_retried_entry_that_took_the_last_hour_returns_its_first_result_V1(api, tech, make_account, book):
    booked = book(make_account("member"), 1)
    pay(api, booked["order_id"])
    body = {"work_type": "onsite", "started_at": WHEN, "minutes": 60, "note": "the whole hour"}
    key = {"idempotency-key": sid("entry")}
    first = api.post(f"/tickets/{booked['ticket_id']}/time-entries", body, as_=tech, headers=key)
    again = api.post(f"/tickets/{booked['ticket_id']}/time-entries", body, as_=tech, headers=key)
    assert (first.status, again.status) == (201, 200), again
    assert again.body["entry_id"] == first.body["entry_id"]
    assert visit_of(api, booked["visit_id"], tech)["used_minutes"] == 60


def test_an_emergency_change_on_a_visits_ticket_never_touches_the_balance_V1(api, tech, make_account, book):
    account = make_account("non_member")
    booked = book(account, 2)
    pay(api, booked["order_id"])
    assert entry(api, tech, booked["ticket_id"], 60, "onsite", at(9)).status == 201
    # Dated before the entry: the entry is re-rated (T3), but the visit is paid in money, not credits.
    upgrade = api.post(f"/tickets/{booked['ticket_id']}/emergency", {"active": True, "at": at(8, 30)}, as_=tech)
    assert upgrade.status == 200, upgrade
    shown = AccountModel.get(account, consistent_read=True)
    assert (shown.balance_minutes, shown.committed_minutes, shown.available_minutes) == (0, 0, 0)
    assert upgrade.body["projected_consumption_minutes"] == 0
    assert_c7(account)
