"""Issue 10, "Money at the edges": every hole found from outside, as a rule with its SPEC id, against
DynamoDB Local through the API handlers (M1, T8, C4, C6, O3, O4, O7, O8 and the smaller ones).

Each test failed on the code before the change that made it pass.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from devstack.lambda_client import ROOT
from hourbank.ports.settings import get_settings
from tests.integration.conftest import assert_c7
from tests.support.zones import night_zone

pytestmark = pytest.mark.integration


def now() -> datetime:
    return datetime.now(UTC)


def ago(**delta) -> str:
    return (now() - timedelta(**delta)).isoformat(timespec="seconds")


def ahead(**delta) -> str:
    return (now() + timedelta(**delta)).isoformat(timespec="seconds")


def error(reply, status: int, *words: str) -> dict:
    assert reply.status == status, reply
    assert set(reply.body) == {"error"} and set(reply.body["error"]) >= {"code", "message"}, reply
    for word in words:
        assert word in reply.body["error"]["message"], reply
    return reply.body["error"]


def load_function(name: str):
    spec = importlib.util.spec_from_file_location(f"fn_{name}", ROOT / "functions" / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- 1. SPEC M1: month end closes only months that have ended -------------------------------------------


def running_month() -> str:
    return now().astimezone(get_settings().calendar().tz).strftime("%Y-%m")


def test_close_month_refuses_the_running_and_future_months_and_writes_nothing_M1(api, make_account, unchanged):
    from hourbank.kernel.errors import InvalidInput
    from hourbank.monthend import month_close
    from hourbank.statements.monthly_statement import next_month

    account = make_account("member")
    tz = get_settings().calendar().tz
    for month in (running_month(), next_month(running_month())):
        with unchanged(), pytest.raises(InvalidInput, match="ended"):
            month_close.close_month(account, month, tz, now=now())


def test_the_planner_refuses_the_running_month_and_a_schedule_dated_ahead_M1(api):
    from hourbank.kernel.errors import InvalidInput
    from hourbank.statements.monthly_statement import month_bounds, next_month

    planner = load_function("month_end_planner")
    with pytest.raises(InvalidInput, match="running month"):
        planner._month({"month": running_month()})
    ahead_of_time = month_bounds(next_month(running_month()), get_settings().calendar().tz)[0] + timedelta(hours=1)
    with pytest.raises(InvalidInput, match="ended"):
        planner._month({"time": ahead_of_time.isoformat()})
    assert planner._month({"time": now().isoformat()}) < running_month()  # the schedule's own run: last month


def test_the_worker_refuses_a_page_for_the_running_month_M1(api, make_account, unchanged):
    import json

    worker = load_function("month_end_worker")
    account = make_account("member")
    record = {
        "messageId": "m1",
        "receiptHandle": "r",
        "body": json.dumps({"month": running_month(), "account_ids": [account]}),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
        "awsRegion": "us-east-1",
    }
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from hourbank.kernel.errors import InvalidInput

    with unchanged(), pytest.raises(InvalidInput, match="running month"):
        worker.handle(SQSRecord(record))


# -- 6. SPEC T8: entries that cannot have happened --------------------------------------------------------


@pytest.fixture
def fresh_ticket(api, tech, make_account):
    """A member ticket opened 3 hours ago (the time a customer phoned), balance 600."""
    account = make_account("member", 600)
    reply = api.post(
        "/tickets",
        {"account_id": account, "title": "Mail down", "priority": "normal", "opened_at": ago(hours=3)},
        as_=tech,
    )
    assert reply.status == 201, reply
    return account, reply.body["ticket_id"]


@pytest.mark.parametrize(
    ("started", "minutes", "field", "why"),
    [
        pytest.param(lambda: ago(hours=4), 30, "started_at", "before the ticket was opened", id="before-opened"),
        pytest.param(lambda: "2001-06-01T10:00:00+00:00", 30, "started_at", "before the ticket", id="dated-2001"),
        pytest.param(lambda: ago(minutes=30), 600, "minutes", "future", id="ends-ten-hours-ahead"),
        pytest.param(lambda: ahead(hours=1), 30, "started_at", "future", id="starts-ahead"),
    ],
)
def test_entries_that_cannot_have_happened_are_refused_T8(
    api, tech, fresh_ticket, unchanged, started, minutes, field, why
):
    _, ticket = fresh_ticket
    with unchanged():
        reply = api.post(
            f"/tickets/{ticket}/time-entries",
            {"work_type": "remote", "started_at": started(), "minutes": minutes, "note": "n"},
            as_=tech,
        )
    assert error(reply, 400, why)["message"].startswith(f"{field}:")


def test_entries_within_the_clock_skew_are_accepted_T8(api, tech, fresh_ticket):
    _, ticket = fresh_ticket
    # Two minutes before the ticket was opened (the technician's watch is ahead) and ending two minutes from
    # now (the server's clock is behind): both within "a few minutes of clock skew".
    early = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "minutes": 30, "note": "n", "started_at": ago(hours=3, minutes=2)},
        as_=tech,
    )
    assert early.status == 201, early
    late = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "minutes": 32, "note": "n", "started_at": ago(minutes=30)},
        as_=tech,
    )
    assert late.status == 201, late


# -- 5. SPEC C4: re-rating through an emergency change is gated like a time entry ---------------------------


def non_member_with_logged_time(api, tech, make_account):
    """Non-member, 240 minutes of credit, a ticket opened 3 h ago with 120 minutes logged at night (after
    hours, x2: projected 240, available 0)."""
    account = make_account("non_member", 240, timezone=night_zone())
    opened = ago(hours=3)
    ticket = api.post(
        "/tickets", {"account_id": account, "title": "Server", "priority": "urgent", "opened_at": opened}, as_=tech
    ).body["ticket_id"]
    reply = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "minutes": 120, "note": "n", "started_at": ago(hours=2, minutes=30)},
        as_=tech,
    )
    assert reply.status == 201, reply
    return account, ticket, opened


def test_a_402_below_zero_says_how_far_below_and_its_top_up_adds_up_C4(api, tech, billing, make_account):
    """Billing's own actions may take an account below zero (C4). A 402 there said "the account has 0 h; top
    up at least 3 h", which does not add up for a 1 h need; it now says how far below zero the account is."""
    account = make_account("non_member", 60)
    taken = api.post(
        f"/accounts/{account}/adjustments",
        {"minutes": -180, "kind": "adjustment", "reason": "refund by phone"},
        as_=billing,
    )
    assert taken.status == 201, taken
    reply = api.post("/tickets", {"account_id": account, "title": "Printer jam", "priority": "normal"}, as_=tech)
    err = error(reply, 402)
    assert err["details"]["available_minutes"] == -120
    assert "2 h below zero" in err["message"] and "has 0 h" not in err["message"], err["message"]
    assert err["details"]["top_up_minutes"] >= 120 + err["details"]["required_minutes"]


