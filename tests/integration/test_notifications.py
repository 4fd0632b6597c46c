"""SPEC N1 against DynamoDB Local: the NotificationsFunction as Lambda invokes it with stream records built from
the real items before and after each change; each mail sent once however the record comes (redelivered, after
an SES fault, by two workers at once); the customer's choices; bounces marking the address. The run through the
local stack's pollers is tests/e2e/test_notifications_stack.py."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from devstack.adapters import read_outbox
from devstack.lambda_client import claims
from devstack.lambda_runtime import functions, invoke
from devstack.stream_records import batch, raw_item, record
from hourbank.notifications import pipeline
from hourbank.notifications.events import TICKETS
from hourbank.notifications.sending import InFlight
from hourbank.ports.mail import Message
from hourbank.ports.settings import get_settings
from hourbank.store.models import AccountModel, MailMarkerModel, OrderModel

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MONDAY = "2026-01-05T10:00:00-05:00"  # business hours (SPEC T2), after TICKETS_OPENED_AT


@pytest.fixture(scope="module")
def specs(tables):
    """The function's addresses as the local stack gives them (the support address, billing's)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUPPORT_EMAIL", "support@hourbank.local")
        mp.setenv("BILLING_EMAIL", "billing@example.com")
        get_settings.cache_clear()
        yield functions(strict=False)
    get_settings.cache_clear()


def ticket_image(ticket_id: str, sk: str = "TICKET") -> dict:
    return raw_item(get_settings().tickets_table, {"ticket_id": ticket_id, "sk": sk})


def ticket_record(name: str, ticket_id: str, old: dict | None = None, sk: str = "TICKET") -> dict:
    keys = {"ticket_id": {"S": ticket_id}, "sk": {"S": sk}}
    out = record(name, keys, old=old, new=ticket_image(ticket_id, sk))
    out["eventSourceARN"] = f"arn:aws:dynamodb:ddblocal:000000000000:table/{get_settings().tickets_table}/stream/x"
    return out


def notify(specs, *records) -> dict:
    return invoke(specs["NotificationsFunction"], batch(*records), source="test")


def mails_to(address: str) -> list[dict]:
    """The notifications (SPEC N1) sent to ``address`` - not its invitation (W1)."""
    outbox = read_outbox(os.environ["OUTBOX_DIR"])
    return [m for m in outbox if m["to"].lower() == address.lower() and m["message_id"].startswith("n1.")]


def mails_about(reference: str) -> list[dict]:
    return [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if f"[#{reference}]" in m["subject"]]


def email_of(account_id: str) -> str:
    return AccountModel.get(account_id, consistent_read=True).email


def test_a_new_ticket_tells_each_contact_and_the_technicians_once_however_often_it_comes_N1(
    api, specs, make_account, open_ticket, billing
):
    account = make_account("member", 600)
    contact = f"colleague-{account[-8:]}@example.test"
    assert (
        api.post(f"/accounts/{account}/contacts", {"name": "Col League", "email": contact}, as_=billing).status == 201
    )
    ticket_id = open_ticket(account, title="Printer offline")
    created = ticket_record("INSERT", ticket_id)
    assert notify(specs, created) == {"batchItemFailures": []}
    assert notify(specs, created, created) == {"batchItemFailures": []}  # redelivered, twice in one batch
    reference = ticket_image(ticket_id)["reference"]["S"]
    mails = mails_about(reference)
    assert sorted(m["to"] for m in mails) == sorted([email_of(account), contact, get_settings().technicians_email])
    customer = next(m for m in mails if m["to"] == email_of(account))
    assert "We received your ticket" in customer["text"] and "/portal/#/tickets/" in customer["text"]
    eml = (Path(os.environ["OUTBOX_DIR"]) / f"{customer['message_id']}.eml").read_text()
    assert f'Reply-To: "Hourbank support, ticket {reference}" <support@' in eml  # replies thread back (E1)


