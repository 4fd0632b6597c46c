"""SPEC scenario 7 and the balance watch's failure path through the whole local stack: real HTTP to the
gateway, DynamoDB Local's streams read by the stack's pollers, the consumers invoked as Lambda invokes
them, the local invoice page paying with a signed ``invoice.paid``, e-mails in the outbox, and a poison
record ending in the dead-letter file (SPEC O4, O5)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack.adapters import read_outbox
from devstack.http_client import request
from devstack.jwt_local import mint

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A whole stack in this process (its own in-memory engine); the session's settings come back after."""
    from devstack import lambda_runtime
    from devstack.stack import Stack
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

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
        if "ACCOUNTS_TABLE" in os.environ:  # the session's tables, when other tests use them
            transactions.bind()
        lambda_runtime.retire_environments()


@pytest.fixture(scope="module")
def call(stack) -> Callable[..., Any]:
    def do(method: str, path: str, body: Any = None, token: str | None = None, expect: int | None = None):
        reply = request(stack.url, method, path, body, token)
        if expect is not None:
            assert reply.status == expect, (method, path, reply)
        return reply.body

    return do


def eventually(probe: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def test_scenario_7_auto_top_up_end_to_end_O4_O5(stack, call):
    billing, tech = mint("billing"), mint("technician")
    acc = call(
        "POST",
        "/accounts",
        {"name": "Scenario Seven", "email": "it@seven.example", "plan": "member"},
        billing,
        expect=201,
    )["account_id"]
    call(
        "POST",
        f"/accounts/{acc}/adjustments",
        {"minutes": 60, "kind": "purchase", "reason": "phone"},
        billing,
        expect=201,
    )
    settings = {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120, "notify_low_balance": True}
    owner = mint("customer", acc)
    shown = call("PUT", f"/accounts/{acc}/auto-top-up", settings, owner, expect=200)
    assert shown["auto_top_up"]["enabled"] is True and shown["notify_low_balance"] is True

    ticket = call(
        "POST",
        "/tickets",
        {"account_id": acc, "title": "Printer", "priority": "normal", "opened_at": "2026-11-16T09:00:00-05:00"},
        tech,
        expect=201,
    )["ticket_id"]
    call(
        "POST",
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "started_at": "2026-11-16T10:00:00-05:00", "minutes": 30, "note": "driver"},
        tech,
        expect=201,
    )
    closed_at = time.monotonic()
    assert call("POST", f"/tickets/{ticket}/close", None, tech, expect=200)["balance_minutes"] == 30

    def issued():
        items = call("GET", f"/accounts/{acc}/invoices", None, owner, expect=200)["items"]
        return items if items and items[0]["status"] == "open" else None

    [invoice] = eventually(issued, "the auto top-up invoice issued")
    took = time.monotonic() - closed_at
    assert (invoice["kind"], invoice["minutes"], invoice["price"]) == (
        "auto_top_up",
        120,
        {"currency": "USD", "amount_minor": 30_000},
    )
    assert took < 30, took
    mails = eventually(
        lambda: [
            m
            for m in read_outbox(os.environ["OUTBOX_DIR"])
            if acc in m["text"] and m["message_id"].startswith("notice#low_balance#")  # not N1's mails
        ],
        "the low-balance e-mail",
    )
    assert len(mails) == 1 and mails[0]["to"] == "it@seven.example" and "0.5 h" in mails[0]["text"]

    # the customer opens the payment link: the local stand-in for Stripe's hosted invoice page
    page = request(stack.url, "GET", invoice["payment_url"].removeprefix(stack.url))
    assert page.status == 200 and "Pay 300.00 USD" in page.raw.decode()
    assert "<code>invoice.paid</code>" in page.raw.decode(), "the banner names the event Pay sends (issue 10)"
    form = re.search(r'action="([^"]+)"', page.raw.decode()).group(1)
    paid = request(
        stack.url, "POST", form, f"account={acc}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert paid.status == 303, paid
    account = call("GET", f"/accounts/{acc}", None, owner, expect=200)
    assert account["balance_minutes"] == 150, "SPEC scenario 7: 60 - 30 + 120"
    assert account["auto_top_up"]["pending_invoice_id"] is None
    assert call("GET", f"/accounts/{acc}/invoices", None, owner)["items"][0]["status"] == "paid"
    time.sleep(1.0)  # the credit's own stream records pass the watch: no crossing, nothing more
    assert len(call("GET", f"/accounts/{acc}/invoices", None, owner)["items"]) == 1
    assert (
        len(
            [
                m
                for m in read_outbox(os.environ["OUTBOX_DIR"])
                if acc in m["text"] and m["message_id"].startswith("notice#low_balance#")  # not N1's mails
            ]
        )
        == 1
    )


def test_a_poison_account_record_ends_in_the_dead_letter_file_and_the_rest_go_on(stack, call):
    billing = mint("billing")
    good = call(
        "POST", "/accounts", {"name": "Good", "email": "good@example.test", "plan": "member"}, billing, expect=201
    )["account_id"]
    call(
        "PUT",
        f"/accounts/{good}/auto-top-up",
        {"enabled": True, "threshold_minutes": 600, "amount_minutes": 60},
        billing,
        expect=200,
    )  # turned on below T: a crossing
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.engine.endpoint)
    table = stack.tables["AccountsTable"]
    poison = "acc_poison" + os.urandom(4).hex()
    item = {
        "account_id": {"S": poison},
        "balance_minutes": {"N": "100"},
        "notify_low_balance": {"BOOL": True},
        "auto_top_up": {
            "M": {"enabled": {"BOOL": True}, "threshold_minutes": {"N": "60"}, "amount_minutes": {"N": "120"}}
        },
    }
    dynamodb.put_item(TableName=table, Item=item)
    # a MODIFY whose new image has a balance that is not a number: the watch cannot read it
    dynamodb.update_item(
        TableName=table,
        Key={"account_id": {"S": poison}},
        UpdateExpression="SET balance_minutes = :b",
        ExpressionAttributeValues={":b": {"S": "lots"}},
    )
    eventually(lambda: call("GET", f"/accounts/{good}/invoices", None, billing)["items"], "the good account's invoice")
    dlq = Path(stack.dlq_dir)

    def dead() -> list[dict]:
        lines = [json.loads(line) for f in dlq.glob("*.jsonl") for line in f.read_text().splitlines() if line]
        return [entry for entry in lines if poison in json.dumps(entry)]

    [entry] = eventually(dead, "the poison record in the dead-letter file", timeout=60)
    assert entry["requestContext"]["condition"] in ("RetryAttemptsExhausted", "RetriesExhausted"), entry
