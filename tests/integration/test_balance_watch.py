"""The balance watch and invoicing consumers as Lambda invokes them, against DynamoDB Local (SPEC O4, O5,
scenario 7; API.md ``PUT /accounts/{id}/auto-top-up``, ``GET /accounts/{id}/invoices``).

Stream records are built from the real items before and after each change (``tests/support``), so the
handlers see exactly the images DynamoDB would put in the stream; the end-to-end run through the local
stack's stream pollers is in tests/e2e/test_balance_watch_stack.py.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from hourbank.payments.webhook_signature import sign_webhook
from hourbank.ports.settings import get_settings
from hourbank.store.models import AccountModel, InvoiceModel, OrderModel
from scripts.localdev.adapters import read_outbox
from scripts.localdev.lambda_runtime import functions, invoke
from scripts.localdev.stream_records import batch, raw_item, record
from scripts.localdev.stripe_shapes import event
from tests.integration.conftest import assert_c7

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def specs(tables):
    return functions(strict=False)


def watch(specs, *records) -> dict:
    return invoke(specs["BalanceWatchFunction"], batch(*records), source="test")


def issue(specs, *records) -> dict:
    return invoke(specs["InvoicingFunction"], batch(*records), source="test")


def account_item(account_id: str) -> dict:
    return raw_item(get_settings().accounts_table, {"account_id": account_id})


def change(account_id: str, old: dict) -> dict:
    """The MODIFY record of ``account_id`` from ``old`` to what it is now."""
    return record("MODIFY", {"account_id": {"S": account_id}}, old=old, new=account_item(account_id))


def new_invoice_record(account_id: str, invoice_id: str) -> dict:
    item = raw_item(get_settings().invoices_table, {"account_id": account_id, "invoice_id": invoice_id})
    return record(
        "INSERT", {"account_id": {"S": account_id}, "invoice_id": {"S": invoice_id}}, new=item, view="NEW_IMAGE"
    )


def invoices(account_id: str) -> list[InvoiceModel]:
    return sorted(InvoiceModel.query(account_id, consistent_read=True), key=lambda i: i.created_at)


def mails(account_id: str) -> list[dict]:
    return [
        m
        for m in read_outbox(os.environ["OUTBOX_DIR"])
        if account_id in m["text"] and not m["message_id"].startswith("invite#")
    ]  # the invitation (issue 12) is not a balance notice


def account(account_id: str) -> AccountModel:
    return AccountModel.get(account_id, consistent_read=True)


def pay(api, invoice: InvoiceModel) -> dict:
    """Stripe says the invoice is paid: ``invoice.paid`` with the metadata the invoicing adapter sets."""
    body = json.dumps(
        event(
            "invoice.paid",
            {
                "id": invoice.stripe_invoice_id,
                "object": "invoice",
                "status": "paid",
                "currency": "usd",
                "amount_due": int(invoice.amount_minor),
                "amount_paid": int(invoice.amount_minor),
                "amount_remaining": 0,
                "billing_reason": "manual",
                "collection_method": "send_invoice",
                "customer": "cus_local",
                "metadata": {
                    "invoice_id": invoice.invoice_id,
                    "order_id": invoice.order_id,
                    "account_id": invoice.account_id,
                    "kind": invoice.kind,
                },
                "parent": None,
                "lines": {"object": "list", "data": []},
            },
        )
    )
    reply = api.post(
        "/webhooks/stripe",
        raw_body=body,
        headers={"stripe-signature": sign_webhook(body, os.environ["STRIPE_WEBHOOK_SECRET"])},
    )
    assert reply.status == 200, reply
    return reply.body


@pytest.fixture
def watched(api, billing, make_account):
    """A member with 60 minutes, auto top-up T 60 / A 120 and the low-balance e-mail on."""

    def make(minutes: int = 60, plan: str = "member", **settings) -> str:
        account_id = make_account(plan, minutes)
        body = {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120, "notify_low_balance": True, **settings}
        reply = api.request("PUT", f"/accounts/{account_id}/auto-top-up", body, as_=billing)
        assert reply.status == 200, reply
        return account_id

    return make


def consume(api, tech, open_ticket, log_time, account_id: str, minutes: int) -> None:
    ticket = open_ticket(account_id)
    log_time(ticket, "2026-11-16T10:00:00-05:00", minutes)
    assert api.post(f"/tickets/{ticket}/close", as_=tech).status == 200


def test_scenario_7_one_invoice_for_120_paid_balance_150_O4(api, tech, specs, watched, open_ticket, log_time):
    acc = watched()
    before = account_item(acc)
    consume(api, tech, open_ticket, log_time, acc, 30)  # 60 → 30, below T = 60
    crossed = change(acc, before)
    assert watch(specs, crossed, crossed) == {"batchItemFailures": []}
    assert watch(specs, crossed) == {"batchItemFailures": []}, "the batch delivered again"
    [invoice] = invoices(acc)
    assert (invoice.kind, invoice.status, int(invoice.minutes), int(invoice.amount_minor)) == (
        "auto_top_up",
        "draft",
        120,
        30_000,
    )  # member $150/h × 2 h
    assert account(acc).pending_top_up == invoice.invoice_id
    [mail] = mails(acc)
    assert "0.5 h" in mail["text"] and "1 h" in mail["text"] and "invoice for 2 h" in mail["text"]

    new = new_invoice_record(acc, invoice.invoice_id)
    assert issue(specs, new, new) == {"batchItemFailures": []}
    listed = api.get(f"/accounts/{acc}/invoices", as_=tech).body["items"]
    assert [(i["status"], i["minutes"], i["price"]["amount_minor"]) for i in listed] == [("open", 120, 30_000)]
    assert listed[0]["payment_url"].startswith("http://127.0.0.1:3000/local-pay/invoice/")
    assert listed[0]["stripe_invoice_id"].startswith("in_local_")

    assert pay(api, InvoiceModel.get(acc, invoice.invoice_id))["outcome"] == "credited"
    assert pay(api, InvoiceModel.get(acc, invoice.invoice_id))["outcome"] == "duplicate"  # another event, same payment
    assert assert_c7(acc) == 150
    assert account(acc).pending_top_up is None
    assert InvoiceModel.get(acc, invoice.invoice_id).status == "paid"
    assert OrderModel.get(invoice.order_id).status == "paid"


def test_crossing_while_the_invoice_is_unpaid_makes_no_second_invoice_but_one_more_email_O4_O5(
    api, tech, billing, specs, watched, open_ticket, log_time
):
    acc = watched()
    before = account_item(acc)
    consume(api, tech, open_ticket, log_time, acc, 30)
    watch(specs, change(acc, before))
    # back above T by a phone purchase, then down again, while the first invoice is still unpaid
    api.post(f"/accounts/{acc}/adjustments", {"minutes": 120, "kind": "purchase", "reason": "phone"}, as_=billing)
    before = account_item(acc)
    consume(api, tech, open_ticket, log_time, acc, 120)  # 150 → 30
    assert watch(specs, change(acc, before)) == {"batchItemFailures": []}
    assert len(invoices(acc)) == 1
    assert len(mails(acc)) == 2, "O5: one e-mail per crossing"


def test_crosses_paid_crosses_again_two_invoices_O4(api, tech, specs, watched, open_ticket, log_time):
    acc = watched()
    for minutes in (30, 120):  # 60 → 30, paid → 150 → 30, paid → 150
        before = account_item(acc)
        consume(api, tech, open_ticket, log_time, acc, minutes)
        watch(specs, change(acc, before))
        [latest] = [i for i in invoices(acc) if i.status == "draft"]
        issue(specs, new_invoice_record(acc, latest.invoice_id))
        pay(api, InvoiceModel.get(acc, latest.invoice_id))
    assert [(i.kind, i.status) for i in invoices(acc)] == [("auto_top_up", "paid")] * 2
    assert assert_c7(acc) == 150


def test_turning_it_on_below_the_threshold_is_a_crossing_O4(api, billing, specs, make_account):
    acc = make_account("member", 30)
    before = account_item(acc)
    api.request(
        "PUT",
        f"/accounts/{acc}/auto-top-up",
        {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120},
        as_=billing,
    )
    record_ = change(acc, before)
    watch(specs, record_)
    watch(specs, record_)
    assert len(invoices(acc)) == 1 and mails(acc) == [], "the e-mail stayed off"


def test_failed_payment_keeps_it_unpaid_and_void_backs_off_O4(
    api, tech, billing, specs, watched, open_ticket, log_time
):
    acc = watched()
    before = account_item(acc)
    consume(api, tech, open_ticket, log_time, acc, 30)
    watch(specs, change(acc, before))
    [first] = invoices(acc)
    issue(specs, new_invoice_record(acc, first.invoice_id))
    first = InvoiceModel.get(acc, first.invoice_id)
    stripe_invoice = {
        "id": first.stripe_invoice_id,
        "object": "invoice",
        "attempt_count": 1,
        "metadata": {"invoice_id": first.invoice_id, "account_id": acc, "order_id": first.order_id},
    }

    def deliver(kind: str) -> dict:
        body = json.dumps(event(kind, stripe_invoice, created=int(time.time())))
        reply = api.post(
            "/webhooks/stripe",
            raw_body=body,
            headers={"stripe-signature": sign_webhook(body, os.environ["STRIPE_WEBHOOK_SECRET"])},
        )
        assert reply.status == 200, reply
        return reply.body

    assert deliver("invoice.payment_failed")["outcome"] == "recorded"
    assert int(InvoiceModel.get(acc, first.invoice_id).attempts) == 1
    assert account(acc).pending_top_up == first.invoice_id, "still unpaid: it still blocks"
    assert deliver("invoice.voided")["outcome"] == "recorded"
    assert InvoiceModel.get(acc, first.invoice_id).status == "void"
    paused = account(acc)
    assert paused.pending_top_up is None and paused.top_up_paused_until
    # the next crossing inside the back-off creates nothing
    api.post(f"/accounts/{acc}/adjustments", {"minutes": 120, "kind": "purchase", "reason": "phone"}, as_=billing)
    before = account_item(acc)
    consume(api, tech, open_ticket, log_time, acc, 120)
    watch(specs, change(acc, before))
    assert len(invoices(acc)) == 1
    # a person turning it on again ends the back-off, and being below T that is a crossing
    before = account_item(acc)
    api.request(
        "PUT",
        f"/accounts/{acc}/auto-top-up",
        {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120},
        as_=billing,
    )
    watch(specs, change(acc, before))
    assert sorted(i.status for i in invoices(acc)) == ["draft", "void"]


def test_a_record_of_unexpected_shape_fails_alone(api, tech, specs, watched, open_ticket, log_time):
    good = watched()
    before = account_item(good)
    consume(api, tech, open_ticket, log_time, good, 30)
    crossed = change(good, before)
    poison = json.loads(json.dumps(crossed))
    poison["dynamodb"]["NewImage"]["balance_minutes"] = {"S": "thirty"}
    poison["dynamodb"]["NewImage"]["account_id"] = {"S": "acc_poison"}
    poison["dynamodb"]["SequenceNumber"] = "1"
    result = watch(specs, poison, crossed)
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert len(invoices(good)) == 1 and invoices("acc_poison") == []


def test_not_an_invoice_record_fails_alone(specs, api, tech, watched, open_ticket, log_time):
    broken = record("INSERT", {"account_id": {"S": "acc_x"}}, new={"account_id": {"S": "acc_x"}}, view="NEW_IMAGE")
    broken["dynamodb"]["SequenceNumber"] = "7"
    assert issue(specs, broken) == {"batchItemFailures": [{"itemIdentifier": "7"}]}


@pytest.mark.parametrize(
    ("change_", "message"),
    [
        ({"threshold_minutes": -1}, "threshold_minutes: must be between 0 and 10000"),
        ({"threshold_minutes": 10_001}, "threshold_minutes: must be between 0 and 10000"),
        ({"amount_minutes": 30}, "amount_minutes: must be between 60"),
        ({"amount_minutes": 75}, "amount_minutes: must be a multiple of 30"),
        ({"enabled": "yes"}, "enabled:"),
        ({"threshold_minutes": 60.5}, "threshold_minutes:"),
        ({"color": "red"}, "color: is not a field of this request"),
    ],
)
def test_settings_out_of_range_are_a_400_that_writes_nothing(api, billing, make_account, unchanged, change_, message):
    acc = make_account("member", 60)
    body = {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120, **change_}
    with unchanged():
        reply = api.request("PUT", f"/accounts/{acc}/auto-top-up", body, as_=billing)
    assert reply.status == 400 and message in reply.body["error"]["message"], reply


def test_who_may_change_the_settings(api, billing, tech, make_account, unchanged):
    mine, theirs = make_account("member"), make_account("member")
    flat = make_account("unlimited_remote")
    body = {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120}
    owner = {"sub": "owner", "cognito:groups": "[customers]", "custom:account_id": mine}
    with unchanged():
        assert api.request("PUT", f"/accounts/{theirs}/auto-top-up", body, as_=owner).status == 404
        assert api.request("PUT", f"/accounts/{mine}/auto-top-up", body, as_=tech).status == 403  # sees it (API.md)
        flat_reply = api.request("PUT", f"/accounts/{flat}/auto-top-up", body, as_=billing)
    assert flat_reply.status == 400 and "no auto top-up" in flat_reply.body["error"]["message"]
    reply = api.request("PUT", f"/accounts/{mine}/auto-top-up", body, as_=owner)
    assert reply.status == 200 and reply.body["auto_top_up"]["enabled"] is True
    assert api.get(f"/accounts/{theirs}/invoices", as_=owner).status == 404
    assert api.get(f"/accounts/{mine}/invoices", as_=owner).body == {"items": []}


def test_a_failure_to_issue_is_kept_on_the_invoice_and_the_record_fails_alone(
    api, tech, specs, watched, open_ticket, log_time, monkeypatch
):
    acc = watched()
    before = account_item(acc)
    consume(api, tech, open_ticket, log_time, acc, 30)
    watch(specs, change(acc, before))
    [invoice] = invoices(acc)
    module = __import__("sys").modules

    class Down:
        def issue(self, invoice, account):
            raise ConnectionError("api.stripe.com unreachable")

    for name, copy in list(module.items()):  # every execution environment of the function
        if name.startswith("fn_InvoicingFunction_"):
            monkeypatch.setattr(copy, "_port", lambda: Down())
    new = new_invoice_record(acc, invoice.invoice_id)
    assert issue(specs, new) == {"batchItemFailures": [{"itemIdentifier": new["dynamodb"]["SequenceNumber"]}]}
    failed = InvoiceModel.get(acc, invoice.invoice_id)
    assert failed.status == "draft" and "unreachable" in failed.last_failure
    monkeypatch.undo()
    assert issue(specs, new) == {"batchItemFailures": []}, "the stream's retry issues it"
    assert InvoiceModel.get(acc, invoice.invoice_id).status == "open"