def test_backdated_emergency_that_would_pass_the_balance_is_402_C4(api, tech, make_account, unchanged):
    account, ticket, opened = non_member_with_logged_time(api, tech, make_account)
    with unchanged():
        reply = api.post(f"/tickets/{ticket}/emergency", {"active": True, "at": opened}, as_=tech)
    err = error(reply, 402, "top up")
    assert err["code"] == "insufficient_credit"
    assert err["details"]["top_up_minutes"] >= 120
    account_view = api.get(f"/accounts/{account}", as_=tech).body
    assert account_view["available_minutes"] == 0


def test_customer_upgrade_now_while_an_entry_runs_past_now_is_402_C4(api, tech, make_account, unchanged):
    """The entry ends within the allowed skew after now, so "now" re-rates its last minutes. At night
    (after hours, x2) the entry is 120 weighted, exactly the credit; its last 4 minutes at x4 pass it."""
    account = make_account("non_member", 120, timezone=night_zone())
    ticket = api.post(
        "/tickets",
        {"account_id": account, "title": "Server", "priority": "urgent", "opened_at": ago(hours=1)},
        as_=tech,
    ).body["ticket_id"]
    logged = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "minutes": 60, "note": "n", "started_at": ago(minutes=56)},
        as_=tech,
    )
    assert logged.status == 201, logged  # ends 4 minutes from now: within the skew T8 allows
    from devstack.lambda_client import claims

    owner = claims("customer", account_id=account)
    with unchanged():
        reply = api.post(f"/tickets/{ticket}/emergency", {"active": True}, as_=owner)
    assert error(reply, 402)["code"] == "insufficient_credit"


def test_emergency_change_within_the_balance_still_rerates_C4_T3(api, tech, make_account):
    account = make_account("non_member", 600, timezone=night_zone())  # 90 min at night: 180, x4 from opening: 360
    opened = ago(hours=3)
    ticket = api.post(
        "/tickets", {"account_id": account, "title": "Server", "priority": "urgent", "opened_at": opened}, as_=tech
    ).body["ticket_id"]
    api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "minutes": 90, "note": "n", "started_at": ago(hours=2)},
        as_=tech,
    )
    reply = api.post(f"/tickets/{ticket}/emergency", {"active": True, "at": opened}, as_=tech)
    assert reply.status == 200, reply
    assert reply.body["projected_consumption_minutes"] >= 180
    assert (
        api.get(f"/accounts/{account}", as_=tech).body["available_minutes"]
        == 600 - reply.body["projected_consumption_minutes"]
    )
    assert_c7(account)


# -- 2. SPEC O4: an auto top-up invoice is never recorded paid without its credits ---------------------------


def top_up_invoice(account_id: str, minutes: int = 120, amount_minor: int = 30_000):
    """An auto top-up as the balance watch leaves it once issued: the invoice (open, at Stripe) and the
    order its payment credits, the account waiting for it."""
    from hourbank.store.models import AccountModel, InvoiceModel, OrderModel

    invoice_id, order_id = f"inv_top_{secrets.token_hex(4)}", f"ord_top_{secrets.token_hex(6)}"
    OrderModel(
        order_id,
        account_id=account_id,
        kind="auto_top_up",
        invoice_id=invoice_id,
        minutes=minutes,
        rate_minor=15_000,
        amount_minor=amount_minor,
        currency="USD",
        created_at=ago(minutes=5),
    ).save()
    InvoiceModel(
        account_id,
        invoice_id,
        kind="auto_top_up",
        status="open",
        minutes=minutes,
        amount_minor=amount_minor,
        currency="USD",
        description="auto top-up",
        order_id=order_id,
        stripe_invoice_id=f"in_{secrets.token_hex(8)}",
        created_at=ago(minutes=5),
    ).save()
    AccountModel(account_id).update([AccountModel.pending_top_up.set(invoice_id)])
    return InvoiceModel.get(account_id, invoice_id, consistent_read=True)


