"""SPEC S1 through the whole local stack: real HTTP to the gateway (tickets with due times, responses,
waiting, the queue, the statement's breaches) and the ResponseWarnings schedule of the template fired as
the stack fires it (``scripts/local.py run-schedule ResponseWarnings --at ...``), the clock injected by the
scheduled time; the warning lands in the stack's outbox addressed as the template says."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scripts.localdev.adapters import read_outbox
from scripts.localdev.http_client import request
from scripts.localdev.jwt_local import mint

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions
    from scripts.local import Stack
    from scripts.localdev import lambda_runtime

    saved = dict(os.environ)
    base = tmp_path_factory.mktemp("stack")
    os.environ["OUTBOX_DIR"] = str(base / "outbox")
    running = Stack(port=0, data_dir=None, dlq_dir=base / "dead-letters", run_cron=False)
    try:
        running.start()
        lambda_runtime.retire_environments()
        yield running
    finally:
        running.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        if "ACCOUNTS_TABLE" in os.environ:
            transactions.bind()
        lambda_runtime.retire_environments()


def test_S1_over_http_and_the_warning_schedule(stack):
    billing, tech = mint("billing"), mint("technician")

    def call(method: str, path: str, body: Any = None, token: str = tech, expect: int = 200) -> Any:
        reply = request(stack.url, method, path, body, token)
        assert reply.status == expect, (method, path, reply)
        return reply.body

    acc = call(
        "POST",
        "/accounts",
        {"name": "Dental Group", "email": "it@dental.example", "plan": "business_priority"},
        billing,
        expect=201,
    )["account_id"]
    # Business Priority: 4 business hours on Mon-Fri 09:00-17:00 (seed 001): Tue 15:00 -> Wed 11:00 EST.
    made = call(
        "POST",
        "/tickets",
        {"account_id": acc, "title": "Server offline", "priority": "normal", "opened_at": "2026-11-24T15:00:00-05:00"},
        expect=201,
    )
    ticket = made["ticket_id"]
    assert made["response_due_at"] == "2026-11-25T16:00:00+00:00"
    other = call(
        "POST",
        "/tickets",
        {"account_id": acc, "title": "Printer", "priority": "urgent", "opened_at": "2026-11-24T09:00:00-05:00"},
        expect=201,
    )["ticket_id"]
    queue = call("GET", "/tickets?status=open&limit=1", token=billing)
    assert [i["ticket_id"] for i in queue["items"]] == [other] and queue["cursor"]
    assert [
        i["ticket_id"] for i in call("GET", f"/tickets?limit=5&cursor={queue['cursor']}", token=billing)["items"]
    ] == [ticket]

    # Warned once, 15 min (the template's default lead) or a little more before it falls due.
    due = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    for minutes in (25, 18, 13, 8):
        result = stack.scheduler.fire("ResponseWarnings", due - timedelta(minutes=minutes))
        assert result is not None
    mails = [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["message_id"] == f"sla-warning#{ticket}"]
    assert len(mails) == 1 and mails[0]["to"] == "technicians@example.com" and "Server offline" in mails[0]["subject"]

    # Waiting on the customer Wed 10:00-13:00 EST moves the due time by those 3 business hours: 14:00 EST.
    call("PUT", f"/tickets/{ticket}/waiting", {"waiting": True, "at": "2026-11-25T10:00:00-05:00"})
    resumed = call("PUT", f"/tickets/{ticket}/waiting", {"waiting": False, "at": "2026-11-25T13:00:00-05:00"})
    assert resumed["response_due_at"] == "2026-11-25T19:00:00+00:00"
    answered = call(
        "POST",
        f"/tickets/{ticket}/responses",
        {"note": "Rebooted the host", "at": "2026-11-25T13:30:00-05:00"},
        expect=201,
    )
    assert answered["first"] is True
    assert call("GET", f"/tickets/{ticket}")["sla_status"] == "met"

    statement = call("GET", f"/accounts/{acc}/statements/2026-11", token=billing)
    assert statement["sla"]["met"] == 1 and statement["sla"]["breached"] == 1
    assert statement["sla"]["breaches"][0]["ticket_id"] == other


def test_S1_priority_change_and_seed_003_fair_use_over_http(stack):
    billing, tech = mint("billing"), mint("technician")

    def call(method: str, path: str, body: Any = None, token: str = tech, expect: int = 200) -> Any:
        reply = request(stack.url, method, path, body, token)
        assert reply.status == expect, (method, path, reply)
        return reply.body

    acc = call(
        "POST",
        "/accounts",
        {"name": "Solo", "email": "me@solo.example", "plan": "unlimited_remote"},
        billing,
        expect=201,
    )["account_id"]
    ticket = call(
        "POST",
        "/tickets",
        {"account_id": acc, "title": "Mail", "priority": "low", "opened_at": "2026-11-24T10:00:00-05:00"},
        expect=201,
    )["ticket_id"]
    urgent = call("PUT", f"/tickets/{ticket}/priority", {"priority": "urgent"})
    assert urgent["response_due_at"] == "2026-11-24T16:00:00+00:00"  # 60 business minutes from the opening
    for started, minutes in (("2026-11-24T10:00:00-05:00", 25), ("2026-11-24T15:00:00-05:00", 20)):
        call(
            "POST",
            f"/tickets/{ticket}/time-entries",
            {"work_type": "remote", "started_at": started, "minutes": minutes, "note": "remote session"},
            expect=201,
        )
    shown = call("GET", f"/tickets/{ticket}", token=mint("customer", acc))
    assert shown["fair_use"]["exceeded"] is True
    assert shown["fair_use"]["days"] == [{"date": "2026-11-24", "remote_minutes": 45, "over_minutes": 15}]