def test_closing_a_ticket_sends_its_receipt_once_scenario_8_C2_N1(
    api, specs, make_account, open_ticket, log_time, tech
):
    account = make_account("member", 60)
    ticket_id = open_ticket(account, title="Mail server")
    log_time(ticket_id, MONDAY, 150)
    before = ticket_image(ticket_id)
    assert api.post(f"/tickets/{ticket_id}/close", as_=tech).status == 200
    closed = ticket_record("MODIFY", ticket_id, old=before)
    for _ in range(3):  # redelivered: one receipt
        assert notify(specs, closed) == {"batchItemFailures": []}
    reference = before["reference"]["S"]
    (receipt,) = [m for m in mails_about(reference) if m["subject"].startswith("Receipt")]
    for words in (
        "150 min × 1 (business hours) = 150 min",
        "Taken from your balance: 60 min (1 h)",
        "Post-pay, invoiced at month end: 90 min (1.5 h) at $150.00/h = $225.00",
        "Your balance now: 0 min",
    ):
        assert words in receipt["text"], receipt["text"]


def test_a_ticket_a_mail_opened_is_not_announced_twice_nor_a_visit_s_ticket_E1_V1_N1(
    api, specs, make_account, open_ticket
):
    account = make_account("member", 600)
    by_mail = {**_plain(ticket_image(open_ticket(account, title="By mail"))), "opened_by": "mail:ann@example.test"}
    sent: list[Message] = []
    pipeline.notify(TICKETS, "INSERT", None, by_mail, sent.append)
    assert [m.to for m in sent] == [get_settings().technicians_email]  # the intake's reply gave the reference
    visit = {**_plain(ticket_image(open_ticket(account, title="Onsite visit"))), "visit_id": "vis_x.acc_x"}
    sent.clear()
    pipeline.notify(TICKETS, "INSERT", None, visit, sent.append)
    assert sent == []  # its payment link tells the customer (payment_link)


def test_an_ses_fault_is_sent_by_the_retry_and_only_once_N1(api, specs, make_account, open_ticket):
    account = make_account("member", 600)
    ticket_id = open_ticket(account, title="Fault then retry")
    new = {k: v for k, v in _plain(ticket_image(ticket_id)).items()}
    sent: list[str] = []

    def flaky(message: Message) -> None:
        if not sent and "fail" not in sent:
            sent.append("fail")
            raise RuntimeError("SES: Throttling - Maximum sending rate exceeded")
        sent.append(message.message_id)

    with pytest.raises(RuntimeError, match="Throttling"):  # the first mail fails, the other still goes;
        pipeline.notify(TICKETS, "INSERT", None, new, flaky)  # the record fails: the stream retries it
    retry = pipeline.notify(TICKETS, "INSERT", None, new, flaky)  # sends the one SES refused, only that one
    again = pipeline.notify(TICKETS, "INSERT", None, new, flaky)  # a redelivery sends nothing
    assert len(retry.sent) == 1 and len(retry.skipped) == 1 and again.sent == []
    assert sent.count("fail") == 1 and len(sent[1:]) == len(set(sent[1:])) == 2
    assert sorted(again.skipped) == sorted(sent[1:])


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_it_expires_N1(api, specs, make_account, open_ticket):
    account = make_account("member", 600)
    new = _plain(ticket_image(open_ticket(account, title="Worker died")))
    sent: list[str] = []

    def died(message: Message) -> None:
        raise SystemExit("killed mid-send")  # not an Exception: nothing releases the claim

    with pytest.raises(SystemExit):
        pipeline.notify(TICKETS, "INSERT", None, new, died)
    with pytest.raises(InFlight):  # the dead worker's claim is live: this record is retried later, never dropped
        pipeline.notify(TICKETS, "INSERT", None, new, sent.append)  # (the other mail of the record goes)
    (held,) = [m for m in MailMarkerModel.scan(MailMarkerModel.state == "sending") if m.kind == "ticket_received"]
    held.update([MailMarkerModel.until.set(int(time.time()) - 1)])  # CLAIM_S has passed
    done = pipeline.notify(TICKETS, "INSERT", None, new, sent.append)
    assert done.sent == [held.id.removeprefix("mail#")] and len(sent) == len(set(sent)) == 2