def invoice_paid_by_metadata_invoice_id(invoice, *, payment_intent: str | None = None) -> dict:
    """invoice.paid naming its Hourbank invoice by metadata.invoice_id alone, as API.md says it does."""
    from devstack.stripe_shapes import event

    obj = {
        "id": invoice.stripe_invoice_id,
        "object": "invoice",
        "status": "paid",
        "currency": "usd",
        "amount_due": int(invoice.amount_minor),
        "amount_paid": int(invoice.amount_minor),
        "amount_remaining": 0,
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "customer": "cus_local",
        "metadata": {"invoice_id": invoice.invoice_id, "account_id": invoice.account_id},
        "parent": None,
        "lines": {"object": "list", "data": []},
    }
    if payment_intent:
        obj["payments"] = {
            "object": "list",
            "data": [
                {
                    "object": "invoice_payment",
                    "is_default": True,
                    "payment": {"type": "payment_intent", "payment_intent": payment_intent},
                }
            ],
        }
    return event("invoice.paid", obj)


def test_invoice_paid_named_by_metadata_invoice_id_credits_through_its_order_O4(api, make_account):
    from hourbank.store.models import AccountModel, InvoiceModel, OrderModel
    from tests.integration.test_webhook_events import deliver

    account = make_account("member", 30)
    invoice = top_up_invoice(account)
    assert deliver(invoice_paid_by_metadata_invoice_id(invoice)).outcome == "credited"
    assert assert_c7(account) == 150  # seed example: 30 + 120
    assert InvoiceModel.get(account, invoice.invoice_id).status == "paid"
    assert OrderModel.get(invoice.order_id).status == "paid"
    assert AccountModel.get(account).pending_top_up is None


def test_three_events_for_one_top_up_invoice_concurrently_credit_once_O4_O2(api, make_account):
    from tests.integration.test_webhook_events import deliver_concurrently

    account = make_account("member", 30)
    invoice = top_up_invoice(account)
    events = [invoice_paid_by_metadata_invoice_id(invoice) for _ in range(3)]  # three events, one payment
    outcomes = deliver_concurrently(events, copies=2)
    assert sorted(outcomes).count("credited") == 1
    assert assert_c7(account) == 150


def test_a_credit_buying_invoice_is_never_recorded_paid_without_its_credit_O4(api, make_account):
    from hourbank.invoicing import invoice_issuing
    from hourbank.store.models import InvoiceModel

    account = make_account("member", 30)
    invoice = top_up_invoice(account)
    assert invoice_issuing.record_paid(invoice, ago(minutes=1)) is False
    assert InvoiceModel.get(account, invoice.invoice_id).status == "open"


# -- 3. SPEC O3: refunds and disputes found from Hourbank's own record of the payment ------------------------


class NoStripe:
    """The payment lookup port that fails the test if asked: O3 needs no call to Stripe."""

    def payment_objects(self, payment_intent):
        raise AssertionError(f"Stripe was asked about {payment_intent}")


def test_refund_without_metadata_finds_the_order_from_its_payment_intent_O3(api, make_account):
    from devstack.stripe_shapes import charge, event, session, sid
    from tests.integration.test_webhook_events import deliver, new_order

    account = make_account("member")
    order = new_order(account)  # 2 h, 120 minutes
    pi = sid("pi")
    assert deliver(event("checkout.session.completed", session(order, payment_intent=pi))).outcome == "credited"
    half = int(order.amount_minor) // 2
    refunded = deliver(event("charge.refunded", charge(order, pi, refunded=half, metadata=False)), lookup=NoStripe())
    assert (refunded.outcome, refunded.minutes) == ("debited", 60)
    assert assert_c7(account) == 60


def test_a_payment_delivered_after_later_entries_is_posted_after_them_and_every_month_adds_up_C7_M3(
    api, billing, make_account
):
    """Stripe dates a payment when it happened (the event's ``created``) and may deliver it hours later, after
    other entries - here across a month's end. Before, the credit was dated back: the entries of a month
    were no longer one run of the ledger, the month before's statement did not add up (a RuntimeError, so a
    500) and its month-end page failed until it dead-lettered."""
    from devstack.stripe_shapes import event, session, sid
    from hourbank.statements.monthly_statement import month_bounds, previous_month
    from hourbank.store.models import LedgerModel
    from tests.integration.test_webhook_events import deliver, new_order

    tz = get_settings().calendar().tz
    account = make_account("member", 30)  # an entry now
    order = new_order(account)  # 2 h
    last_month = previous_month(now(), tz)
    late = int((month_bounds(this_month(), tz)[0] - timedelta(minutes=10)).timestamp())  # 23:50 the day before
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")), created=late)
    assert deliver(paid).outcome == "credited"
    entries = sorted(LedgerModel.query(account, consistent_read=True), key=lambda e: int(e.seq))
    assert [e.at for e in entries] == sorted(e.at for e in entries), "entries in seq order are in time order"
    for month in (last_month, this_month()):
        reply = api.get(f"/accounts/{account}/statements/{month}", as_=billing)
        assert reply.status == 200, (month, reply)
        assert reply.body["closing_balance_minutes"] == reply.body["opening_balance_minutes"] + sum(
            e["minutes"] for e in reply.body["ledger"]
        )
    assert assert_c7(account) == 150


