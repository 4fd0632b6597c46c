"""SPEC S1 through the API functions against DynamoDB Local: due times on tickets, first responses,
waiting, the queue by due time, breaches on the statement, fair use on the ticket (seed 003).

Times are recorded in the past (staff may), in the reference week Mon 2026-11-23 .. (America/New_York,
EST, UTC-5, the template's default calendar Mon-Fri 08:30-17:30)."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.integration

TUE_10 = "2026-11-24T10:00:00-05:00"
QUEUE_STATUSES = ("open", "awaiting_credit")


def ticket(api, tech, ticket_id: str) -> dict:
    reply = api.get(f"/tickets/{ticket_id}", as_=tech)
    assert reply.status == 200, reply
    return reply.body


@pytest.mark.parametrize(
    ("plan", "priority", "opened_at", "timezone", "due"),
    [
        ("member", "urgent", TUE_10, None, "2026-11-24T16:00:00+00:00"),  # 60 business minutes
        ("member", "urgent", "2026-11-24T17:00:00-05:00", None, "2026-11-25T14:00:00+00:00"),  # across the night
        ("non_member", "normal", TUE_10, None, "2026-11-25T15:00:00+00:00"),  # 24 wall-clock hours
        ("business_priority", "low", "2026-11-24T15:00:00-05:00", None, "2026-11-25T16:00:00+00:00"),  # 09-17
        ("business_priority", "urgent", "2026-11-27T16:00:00+00:00", "Europe/London", "2026-11-30T12:00:00+00:00"),
    ],
)
def test_S1_a_new_ticket_carries_its_due_time(api, tech, make_account, plan, priority, opened_at, timezone, due):
    account = make_account(plan, 600, **({"timezone": timezone} if timezone else {}))
    made = api.post(
        "/tickets",
        {"account_id": account, "title": "Mail down", "priority": priority, "opened_at": opened_at},
        as_=tech,
    )
    assert made.status == 201, made
    assert made.body["response_due_at"] == due
    assert made.body["first_response_at"] is None
    assert made.body["sla_status"] == "breached"  # its due time has passed unanswered
    assert ticket(api, tech, made.body["ticket_id"])["response_due_at"] == due


def test_S1_a_ticket_opened_now_is_pending(api, tech, make_account, open_ticket):
    account = make_account("member", 600)
    body = ticket(api, tech, open_ticket(account, priority="normal", opened_at=None))
    assert body["sla_status"] == "pending" and body["response_target"]["clock"] == "wall"


def test_S1_first_response_sets_first_response_at_and_judges_it(api, tech, make_account, open_ticket):
    account = make_account("member", 600)
    late = open_ticket(account, priority="urgent", opened_at=TUE_10)  # due 11:00 EST
    first = api.post(
        f"/tickets/{late}/responses", {"note": "Looking at it", "at": "2026-11-24T11:30:00-05:00"}, as_=tech
    )
    assert first.status == 201, first
    assert first.body["first"] is True and first.body["at"] == "2026-11-24T11:30:00-05:00"
    second = api.post(f"/tickets/{late}/responses", {"note": "Fixed", "at": "2026-11-24T12:00:00-05:00"}, as_=tech)
    assert second.status == 201 and second.body["first"] is False
    body = ticket(api, tech, late)
    assert body["first_response_at"] == "2026-11-24T16:30:00+00:00"
    assert body["sla_status"] == "breached" and body["response_count"] == 2
    # Recorded later but given earlier: the earliest response is the first, and it was in time.
    earlier = api.post(f"/tickets/{late}/responses", {"note": "Phoned", "at": "2026-11-24T10:40:00-05:00"}, as_=tech)
    assert earlier.status == 201 and earlier.body["first"] is True
    body = ticket(api, tech, late)
    assert body["first_response_at"] == "2026-11-24T15:40:00+00:00" and body["sla_status"] == "met"


def test_S1_response_bad_input_writes_nothing(api, tech, make_account, open_ticket, unchanged):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at=TUE_10)
    customer = {"sub": "c1", "cognito:groups": "[customers]", "custom:account_id": account}
    with unchanged():
        future = api.post(f"/tickets/{ticket_id}/responses", {"note": "x", "at": "2099-01-01T00:00:00Z"}, as_=tech)
        assert future.status == 400 and "future" in future.body["error"]["message"]
        before = api.post(f"/tickets/{ticket_id}/responses", {"note": "x", "at": "2026-11-24T09:59:00-05:00"}, as_=tech)
        assert before.status == 400 and "opened" in before.body["error"]["message"]
        assert api.post(f"/tickets/{ticket_id}/responses", {"note": ""}, as_=tech).status == 400
        assert (
            api.post(f"/tickets/{ticket_id}/responses", {"note": "x", "at": "2026-11-24T10:00"}, as_=tech).status == 400
        )  # no offset
        assert api.post(f"/tickets/{ticket_id}/responses", {"note": "x"}, as_=customer).status == 403
        missing = ticket_id.replace("tkt_", "tkt_0")
        assert api.post(f"/tickets/{missing}/responses", {"note": "x"}, as_=tech).status == 404
    api.post(f"/tickets/{ticket_id}/close", as_=tech)
    with unchanged():
        closed = api.post(f"/tickets/{ticket_id}/responses", {"note": "x"}, as_=tech)
        assert closed.status == 409, closed


def test_S1_concurrent_first_responses_exactly_one_wins(api, make_account, open_ticket):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at=TUE_10)
    techs = [{"sub": f"tech-{i}", "cognito:groups": "[technicians]"} for i in range(8)]
    at = "2026-11-24T10:30:00-05:00"
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(
                lambda who: api.post(
                    f"/tickets/{ticket_id}/responses", {"note": f"on it ({who['sub']})", "at": at}, as_=who
                ),
                techs,
            )
        )
    assert [r.status for r in replies] == [201] * 8, replies
    assert sum(r.body["first"] for r in replies) == 1
    body = ticket(api, techs[0], ticket_id)
    assert body["response_count"] == 8 and body["first_response_at"] == "2026-11-24T15:30:00+00:00"


def test_S1_a_retried_response_with_an_idempotency_key_is_recorded_once(api, tech, make_account, open_ticket):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at=TUE_10)
    with ThreadPoolExecutor(4) as pool:
        replies = list(
            pool.map(
                lambda _: api.post(
                    f"/tickets/{ticket_id}/responses", {"note": "same"}, as_=tech, headers={"idempotency-key": "k-1"}
                ),
                range(4),
            )
        )
    assert {r.status for r in replies} == {201}
    assert len({r.body["response_id"] for r in replies}) == 1
    assert ticket(api, tech, ticket_id)["response_count"] == 1
    other = api.post(
        f"/tickets/{ticket_id}/responses", {"note": "different"}, as_=tech, headers={"idempotency-key": "k-1"}
    )
    assert other.status == 409


def test_S1_waiting_pauses_the_clock_and_moves_the_due_time(api, tech, make_account, open_ticket):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at=TUE_10)  # due 11:00 EST
    paused = api.request(
        "PUT", f"/tickets/{ticket_id}/waiting", {"waiting": True, "at": "2026-11-24T10:20:00-05:00"}, as_=tech
    )
    assert paused.status == 200, paused
    assert paused.body["sla_status"] == "paused" and paused.body["response_due_at"] is None
    again = api.request("PUT", f"/tickets/{ticket_id}/waiting", {"waiting": True}, as_=tech)
    assert again.status == 200 and again.body["waiting_since"] == paused.body["waiting_since"]  # no-op
    resumed = api.request(
        "PUT", f"/tickets/{ticket_id}/waiting", {"waiting": False, "at": "2026-11-24T14:00:00-05:00"}, as_=tech
    )
    assert resumed.status == 200, resumed
    # 20 minutes counted before, 40 left from 14:00: due 14:40 EST.
    assert resumed.body["response_due_at"] == "2026-11-24T19:40:00+00:00"
    assert resumed.body["waiting_periods"] == [
        {"start": "2026-11-24T10:20:00-05:00", "end": "2026-11-24T14:00:00-05:00", "by": "tech-1"}
    ]
    answered = api.post(f"/tickets/{ticket_id}/responses", {"note": "x", "at": "2026-11-24T14:30:00-05:00"}, as_=tech)
    assert answered.status == 201 and ticket(api, tech, ticket_id)["sla_status"] == "met"


def test_S1_waiting_bad_input_writes_nothing(api, tech, make_account, open_ticket, unchanged):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at=TUE_10)
    customer = {"sub": "c1", "cognito:groups": "[customers]", "custom:account_id": account}
    api.request("PUT", f"/tickets/{ticket_id}/waiting", {"waiting": True, "at": "2026-11-24T12:00:00-05:00"}, as_=tech)
    with unchanged():
        for body in (
            {"waiting": False, "at": "2099-01-01T00:00:00Z"},
            {"waiting": False, "at": "2026-11-24T11:00:00-05:00"},  # before the pause began
            {"waiting": "no"},
            {},
        ):
            reply = api.request("PUT", f"/tickets/{ticket_id}/waiting", body, as_=tech)
            assert reply.status == 400, (body, reply)
        assert api.request("PUT", f"/tickets/{ticket_id}/waiting", {"waiting": False}, as_=customer).status == 403


def test_S1_the_queue_is_ordered_by_due_time_paged_and_loses_closed_tickets(
    api, tech, billing, make_account, open_ticket, log_time
):
    account = make_account("member", 600)
    normal = open_ticket(account, "normal", priority="normal", opened_at=TUE_10)  # due Wed 10:00
    urgent = open_ticket(account, "urgent", priority="urgent", opened_at=TUE_10)  # due Tue 11:00
    low = open_ticket(account, "low", priority="low", opened_at="2026-11-24T09:00:00-05:00")  # due Wed 09:00
    waiting = open_ticket(account, "waiting", priority="urgent", opened_at=TUE_10)
    closed = open_ticket(account, "closed", priority="urgent", opened_at="2026-11-23T10:00:00-05:00")
    api.request("PUT", f"/tickets/{waiting}/waiting", {"waiting": True, "at": "2026-11-24T10:10:00-05:00"}, as_=tech)
    assert api.post(f"/tickets/{closed}/close", as_=tech).status == 200

    items, cursor, pages = [], None, 0
    while True:
        reply = api.get(
            "/tickets", as_=billing, query={"status": "open", "limit": "3", **({"cursor": cursor} if cursor else {})}
        )
        assert reply.status == 200, reply
        assert len(reply.body["items"]) <= 3
        items += reply.body["items"]
        pages += 1
        cursor = reply.body["cursor"]
        if not cursor:
            break
    ids = [i["ticket_id"] for i in items]
    assert len(ids) == len(set(ids)), "a ticket appeared on two pages"
    mine = [i for i in items if i["account_id"] == account]
    assert [i["ticket_id"] for i in mine] == [urgent, low, normal, waiting]
    assert closed not in ids
    assert all(i["status"] == "open" for i in items)
    dues = [i["response_due_at"] for i in items if i["response_due_at"]]
    assert dues == sorted(dues)
    assert mine[0] | {"weighted_minutes": 0} == mine[0] and mine[0]["sla_status"] == "breached"
    assert mine[-1]["waiting"] is True and mine[-1]["response_due_at"] is None


def test_S1_awaiting_credit_tickets_have_their_own_queue(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("non_member", 60)
    ticket_id = open_ticket(account, priority="normal", opened_at=TUE_10)
    log_time(ticket_id, "2026-11-24T10:00:00-05:00", 60)  # consumes 60 = the balance
    assert (
        api.post(
            f"/accounts/{account}/adjustments", {"minutes": -30, "kind": "adjustment", "reason": "fix"}, as_=billing
        ).status
        == 201
    )
    assert api.post(f"/tickets/{ticket_id}/close", as_=tech).body["status"] == "awaiting_credit"
    awaiting = api.get("/tickets", as_=billing, query={"status": "awaiting_credit", "limit": "200"}).body["items"]
    assert ticket_id in [i["ticket_id"] for i in awaiting]
    opened = api.get("/tickets", as_=billing, query={"status": "open", "limit": "200"})
    assert ticket_id not in [i["ticket_id"] for i in opened.body["items"]]


def test_S1_queue_refuses_customers_and_bad_cursors(api, make_account, billing):
    account = make_account("member")
    customer = {"sub": "c1", "cognito:groups": "[customers]", "custom:account_id": account}
    assert api.get("/tickets", as_=customer).status == 403
    for query in ({"cursor": "not-a-cursor"}, {"status": "closed"}, {"limit": "0"}, {"limit": "x"}):
        reply = api.get("/tickets", as_=billing, query=query)
        assert reply.status == 400 and reply.body["error"]["code"] == "invalid_input", (query, reply)


def test_S1_M3_the_statement_lists_the_months_breaches(api, tech, billing, make_account, open_ticket):
    account = make_account("member", 600)
    met = open_ticket(account, "answered in time", priority="urgent", opened_at=TUE_10)
    late = open_ticket(account, "answered late", priority="urgent", opened_at=TUE_10)
    never = open_ticket(account, "never answered", priority="normal", opened_at=TUE_10)
    december = open_ticket(account, "due in December", priority="urgent", opened_at="2026-11-30T17:20:00-05:00")
    api.post(f"/tickets/{met}/responses", {"note": "a", "at": "2026-11-24T10:30:00-05:00"}, as_=tech)
    api.post(f"/tickets/{late}/responses", {"note": "b", "at": "2026-11-24T13:00:00-05:00"}, as_=tech)
    statement = api.get(f"/accounts/{account}/statements/2026-11", as_=billing)
    assert statement.status == 200, statement
    sla = statement.body["sla"]
    assert (sla["tickets"], sla["met"], sla["breached"]) == (3, 1, 2)
    assert {b["ticket_id"]: b["first_response_at"] for b in sla["breaches"]} == {
        late: "2026-11-24T18:00:00+00:00",
        never: None,
    }
    assert all(b["response_due_at"] and b["priority"] and b["title"] for b in sla["breaches"])
    assert december not in str(sla)
    rows = list(
        csv.DictReader(
            io.StringIO(
                api.get(f"/accounts/{account}/statements/2026-11", as_=billing, headers={"accept": "text/csv"}).body
            )
        )
    )
    breaches = [r for r in rows if r["section"] == "sla_breach"]
    assert {r["ref"] for r in breaches} == {late, never}
    assert next(r for r in rows if r["section"] == "sla")["description"] == "3 due, 1 met, 2 breached"
    dec = api.get(f"/accounts/{account}/statements/2026-12", as_=billing).body["sla"]
    assert dec["breaches"][0]["ticket_id"] == december


def test_seed_003_fair_use_shows_on_an_unlimited_remote_ticket(api, tech, make_account, open_ticket, log_time):
    account = make_account("unlimited_remote")
    ticket_id = open_ticket(account, priority="normal", opened_at=TUE_10)
    log_time(ticket_id, "2026-11-24T10:00:00-05:00", 20)
    body = ticket(api, tech, ticket_id)
    assert body["fair_use"]["exceeded"] is False
    log_time(ticket_id, "2026-11-24T11:00:00-05:00", 15)
    log_time(ticket_id, "2026-11-25T11:00:00-05:00", 10)
    fair = ticket(api, tech, ticket_id)["fair_use"]
    assert fair["exceeded"] is True and fair["allowance_minutes_per_day"] == 30
    assert fair["days"] == [
        {"date": "2026-11-24", "remote_minutes": 35, "over_minutes": 5},
        {"date": "2026-11-25", "remote_minutes": 10, "over_minutes": 0},
    ]
    member = open_ticket(make_account("member", 600), priority="normal")
    assert "fair_use" not in ticket(api, tech, member)


def test_S1_priority_changed_after_opening_recomputes_from_the_opening(api, tech, make_account, open_ticket, unchanged):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="normal", opened_at=TUE_10)  # due Wed 10:00 EST (24 h)
    api.request("PUT", f"/tickets/{ticket_id}/waiting", {"waiting": True, "at": "2026-11-24T10:20:00-05:00"}, as_=tech)
    api.request("PUT", f"/tickets/{ticket_id}/waiting", {"waiting": False, "at": "2026-11-24T10:50:00-05:00"}, as_=tech)
    assert ticket(api, tech, ticket_id)["response_due_at"] == "2026-11-25T15:30:00+00:00"
    # Urgent: 60 business minutes from 10:00, the 30-minute wait not counted: 11:30 EST.
    changed = api.request("PUT", f"/tickets/{ticket_id}/priority", {"priority": "urgent"}, as_=tech)
    assert changed.status == 200, changed
    assert changed.body["priority"] == "urgent" and changed.body["response_due_at"] == "2026-11-24T16:30:00+00:00"
    assert changed.body["response_target"] == {
        "minutes": 60,
        "clock": "business",
        "business_hours": "Mon-Fri 08:30-17:30",
        "timezone": "America/New_York",
    }
    assert [(c["from"], c["to"], c["by"]) for c in changed.body["priority_changes"]] == [("normal", "urgent", "tech-1")]
    back = api.request("PUT", f"/tickets/{ticket_id}/priority", {"priority": "low"}, as_=tech).body
    assert back["response_due_at"] == "2026-11-25T15:30:00+00:00"
    customer = {"sub": "c1", "cognito:groups": "[customers]", "custom:account_id": account}
    with unchanged():
        assert api.request("PUT", f"/tickets/{ticket_id}/priority", {"priority": "urgent"}, as_=customer).status == 403
        assert api.request("PUT", f"/tickets/{ticket_id}/priority", {"priority": "critical"}, as_=tech).status == 400


def test_S1_concurrent_waiting_changes_record_one_pause(api, tech, make_account, open_ticket):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at=TUE_10)
    with ThreadPoolExecutor(6) as pool:
        replies = list(
            pool.map(
                lambda _: api.request("PUT", f"/tickets/{ticket_id}/waiting", {"waiting": True}, as_=tech), range(6)
            )
        )
    assert {r.status for r in replies} == {200}
    body = ticket(api, tech, ticket_id)
    assert len(body["waiting_periods"]) == 1 and body["sla_status"] in ("paused", "breached")


def test_S1_a_close_completed_by_credit_leaves_the_awaiting_queue(
    api, tech, billing, make_account, open_ticket, log_time
):
    account = make_account("non_member", 60)
    ticket_id = open_ticket(account, priority="normal", opened_at=TUE_10)
    log_time(ticket_id, "2026-11-24T10:00:00-05:00", 60)
    api.post(f"/accounts/{account}/adjustments", {"minutes": -30, "kind": "adjustment", "reason": "fix"}, as_=billing)
    assert api.post(f"/tickets/{ticket_id}/close", as_=tech).body["status"] == "awaiting_credit"
    api.post(f"/accounts/{account}/adjustments", {"minutes": 60, "kind": "purchase", "reason": "phone"}, as_=billing)
    assert ticket(api, tech, ticket_id)["status"] == "closed"
    for status in QUEUE_STATUSES:
        items = api.get("/tickets", as_=billing, query={"status": status, "limit": "200"}).body["items"]
        assert ticket_id not in [i["ticket_id"] for i in items]


def test_S1_a_ticket_closed_without_a_recorded_response_is_answered_by_its_close(
    api, tech, billing, make_account, open_ticket
):
    account = make_account("member", 600)
    in_time = open_ticket(account, "solved at once", priority="normal", opened_at=None)  # due tomorrow; closed now
    late = open_ticket(account, "closed late", priority="urgent", opened_at=TUE_10)  # due 11:00 EST, Nov 24
    for ticket_id in (in_time, late):
        assert api.post(f"/tickets/{ticket_id}/close", as_=tech).status == 200
    assert ticket(api, tech, in_time)["sla_status"] == "met"
    assert ticket(api, tech, late)["sla_status"] == "breached"
    sla = api.get(f"/accounts/{account}/statements/2026-11", as_=billing).body["sla"]
    assert [b["ticket_id"] for b in sla["breaches"]] == [late] and sla["breaches"][0]["closed_at"]


def test_S1_a_company_without_business_hours_counts_business_targets_on_the_wall_clock(api, monkeypatch):
    from hourbank.ports.settings import get_settings
    from hourbank.tickets.service_levels import opening_fields

    monkeypatch.setenv("BUSINESS_HOURS", "")
    get_settings.cache_clear()
    try:
        fields = opening_fields("member", "urgent", None, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # a Saturday
        assert fields["sla_clock"] == "wall" and fields["response_due_at"] == "2026-11-28T13:00:00+00:00"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_S1_concurrent_waiting_changes_and_first_responses_leave_the_due_time_the_rule_gives(
    api, tech, make_account, open_ticket
):
    from hourbank.rating.response_due import response_due
    from hourbank.store.models import TicketModel
    from hourbank.tickets.service_levels import _clock, _fields_of, pauses_of

    account = make_account("member", 600)
    tickets = [open_ticket(account, priority="urgent", opened_at=TUE_10) for _ in range(4)]
    calls = []
    for t in tickets:
        calls += [
            ("PUT", f"/tickets/{t}/waiting", {"waiting": True, "at": "2026-11-24T10:20:00-05:00"}),
            ("POST", f"/tickets/{t}/responses", {"note": "x", "at": "2026-11-24T10:50:00-05:00"}),
            ("PUT", f"/tickets/{t}/priority", {"priority": "normal"}),
        ]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda c: api.request(c[0], c[1], c[2], as_=tech), calls))
    assert all(r.status in (200, 201) for r in replies), replies
    for t in tickets:
        item = TicketModel.get(t, "TICKET", consistent_read=True)
        expected = response_due(
            datetime.fromisoformat(item.opened_at),
            _clock(_fields_of(item)),
            pauses_of(item.pauses),
            datetime.fromisoformat(item.first_response_at),
        )
        assert item.response_due_at == expected.astimezone(UTC).isoformat(timespec="seconds"), t
        assert item.queue_due == item.response_due_at