def test_two_workers_on_the_same_record_send_each_mail_once_N1(api, specs, make_account, open_ticket):
    account = make_account("member", 600)
    new = _plain(ticket_image(open_ticket(account, title="Two workers")))
    sends: list[str] = []
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def slow(message: Message) -> None:
        time.sleep(0.1)  # SES takes a moment: the other worker arrives while the claim is held
        sends.append(message.message_id)

    def worker() -> None:
        start.wait()
        try:
            outcomes.append(pipeline.notify(TICKETS, "INSERT", None, new, slow))
        except InFlight as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    retried = pipeline.notify(TICKETS, "INSERT", None, new, slow)  # the worker that met InFlight is retried
    assert len(sends) == len(set(sends)) == 2, sends
    assert retried.sent == [] and sorted(retried.skipped) == sorted(sends)


def test_choices_stop_ticket_updates_but_awaiting_credit_always_goes_N1(
    api, specs, make_account, open_ticket, log_time, tech, billing
):
    account = make_account("non_member", 60)
    owner = claims("customer", account)
    assert api.get(f"/accounts/{account}/notifications", as_=owner).body == {
        "ticket_updates": True, "receipts": True, "statements": True
    }  # fmt: skip
    off = {"ticket_updates": False, "receipts": False, "statements": True}
    assert api.request("PUT", f"/accounts/{account}/notifications", off, as_=owner).body == off
    assert api.get(f"/accounts/{account}/notifications", as_=billing).body == off
    assert api.get(f"/accounts/{account}/notifications", as_=tech).status == 403
    assert api.request("PUT", f"/accounts/{account}/notifications", {"receipts": "no"}, as_=owner).status == 400
    ticket_id = open_ticket(account, title="Choices")
    log_time(ticket_id, MONDAY, 60)
    take = {"minutes": -30, "kind": "adjustment", "reason": "correction"}
    assert api.post(f"/accounts/{account}/adjustments", take, as_=billing).status == 201
    before = ticket_image(ticket_id)
    assert api.post(f"/tickets/{ticket_id}/close", as_=tech).body["status"] == "awaiting_credit"
    notify(specs, ticket_record("INSERT", ticket_id), ticket_record("MODIFY", ticket_id, old=before))
    (only,) = mails_to(email_of(account))  # no "ticket received": ticket updates are off
    assert "waiting for credit" in only["subject"] and "Please top up at least 30 min" not in only["text"]
    assert "Please top up at least 60 min (1 h)" in only["text"] and "/?account=" in only["text"]


def test_a_bounce_marks_the_address_and_later_mail_skips_it_N1(api, specs, make_account, open_ticket, billing):
    account = make_account("member", 600)
    address = email_of(account)
    event = json.loads((ROOT / "events" / "mail_feedback-bounce.json").read_text())
    event["Records"][0]["Sns"]["Message"] = event["Records"][0]["Sns"]["Message"].replace(
        "customer@example.test", address
    )
    for _ in range(2):  # SNS may deliver a notice twice: the same mark
        assert invoke(specs["MailFeedbackFunction"], event, source="test") == {
            "marked": [{"kind": "bounce", "account_id": account}]
        }
    shown = api.get(f"/accounts/{account}", as_=billing).body["mail_problem"]
    assert shown == {"kind": "bounce", "at": "2026-12-06T12:30:00.000Z", "address": address,
                     "detail": "Permanent/General smtp; 550 5.1.1 user unknown"}  # fmt: skip
    transient = event["Records"][0]["Sns"]["Message"].replace('"Permanent"', '"Transient"')
    event["Records"][0]["Sns"]["Message"] = transient
    invoke(specs["MailFeedbackFunction"], event, source="test")  # never hides the permanent problem
    assert api.get(f"/accounts/{account}", as_=billing).body["mail_problem"]["kind"] == "bounce"
    ticket_id = open_ticket(account, title="After the bounce")
    notify(specs, ticket_record("INSERT", ticket_id))
    assert mails_to(address) == []  # never retried at an address that bounces
    assert len(mails_about(ticket_image(ticket_id)["reference"]["S"])) == 1  # the technicians still hear


