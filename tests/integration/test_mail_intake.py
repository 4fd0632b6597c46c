"""SPEC E1 on DynamoDB Local: the MailIntakeFunction invoked with the event S3 sends when SES stores a mail (the
mail put in the local S3 stand-in first), then GET /inbox and POST /inbox/{mail_id}/assign through the tickets
API. Scenario 12: a contact of a member account mails "Printer offline" → one ticket, its reference in the reply;
the same mail again (even four times at once) adds nothing."""

from __future__ import annotations

import os
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest

from devstack.adapters import LocalObjects, exports_dir, read_outbox
from devstack.lambda_client import claims
from devstack.lambda_runtime import functions, invoke
from devstack.mail_inbox import s3_event, targets

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def intake(tables):
    specs = functions(strict=False)
    [target] = targets(specs)
    objects = LocalObjects(exports_dir())

    def deliver(raw: bytes) -> dict:
        """What SES then S3 do: the mail stored under inbound/, the function invoked with the object's event."""
        key = f"{target.prefix}{uuid.uuid4().hex}"
        objects.put(target.bucket, key, raw, "message/rfc822")
        from datetime import UTC, datetime

        result = invoke(target.spec, s3_event(target.bucket, key, raw, datetime.now(UTC)), source="test")
        [received] = result["received"]
        return received

    return deliver


