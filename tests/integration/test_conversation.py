"""SPEC W5 through the tickets function on DynamoDB Local (API.md GET/POST /tickets/{ticket_id}/messages): a
ticket is a conversation of public and internal messages; a staff public message is a response (S1) and every
response is a public staff message; customers read and write public messages only; retries add one message."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from devstack.lambda_client import claims

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ticket(api):
    """One account with a ticket opened now (a running S1 clock), a technician and the account's customer."""
    made = api.post(
        "/accounts",
        {"name": "Harbor Dental", "email": "conversation-w5@example.test", "plan": "member"},
        as_=claims("billing", sub="billing-w5"),
    )
    assert made.status == 201, made
    account = made.body["account_id"]
    tech = claims("technician", sub="tech-w5", name="Tess Tech")
    customer = {**claims("customer", account_id=account, sub="cust-w5"), "name": "Dana Dentist"}
    opened = api.post(
        "/tickets",
        {"account_id": account, "title": "Printer jams", "description": "Tray 2 jams.", "priority": "normal"},
        as_=customer,
    )
    assert opened.status == 201, opened
    return {"id": opened.body["ticket_id"], "account": account, "tech": tech, "customer": customer}


def _texts(reply) -> list[tuple[str, str, str, str]]:
    assert reply.status == 200, reply
    return [(m["author"]["role"], m["visibility"], m["via"], m["text"]) for m in reply.body["items"]]


def test_W5_S1_a_conversation_public_and_internal_by_role(api, ticket):
    path = f"/tickets/{ticket['id']}/messages"
    tech, customer = ticket["tech"], ticket["customer"]
    asked = api.post(path, {"text": "  It jams again.\r\nTray 2.  "}, as_=customer)
    assert asked.status == 201, asked
    assert asked.body["author"] == {"role": "customer", "name": "Dana Dentist"}
    assert (asked.body["via"], asked.body["visibility"], asked.body["text"]) == (
        "portal",
        "public",
        "It jams again.\nTray 2.",
    )
    note = api.post(path, {"text": "Probably the roller.", "visibility": "internal"}, as_=tech)
    assert note.status == 201 and note.body["author"] == {"role": "technician", "name": "Tess Tech"}, note
    assert api.get(f"/tickets/{ticket['id']}", as_=tech).body["first_response_at"] is None  # a note is no response
    reply = api.post(path, {"text": "I will replace the roller today."}, as_=tech)
    assert reply.status == 201 and reply.body["via"] == "staff", reply
    shown = api.get(f"/tickets/{ticket['id']}", as_=tech).body
    assert shown["first_response_at"] == reply.body["at"] and shown["response_count"] == 1  # S1: a response
    recorded = api.post(f"/tickets/{ticket['id']}/responses", {"note": "Phoned: roller ordered."}, as_=tech)
    assert recorded.status == 201 and recorded.body["first"] is False, recorded
    everything = [
        ("customer", "public", "portal", "It jams again.\nTray 2."),
        ("technician", "internal", "staff", "Probably the roller."),
        ("technician", "public", "staff", "I will replace the roller today."),
        ("technician", "public", "staff", "Phoned: roller ordered."),  # a response is a public staff message
    ]
    assert _texts(api.get(path, as_=tech)) == everything  # oldest first
    assert _texts(api.get(path, as_=customer)) == [m for m in everything if m[1] == "public"]
    first = api.get(path, as_=customer, query={"limit": "2"})
    assert len(first.body["items"]) == 2 and first.body["cursor"], first
    rest = api.get(path, as_=customer, query={"limit": "2", "cursor": first.body["cursor"]})
    assert _texts(rest) == [everything[3]]
    assert api.get(path, as_=tech, query={"cursor": first.body["cursor"]}).status == 400  # the customer's list


def test_W5_customers_write_no_internal_notes_and_see_no_other_tenant(api, ticket, unchanged):
    path = f"/tickets/{ticket['id']}/messages"
    stranger = claims("customer", account_id="acc_someoneelse", sub="cust-other")
    with unchanged():
        internal = api.post(path, {"text": "secret", "visibility": "internal"}, as_=ticket["customer"])
        assert internal.status == 403 and "staff" in internal.body["error"]["message"], internal
        assert api.post(path, {"text": "hello"}, as_=stranger).status == 404
        assert api.get(path, as_=stranger).status == 404
        missing = ticket["id"].replace("tkt_", "tkt_zz", 1)
        assert api.get(f"/tickets/{missing}/messages", as_=ticket["tech"]).status == 404
        assert api.post(f"/tickets/{missing}/messages", {"text": "hello"}, as_=ticket["tech"]).status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n "},
        {"text": "x" * 10_001},
        {"text": "bell \x07 rings"},
        {"text": "escape \x1b[31m red"},
        {"text": "line\u2028separator"},
        {"text": "ok", "visibility": "secret"},
        {"text": "ok", "author": "someone"},
        {"text": 12},
        {},
    ],
)
def test_W5_bad_messages_are_400_and_write_nothing(api, ticket, unchanged, body):
    with unchanged():
        reply = api.post(f"/tickets/{ticket['id']}/messages", body, as_=ticket["customer"])
    assert reply.status == 400 and reply.body["error"]["message"], reply


