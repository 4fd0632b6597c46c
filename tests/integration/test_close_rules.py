"""SPEC C1-C7 through the handlers against DynamoDB Local, as tables named by rule id."""

from __future__ import annotations

import pytest

from tests.integration.conftest import assert_c7, ledger_items

pytestmark = pytest.mark.integration

AT = "2026-11-16T10:00:00-05:00"  # Monday, business hours


def _ticket_with(api, open_ticket, log_time, account, minutes, work_type="remote", at=AT):
    ticket = open_ticket(account)
    log_time(ticket, at, minutes, work_type)
    return ticket


@pytest.mark.parametrize(
    ("plan", "balance", "minutes", "status", "debited", "postpay", "balance_after"),
    [
        pytest.param("member", 120, 120, "closed", 120, 0, 0, id="C1-member-exact-balance"),
        pytest.param("non_member", 180, 60, "closed", 60, 0, 120, id="C1-non-member-covered"),
        pytest.param("member", 30, 90, "closed", 30, 60, 0, id="C2-member-debits-what-there-is"),
        pytest.param("member", 0, 45, "closed", 0, 60, 0, id="C2-member-zero-balance-all-postpay"),
        pytest.param("business_priority", 0, 60, "closed", 0, 60, 0, id="C2-business-priority-overdraft"),
        pytest.param("unlimited_remote", 0, 60, "closed", 0, 0, 0, id="plans-unlimited-remote-never-debited"),
    ],
)
def test_close_debits_per_plan_C1_C2(
    api, tech, make_account, open_ticket, log_time, plan, balance, minutes, status, debited, postpay, balance_after
):
    account = make_account(plan, balance)
    ticket = _ticket_with(api, open_ticket, log_time, account, minutes)
    result = api.post(f"/tickets/{ticket}/close", as_=tech).body
    assert (result["status"], result["debited_minutes"], result["postpay_minutes"], result["balance_minutes"]) == (
        status,
        debited,
        postpay,
        balance_after,
    )
    assert assert_c7(account) == balance_after
    view = api.get(f"/accounts/{account}", as_=tech).body
    assert view["committed_minutes"] == 0 and view["available_minutes"] == balance_after


def test_member_with_negative_balance_debits_nothing_C2(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("member", 0)
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": -30, "kind": "adjustment", "reason": "correction"}, as_=billing
    )
    ticket = _ticket_with(api, open_ticket, log_time, account, 60)
    result = api.post(f"/tickets/{ticket}/close", as_=tech).body
    assert (result["debited_minutes"], result["postpay_minutes"], result["balance_minutes"]) == (0, 60, -30)
    assert assert_c7(account) == -30


def test_non_member_short_waits_for_credit_then_closes_itself_C3(
    api, tech, billing, make_account, open_ticket, log_time
):
    account = make_account("non_member", 60)
    ticket = _ticket_with(api, open_ticket, log_time, account, 60)
    # Credit taken away after the work (e.g. a correction) leaves the close short.
    api.post(
        f"/accounts/{account}/adjustments",
        {"minutes": -30, "kind": "adjustment", "reason": "double entry"},
        as_=billing,
    )
    first = api.post(f"/tickets/{ticket}/close", as_=tech).body
    assert (first["status"], first["debited_minutes"], first["balance_minutes"]) == ("awaiting_credit", 0, 30)
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body == first  # nothing changes while short
    assert api.get(f"/accounts/{account}", as_=tech).body["awaiting_credit"] == [ticket]
    refused = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "started_at": AT, "minutes": 10, "note": "more"},
        as_=tech,
    )
    assert refused.status == 409
    # Credit lands: the close completes by itself.
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": 60, "kind": "purchase", "reason": "paid by phone"}, as_=billing
    )
    done = api.get(f"/tickets/{ticket}", as_=tech).body
    assert (done["status"], done["debited_minutes"]) == ("closed", 60)
    view = api.get(f"/accounts/{account}", as_=tech).body
    assert (view["balance_minutes"], view["awaiting_credit"], view["committed_minutes"]) == (30, [], 0)
    assert assert_c7(account) == 30