def test_dispute_without_metadata_needs_no_stripe_call_O3(api, make_account):
    from devstack.stripe_shapes import dispute, event, session, sid
    from hourbank.store.models import AccountModel
    from tests.integration.test_webhook_events import deliver, new_order

    account = make_account("non_member")
    order = new_order(account)
    pi = sid("pi")
    deliver(event("checkout.session.completed", session(order, payment_intent=pi)))
    disputed = deliver(event("charge.dispute.created", dispute(order, pi)), lookup=NoStripe())
    assert (disputed.outcome, disputed.minutes) == ("debited", 120)
    assert assert_c7(account) == 0
    assert "payment_disputed" in AccountModel.get(account).flags


def test_refund_of_an_invoice_payment_found_by_the_intent_that_paid_it_O3(api, make_account):
    """A top-up invoice's credit is keyed by the Stripe invoice; the charge names only its PaymentIntent."""
    from devstack.stripe_shapes import event, sid
    from tests.integration.test_webhook_events import deliver

    account = make_account("member", 30)
    invoice = top_up_invoice(account)
    pi = sid("pi")
    assert deliver(invoice_paid_by_metadata_invoice_id(invoice, payment_intent=pi)).outcome == "credited"
    refund = {
        "id": sid("ch"),
        "object": "charge",
        "amount": 30_000,
        "amount_refunded": 30_000,
        "currency": "usd",
        "metadata": {},
        "payment_intent": pi,
        "paid": True,
        "refunded": True,
        "status": "succeeded",
    }
    result = deliver(event("charge.refunded", refund), lookup=NoStripe())
    assert (result.outcome, result.minutes) == ("debited", 120)
    assert assert_c7(account) == 30


# -- 4. SPEC C6: a credit-back reduces post-pay not invoiced yet first -------------------------------------


def member_ticket_with_postpay(
    api, tech, make_account, open_ticket, log_time, *, balance: int = 0, minutes: int = 60
) -> tuple[str, str]:
    account = make_account("member", balance)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", minutes)
    closed = api.post(f"/tickets/{ticket}/close", as_=tech)
    assert closed.status == 200, closed
    return account, ticket


def this_month() -> str:
    return now().astimezone(get_settings().calendar().tz).strftime("%Y-%m")


def test_credit_back_of_postpay_time_reduces_the_invoice_not_the_balance_C6(
    api, tech, billing, make_account, open_ticket, log_time
):
    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time)
    reply = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 60, "reason": "vendor bug"}, as_=billing)
    assert reply.status == 201, reply
    assert (reply.body["postpay_reduced_minutes"], reply.body["balance_credited_minutes"]) == (60, 0)
    assert assert_c7(account) == 0, "nothing credited to the balance: the post-pay itself is gone"
    statement = api.get(f"/accounts/{account}/statements/{this_month()}", as_=billing).body
    [row] = statement["tickets"]
    assert (row["postpay_minutes"], row["postpay_credited_back_minutes"]) == (0, 60)
    assert statement["charges"] == [] and statement["postpay_minutes"] == 0, "no $150 on the month's invoice"


def test_a_credit_back_that_all_comes_off_the_postpay_keeps_who_when_and_why_C6(
    api, tech, billing, make_account, open_ticket, log_time
):
    """C6: corrections carry a reason and nothing is edited away. A credit-back that all came off the
    post-pay writes no ledger entry; its answer had no time, author or reason, and nothing kept them."""
    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time, minutes=120)
    reply = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 45, "reason": "vendor bug"}, as_=billing)
    assert reply.status == 201, reply
    assert (reply.body["entry_id"], reply.body["postpay_reduced_minutes"]) == (None, 45)
    assert (reply.body["by"], reply.body["note"]) == (billing["sub"], "vendor bug") and reply.body["at"]
    key = {"Idempotency-Key": "cb-audit"}
    second = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 15, "reason": "retried"}, as_=billing, headers=key)
    again = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 15, "reason": "retried"}, as_=billing, headers=key)
    assert again.body == second.body, "a replay answers the first request's record again"
    view = api.get(f"/tickets/{ticket}", as_=billing).body
    assert [(r["minutes"], r["postpay_reduced_minutes"], r["reason"], r["by"]) for r in view["credit_backs"]] == [
        (45, 45, "vendor bug", billing["sub"]),
        (15, 15, "retried", billing["sub"]),
    ]
    assert view["credit_backs"][0]["at"] == reply.body["at"]
    assert (view["postpay_minutes"], view["postpay_credited_back_minutes"]) == (120, 60)
    statement = api.get(f"/accounts/{account}/statements/{this_month()}", as_=billing).body
    assert statement["tickets"][0]["postpay_minutes"] == 120 - view["postpay_credited_back_minutes"]