def order_record(order_id: str, old: dict, name: str = "MODIFY") -> dict:
    table = get_settings().orders_table
    out = record(name, {"order_id": {"S": order_id}}, old=old, new=raw_item(table, {"order_id": order_id}))
    out["eventSourceARN"] = f"arn:aws:dynamodb:ddblocal:000000000000:table/{table}/stream/y"
    return out


def test_messages_disputes_payment_links_payments_and_reviews_reach_whom_they_concern_N1(
    api, specs, make_account, open_ticket, log_time, tech, billing
):
    from devstack.stripe_shapes import event, session, sid
    from hourbank.store.models import ReviewModel
    from tests.integration.test_payment_functions import deliver

    account = make_account("member", 600)
    address, owner = email_of(account), claims("customer", account)
    ticket_id = open_ticket(account, title="Conversation")
    reference = ticket_image(ticket_id)["reference"]["S"]
    entry_id = log_time(ticket_id, MONDAY, 45).body["entry_id"]
    assert api.post(f"/tickets/{ticket_id}/responses", {"note": "Try <b>restarting</b>"}, as_=tech).status == 201
    said = {"text": "Restarted, still offline", "visibility": "public"}
    assert api.post(f"/tickets/{ticket_id}/messages", said, as_=owner).status == 201  # the customer answers (W5)
    note = {"text": "Customer sounds annoyed", "visibility": "internal"}
    assert api.post(f"/tickets/{ticket_id}/messages", note, as_=tech).status == 201  # never leaves staff
    messages = [ticket_record("INSERT", ticket_id, sk=i["sk"]["S"]) for i in _partition(ticket_id)
                if i["sk"]["S"].startswith(("MSG#", "RESPONSE#"))]  # fmt: skip
    entry_sk = f"ENTRY#{entry_id}"
    before = ticket_image(ticket_id, entry_sk)
    api.post(f"/tickets/{ticket_id}/time-entries/{entry_id}/dispute", {"reason": "It took 30 minutes"}, as_=owner)
    raised = ticket_record("MODIFY", ticket_id, old=before, sk=entry_sk)
    assert api.post(f"/tickets/{ticket_id}/close", as_=tech).status == 200  # a credit-back is of a closed ticket
    before = ticket_image(ticket_id, entry_sk)
    resolve = {"outcome": "upheld", "note": "Agreed, 15 minutes back", "credit_minutes": 15}
    assert api.post(f"/tickets/{ticket_id}/time-entries/{entry_id}/resolve", resolve, as_=billing).status in (200, 201)
    resolved = ticket_record("MODIFY", ticket_id, old=before, sk=entry_sk)
    visit = api.post("/visits", {"account_id": account, "scheduled_at": "2026-11-24T09:00:00-05:00",
                                 "address": "12 Harbour Road", "estimate_hours": 2,
                                 "opened_at": "2026-11-23T15:00:00-05:00"}, as_=tech).body  # fmt: skip
    ordered = _plain_raw(get_settings().orders_table, {"order_id": visit["order_id"]})
    link = order_record(visit["order_id"], {k: v for k, v in ordered.items() if k != "checkout_url"})
    paid = event("checkout.session.completed", session(OrderModel.get(visit["order_id"]), payment_intent=sid("pi")))
    assert deliver(api, paid).status == 200
    payment = order_record(visit["order_id"], ordered)
    review = ReviewModel("review", f"rev_9999999999_{sid('evt')}", at="2026-12-01T10:00:00+00:00",
                         recorded_at="2026-12-01T10:00:01+00:00", reason="no order matches this payment",
                         event_id="evt_x", event_type="checkout.session.completed", account_id=account,
                         amount_minor=40000, currency="USD")  # fmt: skip
    review.save()
    table = get_settings().reviews_table
    kept = record("INSERT", {}, new=raw_item(table, {"pk": "review", "review_id": review.review_id}), view="NEW_IMAGE")
    kept["eventSourceARN"] = f"arn:aws:dynamodb:ddblocal:000000000000:table/{table}/stream/z"
    records = [*messages, raised, resolved, link, payment, kept]
    for _ in range(2):
        assert notify(specs, *records) == {"batchItemFailures": []}
    assert len(mails_to(address)) == 4  # one each: a response is one public message, told once
    to_customer = {m["message_id"].split(".")[1]: m for m in mails_to(address)}
    assert sorted(to_customer) == ["dispute_outcome", "payment_link", "payment_receipt", "staff_message"]
    assert "Try <b>restarting</b>" in to_customer["staff_message"]["text"]  # text stays text; its HTML is escaped
    assert "Customer sounds annoyed" not in json.dumps(read_outbox(os.environ["OUTBOX_DIR"]))  # internal (W5)
    (wrote,) = [m for m in mails_about(reference) if m["message_id"].startswith("n1.customer_message.")]
    assert wrote["to"] == get_settings().technicians_email and "Restarted, still offline" in wrote["text"]
    assert " wrote in the portal on ticket " in wrote["text"]
    assert f"[#{reference}]" in to_customer["staff_message"]["subject"]
    assert "credited 15 min back" in to_customer["dispute_outcome"]["text"]
    assert (
        "please pay $" in to_customer["payment_link"]["text"]
        and visit["checkout_url"] in to_customer["payment_link"]["text"]
    )
    assert "your onsite visit" in to_customer["payment_receipt"]["text"]
    to_billing = [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["to"] == "billing@example.com"]
    assert any("questioned a time entry" in m["text"] and f"[#{reference}]" in m["subject"] for m in to_billing)
    assert any("$400.00" in m["subject"] and review.review_id not in m["text"] for m in to_billing)
    assert any("/portal/#/billing/reviews" in m["text"] for m in to_billing if "$400.00" in m["subject"])  # W4


