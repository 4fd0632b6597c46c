"""SPEC T9 (issue 21): staff void an entry of an open ticket with a reason. It stays on the ticket, marked voided
(who, their name then, when, why: W2), and counts for nothing from that moment - weighted and projected minutes,
the C4 gate (a void frees room for the next entry), a visit's whole hours (V1) and fair use. A closed ticket's
entries are frozen (T7: 409). Races - a void and a close, two voids - have one winner and books that agree (C7).
Real threads against DynamoDB Local, every request through a handler and a real transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from devstack.lambda_client import claims
from hourbank.store.models import AccountModel
from tests.integration.conftest import assert_c7, ledger_items
from tests.integration.test_visits import book, entry, pay, visit_of  # noqa: F401 - book is a fixture

pytestmark = pytest.mark.integration

AT = "2026-11-16T10:00:00-05:00"  # a Monday in business hours
LATER = "2026-11-16T13:00:00-05:00"
WHY = {"reason": "logged on the wrong ticket"}


def void(api, ticket: str, entry_id: str, as_, body: dict | None = None):
    return api.post(f"/tickets/{ticket}/time-entries/{entry_id}/void", body or WHY, as_=as_)


def closed_month(api, ticket: str, as_) -> str:
    from hourbank.ports.settings import get_settings

    return get_settings().month_of(api.get(f"/tickets/{ticket}", as_=as_).body["closed_at"])


def committed(account: str) -> int:
    return int(AccountModel.get(account, consistent_read=True).committed_minutes)


def test_a_voided_entry_stays_marked_and_counts_for_nothing_T9(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 600)
    ticket = open_ticket(account)
    wrong = log_time(ticket, AT, 95).body["entry_id"]
    log_time(ticket, LATER, 20)
    assert committed(account) == 120  # 115 weighted -> 120 projected (T5)
    reply = void(api, ticket, wrong, tech)
    assert reply.status == 200, reply
    voided = reply.body["voided"]
    assert voided["reason"] == "logged on the wrong ticket" and voided["by"] == tech["sub"]
    assert voided["by_name"] == tech["name"]  # W2: the name as it was then
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert [e["entry_id"] for e in view["entries"] if e["voided"]] == [wrong]  # it stays, marked
    assert (view["weighted_minutes"], view["projected_consumption_minutes"], view["voided_entries"]) == (20, 30, 1)
    assert committed(account) == 30  # C4: the account's room follows at once
    again = void(api, ticket, wrong, tech, {"reason": "another reason"})
    assert again.status == 200 and again.body["voided"] == voided  # unchanged
    closed = api.post(f"/tickets/{ticket}/close", as_=tech).body
    assert (closed["consumed_minutes"], closed["debited_minutes"]) == (30, 30)  # T5 on what counts
    assert assert_c7(account) == 570 and committed(account) == 0
    month = closed_month(api, ticket, tech)
    row = api.get(f"/accounts/{account}/statements/{month}", as_=tech).body["tickets"][0]
    assert wrong not in [e["entry_id"] for e in row["entries"]] and row["weighted_minutes"] == 20  # M3: not billed


def test_closed_ticket_entries_are_frozen_and_refusals_write_nothing_T9(
    api, tech, billing, make_account, open_ticket, log_time, unchanged
):
    account = make_account("member", 300)
    ticket = open_ticket(account)
    entry_id = log_time(ticket, AT, 30).body["entry_id"]
    owner = claims("customer", account_id=account)
    with unchanged():
        assert void(api, ticket, entry_id, owner).status == 403  # customers may see it, not void it
        assert void(api, ticket, entry_id, claims("customer", account_id="acc_someoneelse")).status == 404
        assert void(api, ticket, "ent_nosuchentry", tech).status == 404
        assert void(api, ticket, entry_id, tech, {"reason": "  "}).status == 400
    assert api.post(f"/tickets/{ticket}/close", as_=tech).status == 200
    with unchanged():
        refused = void(api, ticket, entry_id, billing)
    assert refused.status == 409 and "credit" in refused.body["error"]["message"]  # T7: a credit-back instead


def test_a_void_frees_room_for_the_next_entry_C4_T9(api, tech, make_account, open_ticket, log_time):
    account = make_account("non_member", 120)
    ticket = open_ticket(account)
    wrong = log_time(ticket, AT, 120).body["entry_id"]
    refused = log_time(ticket, LATER, 30, expect=402)  # C4: nothing available
    assert refused.body["error"]["details"]["available_minutes"] == 0
    assert void(api, ticket, wrong, tech).status == 200
    assert AccountModel.get(account, consistent_read=True).available_minutes == 120
    log_time(ticket, LATER, 30)  # the room the void freed
    assert committed(account) == 30


def test_a_voided_entry_leaves_fair_use_T9(api, tech, make_account, open_ticket, log_time):
    account = make_account("unlimited_remote")
    ticket = open_ticket(account)
    over = log_time(ticket, AT, 45).body["entry_id"]  # past the 30 minutes a day (seed 003)
    assert api.get(f"/tickets/{ticket}", as_=tech).body["fair_use"]["exceeded"] is True
    void(api, ticket, over, tech)
    assert api.get(f"/tickets/{ticket}", as_=tech).body["fair_use"]["exceeded"] is False


def test_a_void_gives_a_visit_its_whole_hours_back_V1_T9(api, tech, make_account, book):  # noqa: F811
    account = make_account("member")
    booked = book(account, 1)
    pay(api, booked["order_id"])
    ticket = booked["ticket_id"]
    first = entry(api, tech, ticket, 50, "onsite", "2026-11-24T09:00:00-05:00")
    assert first.status == 201
    assert entry(api, tech, ticket, 30, "onsite", "2026-11-24T10:00:00-05:00").status == 402  # past 1 h
    assert void(api, ticket, first.body["entry_id"], tech).status == 200
    shown = visit_of(api, booked["visit_id"], tech)
    assert (shown["used_minutes"], shown["used_hours"]) == (0, 0)
    assert entry(api, tech, ticket, 30, "onsite", "2026-11-24T10:00:00-05:00").status == 201


@pytest.mark.parametrize("round_", range(4))
def test_a_void_racing_a_close_has_one_winner_and_the_books_agree_T9(
    api, tech, billing, make_account, open_ticket, log_time, round_
):
    account = make_account("member", 600)
    ticket = open_ticket(account)
    wrong = log_time(ticket, AT, 95).body["entry_id"]
    log_time(ticket, LATER, 20)
    start = Barrier(2)

    def race(n: int):
        start.wait(timeout=10)
        if n == 0:
            return void(api, ticket, wrong, billing)
        return api.post(f"/tickets/{ticket}/close", as_=tech)

    with ThreadPoolExecutor(2) as pool:
        voided, closed = pool.map(race, range(2))
    assert closed.status == 200, closed
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    if voided.status == 200:  # the void first: the close consumed without it
        assert closed.body["consumed_minutes"] == 30 and view["voided_entries"] == 1
    else:  # the close first: the entry is frozen, counted in full
        assert voided.status == 409, voided
        assert closed.body["consumed_minutes"] == 120 and view["voided_entries"] == 0
    assert [e["kind"] for e in ledger_items(account)].count("consumption") == 1
    assert assert_c7(account) == 600 - closed.body["consumed_minutes"]
    assert committed(account) == 0


def test_two_voids_racing_have_one_winner_T9(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("member", 600)
    ticket = open_ticket(account)
    same = log_time(ticket, AT, 95).body["entry_id"]
    other = log_time(ticket, LATER, 20).body["entry_id"]
    start = Barrier(6)

    def race(n: int):
        start.wait(timeout=10)
        who = tech if n % 2 else billing
        return void(api, ticket, same if n < 4 else other, who, {"reason": f"reason {n}"})

    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(race, range(6)))
    assert {r.status for r in replies} == {200}, replies
    assert len({str(r.body["voided"]) for r in replies[:4]}) == 1, "one void of the entry won; the rest see it"
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert (view["weighted_minutes"], view["projected_consumption_minutes"], view["voided_entries"]) == (0, 0, 2)
    assert committed(account) == 0 and assert_c7(account) == 600
