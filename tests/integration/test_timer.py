"""SPEC W3 (issue 21; hourbank's own route, docs/API.md): a ticket's timer is kept server-side - a reload or
another device sees it, two technicians see the same one - and stopped it becomes a time entry by the same path
as any other (T8, C4, the rating), the timer cleared in the entry's own transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest

from devstack.lambda_client import claims
from hourbank.kernel.clock import iso
from hourbank.store.models import TICKET_SK, TicketModel

pytestmark = pytest.mark.integration

STOP = {"action": "stop", "work_type": "remote", "note": "reset the router"}


def timer(api, ticket: str, body: dict, as_):
    return api.post(f"/tickets/{ticket}/timer", body, as_=as_)


def started_ago(ticket: str, minutes: int) -> None:
    """The running timer as if started ``minutes`` ago (the handlers run on the real clock)."""
    at = iso(datetime.now(UTC) - timedelta(minutes=minutes))
    TicketModel.get(ticket, TICKET_SK).update(actions=[TicketModel.timer.started_at.set(at)])  # type: ignore[attr-defined]


def test_a_timer_is_seen_by_everyone_and_becomes_an_entry_when_stopped_W3(api, tech, make_account, open_ticket):
    account = make_account("member", 300)
    ticket = open_ticket(account)
    started = timer(api, ticket, {"action": "start"}, tech)
    assert started.status == 200 and started.body["by_name"] == tech["name"]
    assert timer(api, ticket, {"action": "start"}, tech).body == started.body  # another device: the same timer
    other = claims("technician", sub="tech-2", name="Bo Chen")
    assert api.get(f"/tickets/{ticket}", as_=other).body["timer"] == started.body
    taken = timer(api, ticket, {"action": "start"}, other)
    assert taken.status == 409 and tech["name"] in taken.body["error"]["message"]
    started_ago(ticket, 45)
    stopped = timer(api, ticket, STOP, tech)
    assert stopped.status == 201, stopped
    assert stopped.body["minutes"] in (45, 46) and stopped.body["technician_name"] == tech["name"]
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert view["timer"] is None and [e["entry_id"] for e in view["entries"]] == [stopped.body["entry_id"]]
    assert timer(api, ticket, STOP, tech).status == 409  # nothing running


def test_a_timer_past_the_balance_is_refused_and_keeps_running_C4_W3(api, tech, make_account, open_ticket):
    account = make_account("non_member", 60)
    ticket = open_ticket(account)
    timer(api, ticket, {"action": "start"}, tech)
    started_ago(ticket, 90)
    refused = timer(api, ticket, STOP, tech)
    assert refused.status == 402, refused
    assert api.get(f"/tickets/{ticket}", as_=tech).body["timer"] is not None  # top up, then stop it again
    assert timer(api, ticket, {"action": "stop"}, tech).status == 400  # what was the work?


def test_two_stops_racing_post_one_entry_W3(api, tech, make_account, open_ticket):
    account = make_account("member", 300)
    ticket = open_ticket(account)
    timer(api, ticket, {"action": "start"}, tech)
    started_ago(ticket, 30)
    start = Barrier(4)

    def stop(_):
        start.wait(timeout=10)
        return timer(api, ticket, STOP, tech)

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(stop, range(4)))
    assert {r.status for r in replies} <= {201, 409} and 201 in {r.status for r in replies}, replies
    # one entry: the stops that found it written answer it again (same id), the rest a 409
    assert len({r.body["entry_id"] for r in replies if r.status == 201}) == 1
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert view["entry_count"] == 1 and view["timer"] is None


def test_a_discarded_timer_logs_nothing_W3(api, tech, make_account, open_ticket):
    account = make_account("member", 300)
    ticket = open_ticket(account)
    timer(api, ticket, {"action": "start"}, tech)
    gone = api.request("DELETE", f"/tickets/{ticket}/timer", as_=tech)
    assert gone.status == 200 and gone.body["timer"] is None and gone.body["entry_count"] == 0
    owner = claims("customer", account_id=account)
    assert timer(api, ticket, {"action": "start"}, owner).status == 403


def test_each_run_of_the_timer_is_its_own_entry_even_within_one_second_W3(api, tech, make_account, open_ticket):
    """Two runs started in the same second once shared their entry's key: the second stop answered the first
    entry and left its timer running."""
    account = make_account("member", 300)
    ticket = open_ticket(account)
    posted, same_second = [], iso(datetime.now(UTC) - timedelta(minutes=10))
    for _ in range(2):
        assert timer(api, ticket, {"action": "start"}, tech).status == 200
        TicketModel.get(ticket, TICKET_SK).update(actions=[TicketModel.timer.started_at.set(same_second)])  # type: ignore[attr-defined]
        posted.append(timer(api, ticket, STOP, tech))
    assert [r.status for r in posted] == [201, 201] and posted[0].body["entry_id"] != posted[1].body["entry_id"]
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert (view["entry_count"], view["timer"]) == (2, None)