def test_W5_concurrent_retries_add_one_message_and_one_response(api, ticket):
    path = f"/tickets/{ticket['id']}/messages"
    start = Barrier(8)

    def post(who: str, key: str, text: str, visibility: str = "public"):
        start.wait()
        return api.post(
            path, {"text": text, "visibility": visibility}, as_=ticket[who], headers={"idempotency-key": key}
        )

    for who, key, text, visibility in (
        ("customer", "c-1", "Any news?", "public"),
        ("tech", "t-1", "On my way.", "public"),  # a response: one, however often retried
        ("tech", "t-2", "Bring a roller.", "internal"),
    ):
        before = api.get(f"/tickets/{ticket['id']}", as_=ticket["tech"]).body["response_count"]
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(post, [who] * 8, [key] * 8, [text] * 8, [visibility] * 8))
        assert {r.status for r in replies} == {201}, replies
        assert len({r.body["message_id"] for r in replies}) == 1
        listed = [
            m for m in api.get(path, as_=ticket["tech"], query={"limit": "200"}).body["items"] if m["text"] == text
        ]
        assert len(listed) == 1, listed
        after = api.get(f"/tickets/{ticket['id']}", as_=ticket["tech"]).body["response_count"]
        assert after - before == (1 if who == "tech" and visibility == "public" else 0)
    reused = api.post(path, {"text": "Something else"}, as_=ticket["customer"], headers={"idempotency-key": "c-1"})
    assert reused.status == 409, reused


def test_W5_E1_add_message_by_mail_is_added_once_per_message_id(api, ticket):
    from hourbank.tickets.conversation import add_message

    args = (ticket["id"], "customer", "Dana Dentist", "Replying by mail.", "public", "email")
    first = add_message(*args, message_id="msg_mail_abc123")
    again = add_message(*args, message_id="msg_mail_abc123")
    assert first.message_id == again.message_id and again.via == "email"
    listed = api.get(f"/tickets/{ticket['id']}/messages", as_=ticket["customer"], query={"limit": "200"}).body
    assert [m["via"] for m in listed["items"] if m["text"] == "Replying by mail."] == ["email"]


def test_W5_a_closed_ticket_takes_no_more_messages(api, ticket, unchanged):
    tech = ticket["tech"]
    opened = api.post("/tickets", {"account_id": ticket["account"], "title": "Done", "priority": "low"}, as_=tech)
    ticket_id = opened.body["ticket_id"]
    assert api.post(f"/tickets/{ticket_id}/close", None, as_=tech).status == 200
    with unchanged():
        refused = api.post(f"/tickets/{ticket_id}/messages", {"text": "One more thing"}, as_=ticket["customer"])
        staff = api.post(f"/tickets/{ticket_id}/messages", {"text": "Closing note", "visibility": "internal"}, as_=tech)
    assert refused.status == 409 and "open a new ticket" in refused.body["error"]["message"], refused
    assert staff.status == 409, staff


def test_W5_a_customer_whose_token_has_no_name_writes_as_their_account(api, ticket):
    unnamed = claims("customer", account_id=ticket["account"], sub="cust-w5-unnamed")
    reply = api.post(f"/tickets/{ticket['id']}/messages", {"text": "From the front desk."}, as_=unnamed)
    assert reply.status == 201 and reply.body["author"] == {"role": "customer", "name": "Harbor Dental"}, reply


def test_S1_W5_the_customer_answering_ends_the_wait_on_them(api):
    """A ticket waits on the customer (its response clock paused); their public reply ends the wait in the same
    write, so the clock runs again - staff need not press Resume. A staff note or message does not end it."""
    made = api.post(
        "/accounts",
        {"name": "Quay Opticians", "email": "conversation-wait@example.test", "plan": "member"},
        as_=claims("billing", sub="billing-w5"),
    )
    account = made.body["account_id"]
    tech = claims("technician", sub="tech-wait", name="Tess Tech")
    customer = {**claims("customer", account_id=account, sub="cust-wait"), "name": "Olga Optician"}
    opened = api.post("/tickets", {"account_id": account, "title": "Scanner", "priority": "normal"}, as_=customer)
    ticket = opened.body["ticket_id"]
    assert api.request("PUT", f"/tickets/{ticket}/waiting", {"waiting": True}, as_=tech).status == 200
    path = f"/tickets/{ticket}/messages"
    assert api.post(path, {"text": "Waiting for the model number.", "visibility": "internal"}, as_=tech).status == 201
    assert api.post(path, {"text": "Which model is it?"}, as_=tech).status == 201
    waiting = api.get(f"/tickets/{ticket}", as_=tech).body
    assert waiting["waiting"] and waiting["sla_status"] == "met", waiting  # answered, still waiting on them
    assert api.post(path, {"text": "It is a Fujitsu fi-7160."}, as_=customer).status == 201
    resumed = api.get(f"/tickets/{ticket}", as_=tech).body
    assert not resumed["waiting"], resumed
    (pause,) = resumed["waiting_periods"]
    assert pause["end"], pause