def test_credit_back_beyond_the_postpay_goes_to_the_balance_and_the_statement_shows_both_C6(
    api, tech, billing, make_account, open_ticket, log_time
):
    account, ticket = member_ticket_with_postpay(
        api, tech, make_account, open_ticket, log_time, balance=30, minutes=90
    )  # 30 debited, 60 post-pay
    reply = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 90, "reason": "vendor bug"}, as_=billing)
    assert (reply.body["postpay_reduced_minutes"], reply.body["balance_credited_minutes"]) == (60, 30)
    assert (reply.body["kind"], reply.body["minutes"]) == ("credit_back", 30)
    assert assert_c7(account) == 30
    statement = api.get(f"/accounts/{account}/statements/{this_month()}", as_=billing).body
    assert statement["tickets"][0]["postpay_credited_back_minutes"] == 60
    assert [(e["kind"], e["minutes"]) for e in statement["ledger"]][-1] == ("credit_back", 30)
    assert statement["charges"] == []


def test_credit_back_after_the_month_was_invoiced_goes_to_the_balance_C6(
    api, tech, billing, make_account, open_ticket, log_time
):
    from hourbank.monthend import month_close
    from hourbank.statements.monthly_statement import month_bounds, next_month

    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time)
    tz = get_settings().calendar().tz
    after = month_bounds(next_month(this_month()), tz)[0] + timedelta(minutes=5)
    closed = month_close.close_month(account, this_month(), tz, now=after)
    assert closed.invoice_minor == 15_000
    reply = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 60, "reason": "vendor bug"}, as_=billing)
    assert (reply.body["postpay_reduced_minutes"], reply.body["balance_credited_minutes"]) == (0, 60)
    assert assert_c7(account) == 60


def test_a_credit_back_while_the_month_end_run_closes_the_month_is_never_billed_C6_M1(
    api, tech, billing, make_account, open_ticket, log_time
):
    """The credit-back lands between the run's read of the month's charges and its invoice write (driven there
    by a botocore hook on the invoice's PutItem): its minutes are either off the invoice or on the balance,
    never invoiced and taken off the post-pay both. Before the closing marker the run invoiced the 60
    minutes the credit-back had just taken off the post-pay, and credited the balance nothing."""
    from hourbank.monthend import month_close
    from hourbank.statements.monthly_statement import month_bounds, next_month
    from hourbank.store.models import InvoiceModel
    from tests.support import aws_hooks

    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time)  # 60 post-pay
    tz = get_settings().calendar().tz
    after = month_bounds(next_month(this_month()), tz)[0] + timedelta(minutes=5)
    replies = []

    def credit_back_before_the_invoice_is_written(*, event_name: str, params: dict, **_) -> None:
        if event_name.endswith("dynamodb.PutItem") and params.get("TableName") == InvoiceModel.Meta.table_name:
            if not replies:
                replies.append(
                    api.post(f"/tickets/{ticket}/credit-back", {"minutes": 60, "reason": "vendor bug"}, as_=billing)
                )

    with aws_hooks.handler("provide-client-params", credit_back_before_the_invoice_is_written):
        closed = month_close.close_month(account, this_month(), tz, now=after)
    [reply] = replies
    assert reply.status == 201, reply
    invoice = InvoiceModel.get(account, closed.invoice_id, consistent_read=True)
    assert int(invoice.minutes) + reply.body["postpay_reduced_minutes"] == 60, "a post-pay minute billed and credited"
    assert (reply.body["postpay_reduced_minutes"], reply.body["balance_credited_minutes"]) == (0, 60)
    assert (int(invoice.minutes), int(invoice.amount_minor)) == (60, 15_000)
    assert assert_c7(account) == 60, "the minutes credited back are on the balance"


def test_a_month_end_run_between_a_credit_backs_read_and_its_commit_sends_it_to_the_balance_C6_M1(
    api, tech, billing, make_account, open_ticket, log_time
):
    """The other order: the credit-back has read the month as open, then the run closes the month (driven there
    by a hook on the credit-back's TransactWriteItems). Its check on the closing marker refuses the commit;
    read again, the month is being invoiced, so the 60 minutes go to the balance."""
    from hourbank.monthend import month_close
    from hourbank.statements.monthly_statement import month_bounds, next_month
    from hourbank.store.models import InvoiceModel
    from tests.support import aws_hooks

    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time)  # 60 post-pay
    tz = get_settings().calendar().tz
    after = month_bounds(next_month(this_month()), tz)[0] + timedelta(minutes=5)
    runs = []

    def close_the_month_before_the_credit_back_commits(*, event_name: str, function: str | None, **_) -> None:
        if event_name.endswith("dynamodb.TransactWriteItems") and function == "TicketsApiFunction" and not runs:
            # On a thread of its own: its calls are the run's, not the tickets function's (least privilege).
            with ThreadPoolExecutor(1) as pool:
                runs.append(pool.submit(month_close.close_month, account, this_month(), tz, now=after).result())

    with aws_hooks.handler("provide-client-params", close_the_month_before_the_credit_back_commits):
        reply = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 60, "reason": "vendor bug"}, as_=billing)
    [closed] = runs
    assert reply.status == 201, reply
    invoice = InvoiceModel.get(account, closed.invoice_id, consistent_read=True)
    assert int(invoice.minutes) + reply.body["postpay_reduced_minutes"] == 60, "a post-pay minute billed and credited"
    assert (reply.body["postpay_reduced_minutes"], reply.body["balance_credited_minutes"]) == (0, 60)
    assert assert_c7(account) == 60


