"""SPEC N1 through the whole local stack, as ``python -m devstack up`` runs it: real HTTP to the gateway, every
function in worker processes of its own with only its template variables, DynamoDB Local's Tickets stream read
by the stack's poller and delivered to the NotificationsFunction, mails in the outbox. A ticket opened and
closed → "received", "new ticket" and the receipt, each once, within seconds."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.adapters import read_outbox
from devstack.http_client import request
from devstack.jwt_local import mint

pytestmark = pytest.mark.e2e

MONDAY = "2026-01-05T10:00:00-05:00"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from devstack import lambda_runtime
    from devstack.stack import Stack
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

    saved = dict(os.environ)
    base = tmp_path_factory.mktemp("stack")
    os.environ["OUTBOX_DIR"] = str(base / "outbox")
    running = Stack(port=0, data_dir=None, dlq_dir=base / "dead-letters", run_cron=False, isolated=True)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        if "ACCOUNTS_TABLE" in os.environ:
            transactions.bind()
        lambda_runtime.retire_environments()


def call(stack, method: str, path: str, body: Any = None, token: str | None = None, expect: int = 200) -> Any:
    reply = request(stack.url, method, path, body, token)
    assert reply.status == expect, (method, path, reply)
    return reply.body


def mails(address: str) -> list[dict]:
    return [
        m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["message_id"].startswith("n1.") and m["to"] == address
    ]


def test_a_closed_ticket_s_receipt_is_in_the_outbox_within_seconds_N1(stack):
    billing, tech = mint("billing"), mint("technician")
    address = f"n1-{time.time_ns()}@example.test"
    account = call(
        stack, "POST", "/accounts", {"name": "Receipt Ltd", "email": address, "plan": "member"}, billing, 201
    )
    acc = account["account_id"]
    call(
        stack,
        "POST",
        f"/accounts/{acc}/adjustments",
        {"minutes": 120, "kind": "purchase", "reason": "phone"},
        billing,
        201,
    )
    ticket = call(stack, "POST", "/tickets", {"account_id": acc, "title": "Printer offline", "priority": "normal",
                                             "opened_at": "2026-01-05T08:00:00-05:00"}, tech, 201)  # fmt: skip
    tid, ref = ticket["ticket_id"], ticket["reference"]
    entry = {"work_type": "remote", "started_at": MONDAY, "minutes": 45, "note": "spooler reset"}
    call(stack, "POST", f"/tickets/{tid}/time-entries", entry, tech, 201)
    closed_at = time.monotonic()
    assert call(stack, "POST", f"/tickets/{tid}/close", None, tech)["status"] == "closed"
    deadline, found = closed_at + 20, []  # seconds: ~2-7 s measured on a loaded 2-core machine
    while time.monotonic() < deadline and not found:
        found = [m for m in mails(address) if m["subject"].startswith("Receipt")]
        time.sleep(0.1)
    took = time.monotonic() - closed_at
    assert found, "no receipt within 20 s"
    (receipt,) = found
    assert receipt["subject"] == f"Receipt for ticket {ref}: 60 min (1 h) charged [#{ref}]"
    for words in ("45 min × 1 (business hours) = 45 min", "Rounded up to the next 30 minutes for the whole ticket",
                  "Taken from your balance: 60 min (1 h)", "Your balance now: 60 min (1 h)"):  # fmt: skip
        assert words in receipt["text"], receipt["text"]
    assert stack.pollers.wait_idle(10)
    kinds = sorted(m["message_id"].split(".")[1] for m in mails(address))
    assert kinds == ["receipt", "ticket_received"], kinds  # each once
    print(f"receipt in the outbox {took:.2f} s after the close answered")