def test_a_closed_month_tells_the_customer_the_statement_is_ready_once_M3_N1(api, specs, make_account):
    from hourbank.monthend.month_close import checkpoint_id
    from hourbank.store.models import IdempotencyModel

    account = make_account("member", 60)
    at, expiration = "2026-12-01T05:06:00+00:00", int(time.time()) + 3600
    marker = IdempotencyModel(
        checkpoint_id(account, "2026-11"),
        fingerprint="checkpoint",
        account_id=account,
        ledger_seq=0,
        at=at,
        expiration=expiration,
    )  # what month end writes last (hourbank.monthend.month_close._marker)
    marker.save()
    table = get_settings().idempotency_table
    closed = record("INSERT", {"id": {"S": marker.id}}, new=raw_item(table, {"id": marker.id}), view="NEW_IMAGE")
    closed["eventSourceARN"] = f"arn:aws:dynamodb:ddblocal:000000000000:table/{table}/stream/m"
    for _ in range(2):
        assert notify(specs, closed) == {"batchItemFailures": []}
    (mail,) = mails_to(email_of(account))
    assert mail["subject"] == "Your statement for November 2026 is ready"
    assert f"/portal/#/accounts/{account}/statements" in mail["text"]


def test_a_poison_record_is_parked_after_bounded_retries_and_the_rest_go_on_N1(specs, tables, dynamodb_local, tmp_path):
    """Issue 23's rule for every consumer: a ticket record the function cannot read (no account) is retried
    ``MaximumRetryAttempts`` times, then its position goes to NotificationFailures; the record after it is
    delivered. Through the local stream poller, as Lambda's event source mapping runs it."""
    import dataclasses

    import boto3

    from devstack import streams

    spec = specs["NotificationsFunction"]
    event = spec.events["TicketChanges"]
    latest = {**event, "Properties": {**event["Properties"], "StartingPosition": "LATEST"}}
    spec = dataclasses.replace(spec, events={"TicketChanges": latest})
    client, table = boto3.client("dynamodb"), get_settings().tickets_table
    with streams.start_pollers([spec], dynamodb_local.client(), tables, tmp_path, retry_delay=0.01) as pollers:
        for ticket_id, extra in (
            ("tkt_poison.acc_poison", {}),
            ("tkt_after.acc_nobody", {"account_id": {"S": "acc_nobody"}}),
        ):
            client.put_item(TableName=table, Item={"ticket_id": {"S": ticket_id}, "sk": {"S": "TICKET"}, **extra})
        deadline = time.monotonic() + 60
        while pollers.totals().get("dead_lettered", 0) < 1 or pollers.totals().get("delivered", 0) < 1:
            assert time.monotonic() < deadline, pollers.counters()
            time.sleep(0.1)
    [line] = (tmp_path / "NotificationFailures.jsonl").read_text().splitlines()
    parked = json.loads(line)
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert [r["dynamodb"]["Keys"]["ticket_id"]["S"] for r in parked["records"]] == ["tkt_poison.acc_poison"]
    assert parked["local"]["reason"].startswith("batchItemFailures")  # it failed alone, reported by the function