def test_concurrent_credit_backs_take_postpay_once_and_never_exceed_consumption_C6(
    api, tech, billing, make_account, open_ticket, log_time
):
    from threading import Barrier

    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time, minutes=120)
    start = Barrier(6)

    def one(n: int):
        start.wait(timeout=10)
        return api.post(f"/tickets/{ticket}/credit-back", {"minutes": 30, "reason": f"bug {n}"}, as_=billing)

    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(one, range(6)))
    assert sorted(r.status for r in replies) == [201] * 4 + [400] * 2
    assert sum(r.body["postpay_reduced_minutes"] for r in replies if r.status == 201) == 120
    assert assert_c7(account) == 0
    statement = api.get(f"/accounts/{account}/statements/{this_month()}", as_=billing).body
    assert statement["tickets"][0]["postpay_minutes"] == 0


def test_credit_back_retried_with_its_idempotency_key_is_applied_once_C6(
    api, tech, billing, make_account, open_ticket, log_time
):
    account, ticket = member_ticket_with_postpay(api, tech, make_account, open_ticket, log_time, minutes=120)
    body = {"minutes": 60, "reason": "vendor bug"}
    first = api.post(f"/tickets/{ticket}/credit-back", body, as_=billing, headers={"Idempotency-Key": "cb-1"})
    again = api.post(f"/tickets/{ticket}/credit-back", body, as_=billing, headers={"Idempotency-Key": "cb-1"})
    assert first.status == 201 and again.status == 201, (first, again)
    assert again.body["postpay_reduced_minutes"] == 60
    statement = api.get(f"/accounts/{account}/statements/{this_month()}", as_=billing).body
    assert statement["tickets"][0]["postpay_minutes"] == 60


# -- 9. smaller ones -----------------------------------------------------------------------------------------


def test_statement_csv_ticket_rows_hold_the_weighted_minutes_M3(
    api, tech, billing, make_account, open_ticket, log_time
):
    account = make_account("member", 600)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 45)  # 45 weighted, consumes 60 (T5)
    api.post(f"/tickets/{ticket}/close", as_=tech)
    reply = api.get(f"/accounts/{account}/statements/{this_month()}", as_=billing, headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(reply.body)))
    [row] = [r for r in rows if r["section"] == "ticket"]
    assert (row["minutes"], row["weighted_minutes"]) == ("60", "45")


def test_a_dispute_raised_again_with_a_new_reason_is_409_and_keeps_the_first_C6(
    api, tech, make_account, open_ticket, log_time, unchanged
):
    from devstack.lambda_client import claims

    account = make_account("member", 600)
    ticket = open_ticket(account)
    entry = log_time(ticket, "2026-11-16T10:00:00-05:00", 60).body["entry_id"]
    owner = claims("customer", account_id=account)
    path = f"/tickets/{ticket}/time-entries/{entry}/dispute"
    assert api.post(path, {"reason": "took 30 minutes"}, as_=owner).status == 200
    with unchanged():
        reply = api.post(path, {"reason": "and it was not fixed"}, as_=owner)
    assert error(reply, 409, "took 30 minutes")["code"] == "conflict"
    assert api.post(path, {"reason": "took 30 minutes"}, as_=owner).status == 200  # the same one: a retry


def test_two_different_disputes_at_once_one_wins_the_other_is_409_C6(api, tech, make_account, open_ticket, log_time):
    from threading import Barrier

    from devstack.lambda_client import claims

    account = make_account("member", 600)
    ticket = open_ticket(account)
    entry = log_time(ticket, "2026-11-16T10:00:00-05:00", 60).body["entry_id"]
    owner = claims("customer", account_id=account)
    start = Barrier(4)

    def one(n: int):
        start.wait(timeout=10)
        return api.post(f"/tickets/{ticket}/time-entries/{entry}/dispute", {"reason": f"reason {n % 2}"}, as_=owner)

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(one, range(4)))
    won = {r.body["dispute"]["reason"] for r in replies if r.status == 200}
    assert len(won) == 1 and sorted(r.status for r in replies) == [200, 200, 409, 409]


# -- 7. SPEC O7: one e-mail, one account; no junk accounts ---------------------------------------------------


def address(tag: str = "o7") -> str:
    return f"it-{tag}-{secrets.token_hex(4)}@example.test"


def test_a_second_account_for_an_address_is_409_case_insensitively_O7(api, billing, unchanged):
    email = address()
    first = api.post("/accounts", {"name": "Acme", "email": email, "plan": "member"}, as_=billing)
    assert first.status == 201, first
    with unchanged():
        # The API refuses a padded address (400, issue 11's pattern); the case is what O7 folds.
        again = api.post("/accounts", {"name": "Acme again", "email": email.upper(), "plan": "non_member"}, as_=billing)
    assert error(again, 409, "e-mail")["code"] == "email_taken"


