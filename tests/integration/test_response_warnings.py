"""SPEC S1 "staff are warned before a ticket falls due": the ResponseWarningFunction, invoked as the
schedule invokes it (the event's time is the clock), against DynamoDB Local; e-mails in the outbox.

The default lead is 15 minutes and the schedule runs every 5, so a ticket is warned when it falls due
within the next 20 minutes, once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from scripts.localdev.adapters import read_outbox
from scripts.localdev.lambda_runtime import functions, invoke

pytestmark = pytest.mark.integration

OPENED = "2026-11-26T13:07:00-05:00"  # Thu: urgent due 14:07 EST = 19:07Z
DUE = datetime(2026, 11, 26, 19, 7, tzinfo=UTC)


@pytest.fixture(scope="module")
def specs(tables):
    return functions(strict=False)


def fire(specs, at: datetime) -> dict:
    event = {
        "version": "0",
        "id": "test",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "000000000000",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:000000000000:schedule/default/ResponseWarnings"],
        "detail": "{}",
    }
    return invoke(specs["ResponseWarningFunction"], event, source="test")


def warnings_for(ticket_id: str) -> list[dict]:
    return [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["message_id"] == f"sla-warning#{ticket_id}"]


def test_S1_an_unanswered_ticket_is_warned_once_before_it_falls_due(api, tech, specs, make_account, open_ticket):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, "VPN down for everyone", priority="urgent", opened_at=OPENED)
    fire(specs, DUE - timedelta(minutes=30))  # due in 30 min: not yet
    assert warnings_for(ticket_id) == []
    fire(specs, DUE - timedelta(minutes=19))
    [mail] = warnings_for(ticket_id)
    assert "VPN down for everyone" in mail["subject"] and "2026-11-26T19:07:00+00:00" in mail["text"]
    fire(specs, DUE - timedelta(minutes=14))
    fire(specs, DUE - timedelta(minutes=9))
    assert len(warnings_for(ticket_id)) == 1
    assert api.get(f"/tickets/{ticket_id}", as_=tech).body["sla_status"] == "breached"  # it is past, really


def test_S1_concurrent_runs_warn_once(specs, make_account, open_ticket):
    ticket_id = open_ticket(make_account("member", 600), priority="urgent", opened_at=OPENED)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: fire(specs, DUE - timedelta(minutes=12)), range(4)))
    assert len(warnings_for(ticket_id)) == 1


def test_S1_answered_waiting_and_closed_tickets_are_not_warned(api, tech, specs, make_account, open_ticket):
    account = make_account("member", 600)
    answered = open_ticket(account, priority="urgent", opened_at=OPENED)
    waiting = open_ticket(account, priority="urgent", opened_at=OPENED)
    closed = open_ticket(account, priority="urgent", opened_at=OPENED)
    assert (
        api.post(
            f"/tickets/{answered}/responses", {"note": "on it", "at": "2026-11-26T13:30:00-05:00"}, as_=tech
        ).status
        == 201
    )
    assert (
        api.request(
            "PUT", f"/tickets/{waiting}/waiting", {"waiting": True, "at": "2026-11-26T13:20:00-05:00"}, as_=tech
        ).status
        == 200
    )
    assert api.post(f"/tickets/{closed}/close", as_=tech).status == 200
    fire(specs, DUE - timedelta(minutes=10))
    assert warnings_for(answered) == warnings_for(waiting) == warnings_for(closed) == []


def test_S1_a_warning_that_could_not_be_sent_is_sent_by_the_next_run(api, make_account, open_ticket):
    from hourbank.ports.mail import Message
    from hourbank.tickets.service_levels import warn_due_soon

    account = make_account("member", 600)
    ticket_id = open_ticket(account, priority="urgent", opened_at="2026-11-27T09:41:00-05:00")
    other = open_ticket(account, priority="urgent", opened_at="2026-11-27T09:41:00-05:00")
    due = datetime(2026, 11, 27, 15, 41, tzinfo=UTC)  # Fri 10:41 EST
    sent: list[Message] = []

    def refuse(message: Message) -> None:
        if message.message_id == f"sla-warning#{ticket_id}":
            raise ConnectionError("SES is unreachable")
        sent.append(message)

    with pytest.raises(ConnectionError):
        warn_due_soon(due - timedelta(minutes=16), 15, 5, refuse, "techs@example.test")
    assert [m.message_id for m in sent if other in m.message_id] == [f"sla-warning#{other}"]  # not held up
    warn_due_soon(due - timedelta(minutes=11), 15, 5, sent.append, "techs@example.test")
    assert [m.message_id for m in sent if ticket_id in m.message_id] == [f"sla-warning#{ticket_id}"]
    warn_due_soon(due - timedelta(minutes=6), 15, 5, sent.append, "techs@example.test")
    assert len([m for m in sent if ticket_id in m.message_id]) == 1
    assert len([m for m in sent if other in m.message_id]) == 1