def _partition(ticket_id: str) -> list[dict]:
    import boto3

    client = boto3.client("dynamodb")
    return client.query(
        TableName=get_settings().tickets_table,
        KeyConditionExpression="ticket_id = :t",
        ExpressionAttributeValues={":t": {"S": ticket_id}},
        ConsistentRead=True,
    )["Items"]


def _plain_raw(table: str, key: dict) -> dict:
    return raw_item(table, key)


def _plain(image: dict) -> dict:
    from boto3.dynamodb.types import TypeDeserializer

    d = TypeDeserializer()
    return {k: d.deserialize(v) for k, v in image.items()}


def test_a_mail_kept_in_the_inbox_tells_the_technicians_once_E1_N1(specs):
    """SPEC E1, N1: a mail from an unknown address waits for staff - the technicians are told once (however often
    the record comes); its later assignment tells no one again."""
    import secrets

    from hourbank.store.models import InboxModel

    table = get_settings().inbox_table
    mail_id = f"mail_{secrets.token_hex(16)}"
    at = "2026-12-06T09:00:00+00:00"
    item = InboxModel(mail_id, received_key=f"{at}#{mail_id}", received_at=at, status="processing",
                      subject="Printer offline on floor 2", sender="stranger@elsewhere.example")  # fmt: skip
    item.save()
    before = raw_item(table, {"mail_id": mail_id})
    item.update(actions=[InboxModel.status.set("unmatched"), InboxModel.reason.set("no account has this address")])
    kept = record("MODIFY", {"mail_id": {"S": mail_id}}, old=before, new=raw_item(table, {"mail_id": mail_id}))
    kept["eventSourceARN"] = f"arn:aws:dynamodb:ddblocal:000000000000:table/{table}/stream/i"
    for _ in range(2):
        assert notify(specs, kept) == {"batchItemFailures": []}
    told = [
        m for m in mails_to(get_settings().technicians_email) if mail_id in m["message_id"] or "floor 2" in m["subject"]
    ]
    assert len(told) == 1, told
    assert told[0]["subject"] == "A mail is waiting in the inbox: Printer offline on floor 2"
    assert "stranger@elsewhere.example" in told[0]["text"] and "no account has this address" in told[0]["text"]
    assert "/portal/#/inbox" in told[0]["text"]
    unmatched = raw_item(table, {"mail_id": mail_id})
    item.update(actions=[InboxModel.status.set("ticket")])  # assigned by staff: no event
    assigned = record("MODIFY", {"mail_id": {"S": mail_id}}, old=unmatched, new=raw_item(table, {"mail_id": mail_id}))
    assigned["eventSourceARN"] = kept["eventSourceARN"]
    assert notify(specs, assigned) == {"batchItemFailures": []}
    assert len([m for m in mails_to(get_settings().technicians_email) if "floor 2" in m["subject"]]) == 1