def test_waiting_closes_complete_oldest_first_C3(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("non_member", 180)
    older = _ticket_with(api, open_ticket, log_time, account, 120)
    newer = _ticket_with(api, open_ticket, log_time, account, 30)
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": -150, "kind": "adjustment", "reason": "chargeback"}, as_=billing
    )  # balance 30
    assert api.post(f"/tickets/{older}/close", as_=tech).body["status"] == "awaiting_credit"
    # A close asked for directly is C1: the newer ticket's 30 minutes are covered, so it closes now.
    assert api.post(f"/tickets/{newer}/close", as_=tech).body["status"] == "closed"
    # 90 minutes arrive: balance 90 < 120, the older close still waits.
    api.post(f"/accounts/{account}/adjustments", {"minutes": 90, "kind": "purchase", "reason": "top-up"}, as_=billing)
    assert api.get(f"/tickets/{older}", as_=tech).body["status"] == "awaiting_credit"
    api.post(f"/accounts/{account}/adjustments", {"minutes": 30, "kind": "grant", "reason": "goodwill"}, as_=billing)
    assert api.get(f"/tickets/{older}", as_=tech).body["status"] == "closed"
    assert assert_c7(account) == 0


def test_queue_order_is_oldest_request_first_C3(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("non_member", 150)
    first = _ticket_with(api, open_ticket, log_time, account, 90)
    second = _ticket_with(api, open_ticket, log_time, account, 60)
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": -150, "kind": "adjustment", "reason": "reversal"}, as_=billing
    )
    assert api.post(f"/tickets/{first}/close", as_=tech).body["status"] == "awaiting_credit"
    assert api.post(f"/tickets/{second}/close", as_=tech).body["status"] == "awaiting_credit"
    # 60 minutes would cover the second ticket, but the first asked first: both keep waiting.
    api.post(f"/accounts/{account}/adjustments", {"minutes": 60, "kind": "purchase", "reason": "top-up"}, as_=billing)
    assert [api.get(f"/tickets/{t}", as_=tech).body["status"] for t in (first, second)] == ["awaiting_credit"] * 2
    api.post(f"/accounts/{account}/adjustments", {"minutes": 90, "kind": "purchase", "reason": "top-up"}, as_=billing)
    assert [api.get(f"/tickets/{t}", as_=tech).body["status"] for t in (first, second)] == ["closed"] * 2
    assert assert_c7(account) == 0


@pytest.mark.parametrize(
    ("plan", "balance", "expected"),
    [
        pytest.param("non_member", 59, 402, id="C4-open-needs-1h-available"),
        pytest.param("non_member", 60, 201, id="C4-open-with-exactly-1h"),
        pytest.param("member", 0, 201, id="C4-members-are-not-gated"),
    ],
)
def test_open_ticket_gate_C4(api, tech, make_account, plan, balance, expected, unchanged):
    account = make_account(plan, balance)
    with unchanged() if expected != 201 else _nothing():
        reply = api.post("/tickets", {"account_id": account, "title": "Help", "priority": "normal"}, as_=tech)
    assert reply.status == expected, reply
    if expected == 402:
        assert reply.body["error"]["details"]["top_up_minutes"] == 60


def test_available_counts_every_open_ticket_C4(api, tech, make_account, open_ticket, log_time, unchanged):
    account = make_account("non_member", 120)
    a = _ticket_with(api, open_ticket, log_time, account, 60)
    b = open_ticket(account)
    log_time(b, AT, 60)
    view = api.get(f"/accounts/{account}", as_=tech).body
    assert (view["balance_minutes"], view["committed_minutes"], view["available_minutes"]) == (120, 120, 0)
    with unchanged():
        log_time(a, AT, 1, expect=402)
    assert api.post(f"/tickets/{a}/close", as_=tech).body["balance_minutes"] == 60
    assert api.get(f"/accounts/{account}", as_=tech).body["available_minutes"] == 0