def mail(sender: str, subject: str, text: str = "It says offline since 9.", message_id: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = f"Pat Customer <{sender}>"
    m["To"] = "support@hourbank.local"
    m["Subject"] = subject
    m["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.test>"
    m.set_content(text)
    return m.as_bytes()


def replies_to(mail_id: str) -> list[dict]:
    return [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["message_id"] == f"intake-reply#{mail_id}"]


def account_email(api, billing, account_id: str) -> str:
    return api.get(f"/accounts/{account_id}", as_=billing).body["email"]


def tickets_of(api, billing, account_id: str) -> list[dict]:
    return api.get(f"/accounts/{account_id}/tickets", as_=billing).body["items"]


def inbox_item(api, tech, mail_id: str, status: str | None = None) -> dict:
    """The item, found by paging the inbox (never assuming it is short: other tests add mail)."""
    cursor = None
    while True:
        query = {"limit": "50", **({"status": status} if status else {}), **({"cursor": cursor} if cursor else {})}
        reply = api.get("/inbox", as_=tech, query=query)
        assert reply.status == 200, reply
        for item in reply.body["items"]:
            if item["mail_id"] == mail_id:
                return item
        cursor = reply.body["cursor"]
        assert cursor, f"{mail_id} not in the inbox"


def test_scenario_12_E1_one_ticket_its_reference_in_the_reply_and_the_same_mail_again_adds_nothing(
    api, billing, tech, make_account, intake
):
    account = make_account("member", 600)
    raw = mail(account_email(api, billing, account), "Printer offline", message_id="<printer-1@example.test>")
    with ThreadPoolExecutor(4) as pool:  # delivered four times at once (S3 retries, a duplicate event)
        results = list(pool.map(intake, [raw] * 4))
    assert {r["mail_id"] for r in results} == {results[0]["mail_id"]}
    [ticket] = tickets_of(api, billing, account)
    assert (ticket["title"], ticket["priority"]) == ("Printer offline", "normal")
    full = api.get(f"/tickets/{ticket['ticket_id']}", as_=tech).body
    assert full["description"] == "It says offline since 9."
    [reply] = replies_to(results[0]["mail_id"])
    assert f"[#{ticket['reference']}]" in reply["subject"] and ticket["reference"] in reply["text"]
    intake(raw)  # delivered again later
    assert len(tickets_of(api, billing, account)) == 1 and len(replies_to(results[0]["mail_id"])) == 1
    item = inbox_item(api, tech, results[0]["mail_id"], status="ticket")
    assert (item["status"], item["ticket_id"], item["from"]) == ("ticket", ticket["ticket_id"], reply["to"])


def test_E1_urgent_is_never_taken_from_a_mail_and_html_only_mail_becomes_text(api, billing, tech, make_account, intake):
    account = make_account("member", 600)
    m = EmailMessage()
    m["From"] = account_email(api, billing, account)
    m["Subject"] = "URGENT!!! server down"
    m["Importance"] = "high"
    m["X-Priority"] = "1"
    m.set_content("<p>All <b>down</b></p><script>alert(1)</script>", subtype="html")
    intake(m.as_bytes())
    [ticket] = tickets_of(api, billing, account)
    assert ticket["priority"] == "normal"
    assert api.get(f"/tickets/{ticket['ticket_id']}", as_=tech).body["description"] == "All down"


def test_E1_an_unknown_sender_is_kept_for_staff_and_told_it_was_received(api, tech, intake):
    sender = f"stranger-{secrets.token_hex(4)}@example.test"
    received = intake(mail(sender, "Can you help?"))
    assert received["status"] == "unmatched"
    item = inbox_item(api, tech, received["mail_id"], status="unmatched")
    assert item["reason"] == "no account or contact has this address" and item["text"] == "It says offline since 9."
    [reply] = replies_to(received["mail_id"])
    assert reply["to"] == sender and "received your mail" in reply["text"]


def test_E1_a_non_member_at_zero_gets_no_ticket_the_mail_is_kept_and_the_reply_says_how_to_top_up(
    api, billing, tech, make_account, intake
):
    account = make_account("non_member", 0)
    received = intake(mail(account_email(api, billing, account), "Laptop broken"))
    assert received["status"] == "refused" and tickets_of(api, billing, account) == []
    item = inbox_item(api, tech, received["mail_id"], status="refused")
    assert "SPEC C4" in item["reason"] and item["account_id"] == account
    [reply] = replies_to(received["mail_id"])
    assert "Top up at least 1 h" in reply["text"] and "0 h" in reply["text"]


def test_E1_a_reference_of_another_account_adds_nothing_to_that_ticket(
    api, billing, tech, make_account, open_ticket, intake
):
    mine, theirs = make_account("member", 600), make_account("member", 600)
    their_ticket = api.get(f"/tickets/{open_ticket(theirs, 'Their printer')}", as_=tech).body
    received = intake(mail(account_email(api, billing, mine), f"Re: hello [#{their_ticket['reference']}]"))
    assert received["status"] == "unmatched"
    item = inbox_item(api, tech, received["mail_id"])
    assert "of another account" in item["reason"] and item["ticket_id"] is None
    assert tickets_of(api, billing, mine) == []
    assert [t["ticket_id"] for t in tickets_of(api, billing, theirs)] == [their_ticket["ticket_id"]]


def test_E1_an_unreadable_mail_is_kept_refused_with_why(api, tech, intake):
    received = intake(b"Subject: nobody sent this\r\n\r\nhello\r\n")
    item = inbox_item(api, tech, received["mail_id"], status="refused")
    assert item["from"] is None and item["reason"] == "the mail has no sender address we can answer"
    assert replies_to(received["mail_id"]) == []  # nobody to tell


def test_E1_attachments_are_kept_and_listed_on_the_ticket(api, billing, tech, make_account, intake):
    account = make_account("member", 600)
    m = EmailMessage()
    m["From"] = account_email(api, billing, account)
    m["Subject"] = "Scanner error"
    m.set_content("Photo attached.")
    m.add_attachment(b"\x89PNG photo", maintype="image", subtype="png", filename="error.png")
    received = intake(m.as_bytes())
    item = inbox_item(api, tech, received["mail_id"])
    [attachment] = item["attachments"]
    assert (attachment["name"], attachment["kept"], attachment["size"]) == ("error.png", True, 10)
    [ticket] = tickets_of(api, billing, account)
    assert "error.png (1 KB)" in api.get(f"/tickets/{ticket['ticket_id']}", as_=tech).body["description"]


def test_E1_staff_assign_an_unmatched_mail_to_an_account_once(api, billing, tech, make_account, intake):
    account, other = make_account("member", 600), make_account("member", 600)
    received = intake(mail(f"new-{secrets.token_hex(4)}@example.test", "Wi-Fi slow"))
    path = f"/inbox/{received['mail_id']}/assign"
    customer = claims("customer", account_id=account)
    assert api.post(path, {"account_id": account}, as_=customer).status == 403
    bad = api.post(path, {"account_id": account, "ticket_id": "tkt_x.acc_y"}, as_=tech)
    assert bad.status == 400 and "give one of" in bad.body["error"]["message"]
    assert api.post("/inbox/mail_0000/assign", {"account_id": account}, as_=tech).status == 404
    first = api.post(path, {"account_id": account}, as_=tech)
    assert first.status == 200 and first.body["status"] == "ticket", first
    again = api.post(path, {"account_id": account}, as_=tech)
    assert again.status == 200 and again.body["ticket_id"] == first.body["ticket_id"]
    assert api.post(path, {"account_id": other}, as_=tech).status == 409
    [ticket] = tickets_of(api, billing, account)
    assert (ticket["ticket_id"], ticket["title"]) == (first.body["ticket_id"], "Wi-Fi slow")
    assert first.body["assigned_by_name"]


def test_E1_the_inbox_is_for_staff_and_refuses_a_bad_status_or_cursor(api, make_account):
    customer = claims("customer", account_id=make_account("member", 0))
    assert api.get("/inbox", as_=customer).status == 403
    tech = claims("technician")
    assert api.get("/inbox", as_=tech, query={"status": "nope"}).status == 400
    assert api.get("/inbox", as_=tech, query={"cursor": "garbage"}).status == 400


def test_E1_a_reply_the_mail_service_failed_is_sent_by_the_retry_and_only_once(api, billing, make_account, tables):
    from datetime import UTC, datetime

    from hourbank.mail_intake.receiving import Context, Stored, receive

    account = make_account("member", 600)
    objects = LocalObjects(exports_dir())
    raw = mail(account_email(api, billing, account), "Mail server slow")
    objects.put("it-mail", "inbound/retry", raw, "message/rfc822")
    sent: list = []

    def flaky(message):
        if not sent:
            sent.append(None)
            raise ConnectionError("SES did not answer")
        sent.append(message)

    ctx = Context(objects=objects, send=flaky)
    stored = Stored("it-mail", "inbound/retry", datetime.now(UTC))
    with pytest.raises(ConnectionError):
        receive(stored, ctx)  # the ticket is opened; the reply failed: Lambda retries the invocation
    item = receive(stored, ctx)
    assert item.status == "ticket" and item.replied
    receive(stored, ctx)  # a third delivery: nothing more
    assert [m.message_id for m in sent[1:]] == [f"intake-reply#{item.mail_id}"]
    assert len(tickets_of(api, billing, account)) == 1


def test_E1_an_automatic_mail_is_kept_but_never_answered(api, tech, intake):
    m = EmailMessage()
    m["From"] = f"MAILER-DAEMON@{secrets.token_hex(3)}.example.test"
    m["Subject"] = "Undelivered Mail Returned to Sender"
    m["Auto-Submitted"] = "auto-replied"
    m.set_content("The mail could not be delivered.")
    received = intake(m.as_bytes())
    assert received["status"] == "unmatched" and replies_to(received["mail_id"]) == []


def messages_of(api, tech, ticket_id: str) -> list[dict]:
    reply = api.get(f"/tickets/{ticket_id}/messages", as_=tech)
    assert reply.status == 200, reply
    return reply.body["items"]


def test_E1_W5_a_reply_carrying_its_reference_is_one_message_on_that_ticket(api, billing, tech, make_account, intake):
    account = make_account("member", 600)
    sender = account_email(api, billing, account)
    first = intake(mail(sender, "Printer offline"))
    [ticket] = tickets_of(api, billing, account)
    answer = mail(sender, f"Re: Printer offline [#{ticket['reference']}]", "Still offline after the restart.")
    second = intake(answer)
    assert second["status"] == "message" and intake(answer)["status"] == "message"  # delivered twice: one message
    [message] = [m for m in messages_of(api, tech, ticket["ticket_id"]) if m["via"] == "email"]
    assert message["text"] == "Still offline after the restart."
    assert (message["author"]["role"], message["author"]["name"], message["visibility"]) == (
        "customer",
        "Pat Customer",
        "public",
    )
    assert len(tickets_of(api, billing, account)) == 1
    [reply] = replies_to(second["mail_id"])
    assert f"[#{ticket['reference']}]" in reply["subject"] and "added it to ticket" in reply["text"]
    assert first["mail_id"] != second["mail_id"]


def test_E1_a_reply_to_a_closed_ticket_opens_a_new_one(api, billing, tech, make_account, intake):
    account = make_account("member", 600)
    sender = account_email(api, billing, account)
    intake(mail(sender, "Scanner jammed"))
    [ticket] = tickets_of(api, billing, account)
    assert api.post(f"/tickets/{ticket['ticket_id']}/close", as_=tech).status == 200
    received = intake(mail(sender, f"Re: Scanner jammed [#{ticket['reference']}]", "Jammed again."))
    assert received["status"] == "ticket"
    assert len(tickets_of(api, billing, account)) == 2


def test_E1_staff_add_an_unmatched_mail_to_a_ticket_by_its_reference(api, billing, tech, make_account, intake):
    account = make_account("member", 600)
    intake(mail(account_email(api, billing, account), "VPN down"))
    [ticket] = tickets_of(api, billing, account)
    received = intake(mail(f"colleague-{secrets.token_hex(4)}@example.test", "VPN also down here", "Same here."))
    path = f"/inbox/{received['mail_id']}/assign"
    assert api.post(path, {"reference": "ZZZZZZ"}, as_=tech).status == 404
    done = api.post(path, {"reference": ticket["reference"].lower()}, as_=tech)
    assert done.status == 200 and (done.body["status"], done.body["ticket_id"]) == ("message", ticket["ticket_id"])
    again = api.post(path, {"ticket_id": ticket["ticket_id"]}, as_=tech)
    assert again.status == 200
    texts = [m["text"] for m in messages_of(api, tech, ticket["ticket_id"]) if m["via"] == "email"]
    assert texts == ["Same here."]