def test_concurrent_accounts_for_one_address_open_one_O7(api, billing):
    from threading import Barrier

    email = address()
    start = Barrier(8)

    def one(n: int):
        start.wait(timeout=10)
        return api.post(
            "/accounts",
            {"name": f"Acme {n}", "email": email if n % 2 else email.upper(), "plan": "member"},
            as_=billing,
        )

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(one, range(8)))
    assert sorted(r.status for r in replies) == [201] + [409] * 7


def anonymous_order(api, email: str, hours: int = 2, **headers) -> dict:
    reply = api.post("/orders", {"name": "Corner Bakery", "email": email, "hours": hours}, headers=headers)
    assert reply.status == 201, reply
    return reply.body


def pay(order_id: str, payment_ref: str | None = None):
    from hourbank.orders.payment_settlement import settle_paid
    from hourbank.store.models import OrderModel

    order = OrderModel.get(order_id, consistent_read=True)
    return settle_paid(
        order_id,
        payment_ref=payment_ref or f"pi_{secrets.token_hex(8)}",
        amount_minor=int(order.amount_minor),
        currency="usd",
        at=now(),
    )


def accounts_named(email: str) -> list:
    from hourbank.accounts.account_service import email_key
    from hourbank.store.models import AccountModel, EmailClaimModel

    try:
        claim = EmailClaimModel.get(f"email#{email_key(email)}", consistent_read=True)
    except EmailClaimModel.DoesNotExist:
        return []
    return [AccountModel.get(claim.owner_account_id, consistent_read=True)]


def test_an_order_never_paid_leaves_no_account_O7(api, unchanged):
    email = address("unpaid")
    with unchanged(skip=("orders",)):
        order = anonymous_order(api, email)
    assert accounts_named(email) == []
    from hourbank.store.models import AccountModel

    with pytest.raises(AccountModel.DoesNotExist):
        AccountModel.get(order["account_id"], consistent_read=True)


def test_a_paid_anonymous_order_opens_one_account_with_its_plan_history_O7(api):
    email = address("paid")
    order = anonymous_order(api, email, hours=2)
    assert pay(order["order_id"]).outcome == "credited"
    [account] = accounts_named(email)
    assert account.account_id == order["account_id"]
    assert (account.plan, account.email_lower, int(account.balance_minutes)) == ("non_member", email, 120)
    assert [(p.plan, p.since) for p in account.plan_changes] == [("non_member", account.created_at)]
    assert_c7(account.account_id)


def test_concurrent_redeliveries_of_a_first_payment_open_the_account_once_O7_O2(api):
    from threading import Barrier

    email = address("race")
    order = anonymous_order(api, email, hours=2)
    start = Barrier(6)

    def one(_: int):
        start.wait(timeout=10)
        return pay(order["order_id"], payment_ref="pi_race_" + order["order_id"][-8:]).outcome

    with ThreadPoolExecutor(6) as pool:
        outcomes = sorted(pool.map(one, range(6)))
    assert outcomes == ["credited"] + ["duplicate"] * 5
    [account] = accounts_named(email)
    assert assert_c7(account.account_id) == 120


def test_the_same_address_ordering_twice_gets_one_account_credited_twice_O7(api):
    email = address("twice")
    first, second = anonymous_order(api, email, hours=2), anonymous_order(api, email.upper(), hours=3)
    assert pay(first["order_id"]).outcome == "credited"
    assert pay(second["order_id"]).outcome == "credited"
    [account] = accounts_named(email)
    assert assert_c7(account.account_id) == 300
    from hourbank.store.models import AccountModel

    with pytest.raises(AccountModel.DoesNotExist):  # the second order's own id was never opened
        AccountModel.get(second["account_id"], consistent_read=True)


def test_an_anonymous_order_for_a_known_address_credits_it_and_reveals_nothing_O7(api, billing, make_account):
    email = address("known")
    account = api.post("/accounts", {"name": "Member Co", "email": email, "plan": "member"}, as_=billing).body
    order = anonymous_order(api, email.upper(), hours=2)
    assert order["credits_existing_account"] is True and order["account_id"] is None
    assert "already has an account" in order["message"]
    assert order["price"]["amount_minor"] == 60_000, "priced as any anonymous order: the plan is not revealed"
    assert pay(order["order_id"]).outcome == "credited"
    assert assert_c7(account["account_id"]) == 120
    shown = api.get(f"/orders/{order['order_id']}").body
    assert shown["account_id"] is None and "balance_minutes" not in shown


def test_the_duplicates_report_names_addresses_held_twice_and_exits_1_O7(api):
    """Accounts opened before O7 (written directly, as the old code did, without claims)."""
    from hourbank.store.models import AccountModel
    from ops.email_duplicates import duplicates, report

    email = address("dup")
    ids = []
    for variant in (email, f" {email.upper()}", address("single")):
        account = AccountModel(
            f"acc_dup{secrets.token_hex(8)}",
            name="Old",
            email=variant,
            plan="member",
            plan_version="1",
            currency="USD",
            created_at=ago(days=400),
        )
        account.save()
        ids.append(account.account_id)
    out = io.StringIO()
    found = duplicates([ids])
    assert found == {email: sorted(ids[:2])}
    assert report(found, out) == 1 and email in out.getvalue()
    assert report(duplicates([ids[2:]]), io.StringIO()) == 0


# -- 8. SPEC O8: payments kept for review are visible to billing and settled once --------------------------