def test_member_runs_past_zero_without_refusal_C4(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 0)
    ticket = _ticket_with(api, open_ticket, log_time, account, 300)  # 10:00-15:00, business hours
    assert api.get(f"/accounts/{account}", as_=tech).body["available_minutes"] == -300
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body["postpay_minutes"] == 300


def test_close_again_returns_first_result_C5(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("member", 90)
    ticket = _ticket_with(api, open_ticket, log_time, account, 40)
    first = api.post(f"/tickets/{ticket}/close", as_=tech).body
    api.post(f"/accounts/{account}/adjustments", {"minutes": 60, "kind": "grant", "reason": "thanks"}, as_=billing)
    again = api.post(f"/tickets/{ticket}/close", as_=tech).body
    assert again == first
    assert [e["kind"] for e in ledger_items(account)].count("consumption") == 1
    assert assert_c7(account) == 90 - 60 + 60


def test_credit_back_and_adjustments_are_new_entries_C6(
    api, tech, billing, make_account, open_ticket, log_time, unchanged
):
    account = make_account("member", 240)
    ticket = _ticket_with(api, open_ticket, log_time, account, 120)
    api.post(f"/tickets/{ticket}/close", as_=tech)
    back = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 90, "reason": "vendor bug KB-1234"}, as_=billing)
    assert back.status == 201
    assert (back.body["kind"], back.body["minutes"], back.body["balance_after"], back.body["ref"]) == (
        "credit_back",
        90,
        210,
        ticket,
    )
    with unchanged():
        too_much = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 31, "reason": "more"}, as_=billing)
    assert too_much.status == 400 and "at most 30" in too_much.body["error"]["message"]
    assert api.post(f"/tickets/{ticket}/credit-back", {"minutes": 30, "reason": "rest"}, as_=billing).status == 201
    grant = api.post(
        f"/accounts/{account}/adjustments", {"minutes": 60, "kind": "grant", "reason": "goodwill"}, as_=billing
    )
    fix = api.post(
        f"/accounts/{account}/adjustments", {"minutes": -15, "kind": "adjustment", "reason": "typo"}, as_=billing
    )
    assert (grant.status, fix.status) == (201, 201)
    kinds = [(e["kind"], e["minutes"]) for e in sorted(ledger_items(account), key=lambda e: e["seq"])]
    assert kinds == [
        ("purchase", 240),
        ("consumption", -120),
        ("credit_back", 90),
        ("credit_back", 30),
        ("grant", 60),
        ("adjustment", -15),
    ]
    # The ticket's consumption record itself is never edited (C6, T7).
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert (view["consumed_minutes"], view["debited_minutes"], view["credited_back_minutes"]) == (120, 120, 120)
    assert assert_c7(account) == 285


def test_ledger_pages_newest_first_C7(api, billing, make_account):
    account = make_account("member", 30)
    for n in range(4):
        api.post(f"/accounts/{account}/adjustments", {"minutes": 30, "kind": "grant", "reason": f"g{n}"}, as_=billing)
    page1 = api.get(f"/accounts/{account}/ledger", as_=billing, query={"limit": "3"}).body
    assert [e["balance_after"] for e in page1["items"]] == [150, 120, 90]
    page2 = api.get(f"/accounts/{account}/ledger", as_=billing, query={"limit": "3", "cursor": page1["cursor"]}).body
    assert [e["balance_after"] for e in page2["items"]] == [60, 30]
    assert (
        page2["cursor"] is None
        or api.get(f"/accounts/{account}/ledger", as_=billing, query={"cursor": page2["cursor"]}).body["items"] == []
    )


from contextlib import nullcontext as _nothing  # noqa: E402