def mismatched_payment(api, make_account, *, paid: int = 100):
    """A Checkout Session that paid $1.00 for a $300.00 order: kept for review, nothing credited."""
    from devstack.stripe_shapes import event, session, sid
    from tests.integration.test_webhook_events import new_order

    account = make_account("member")
    order = new_order(account)
    paid_session = session(order, payment_intent=sid("pi"))
    paid_session["amount_total"] = paid
    return account, order, event("checkout.session.completed", paid_session, created=int(now().timestamp()))


def post_event(api, evt: dict):
    import json
    import os

    from hourbank.payments.webhook_signature import sign_webhook

    body = json.dumps(evt)
    return api.post(
        "/webhooks/stripe",
        raw_body=body,
        headers={"stripe-signature": sign_webhook(body, os.environ["STRIPE_WEBHOOK_SECRET"])},
    )


def test_a_mismatched_payment_is_listed_for_billing_with_its_reason_O8(api, billing, make_account):
    account, order, evt = mismatched_payment(api, make_account)
    assert post_event(api, evt).body["outcome"] == "review"
    listed = api.get("/reviews", as_=billing, query={"status": "open"})
    assert listed.status == 200, listed
    mine = [r for r in listed.body["items"] if r["event_id"] == evt["id"]]
    assert len(mine) == 1
    [review] = mine
    assert (review["order_id"], review["account_id"], review["status"]) == (order.order_id, account, "open")
    assert review["amount"] == {"currency": "USD", "amount_minor": 100}
    assert "paid $1.00 for an order of $300.00" in review["reason"]  # SPEC U2: money as money (issue 24)
    assert assert_c7(account) == 0


def test_each_event_is_kept_once_however_often_and_concurrently_delivered_O8(api, billing, make_account):
    from tests.integration.test_webhook_events import deliver_concurrently

    _, _, evt = mismatched_payment(api, make_account)
    deliver_concurrently([evt], copies=6)
    mine = [
        r for r in api.get("/reviews", as_=billing, query={"limit": "200"}).body["items"] if r["event_id"] == evt["id"]
    ]
    assert len(mine) == 1


def test_reviews_are_listed_newest_first_a_page_at_a_time_O8(api, billing, make_account):
    for _ in range(3):
        _, _, evt = mismatched_payment(api, make_account)
        post_event(api, evt)
    seen, cursor = [], None
    for _ in range(100):
        page = api.get("/reviews", as_=billing, query={"limit": "2", **({"cursor": cursor} if cursor else {})}).body
        assert len(page["items"]) <= 2
        seen += [r["review_id"] for r in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 3


def test_billing_resolves_a_review_with_a_credit_once_and_it_is_recorded_O8(api, billing, make_account):
    from threading import Barrier

    account, _order, evt = mismatched_payment(api, make_account)
    post_event(api, evt)
    [review] = [
        r for r in api.get("/reviews", as_=billing, query={"limit": "200"}).body["items"] if r["event_id"] == evt["id"]
    ]
    start = Barrier(4)

    def settle(_: int):
        start.wait(timeout=10)
        return api.post(
            f"/reviews/{review['review_id']}/resolve",
            {"note": "customer paid the rest by bank transfer", "minutes": 120},
            as_=billing,
        )

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(settle, range(4)))
    assert sorted(r.status for r in replies) == [200, 409, 409, 409]
    [done] = [r.body for r in replies if r.status == 200]
    assert done["ledger_entry"]["ref"] == review["review_id"] and done["ledger_entry"]["minutes"] == 120
    resolution = done["review"]["resolution"]
    assert (done["review"]["status"], resolution["by"], resolution["minutes"]) == ("resolved", "billing-staff", 120)
    assert resolution["at"] and resolution["ledger_entry_id"] == done["ledger_entry"]["entry_id"]
    assert assert_c7(account) == 120


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        pytest.param("technician", {"note": "x"}, 403, id="technicians-cannot"),
        pytest.param("billing", {"note": "  "}, 400, id="needs-a-note"),
        pytest.param("billing", {"note": "x", "minutes": 0}, 400, id="zero-minutes"),
        pytest.param("billing", {"note": "x", "minutes": 60, "account_id": "acc_nobody"}, 400, id="unknown-account"),
    ],
)
def test_bad_resolutions_are_refused_and_write_nothing_O8(api, billing, make_account, unchanged, who, body, status):
    from devstack.lambda_client import claims

    _, _, evt = mismatched_payment(api, make_account)
    post_event(api, evt)
    [review] = [
        r for r in api.get("/reviews", as_=billing, query={"limit": "200"}).body["items"] if r["event_id"] == evt["id"]
    ]
    with unchanged():
        reply = api.post(f"/reviews/{review['review_id']}/resolve", body, as_=claims(who))
    error(reply, status)


def test_reviews_are_for_billing_only_and_bad_cursors_are_400_O8(api, tech, billing):
    error(api.get("/reviews", as_=tech), 403)
    error(api.get("/reviews", as_=billing, query={"cursor": "bm90LWEtY3Vyc29y"}), 400, "cursor")
    error(api.get("/reviews", as_=billing, query={"status": "maybe"}), 400, "status")
    error(api.post("/reviews/rev_nothing/resolve", {"note": "x"}, as_=billing), 404)
