"""Messages a person can act on (API.md "Errors": "say which field and why"; issue 11). Pydantic's own
words - "String should match pattern '^[^@\\s]+@…'", "Value error, …", "Input should be …" - never reach
a client; each 400 names the field and says what to enter. And one policy for numbers sent as text: a
body's numbers are JSON numbers, ``"hours": "2"`` is refused exactly as ``"minutes": "30"`` is.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.integration

INTERNALS = re.compile(
    r"should|Value error|Input |pattern|\^|valid (string|integer|number|boolean)|"
    r"type=|pydantic|Field required|Extra inputs",
    re.I,
)

ENTRY = {"work_type": "remote", "started_at": "2026-11-16T10:00:00-05:00", "minutes": 30, "note": "n"}
ACCOUNT = {"name": "Acme", "email": "it@acme.test", "plan": "member"}
ORDER = {"name": "Acme", "email": "it@acme.test", "hours": 2}

# (route, role, body, the exact field message the 400 must contain)
CASES = [
    ("/accounts", "billing", {**ACCOUNT, "email": "it-at-acme"}, "email: enter an address like name@example.com"),
    ("/accounts", "billing", {**ACCOUNT, "email": "a@b"}, "email: enter an address like name@example.com"),
    ("/accounts", "billing", {**ACCOUNT, "currency": "usd"}, "currency: enter a three-letter currency code like USD"),
    (
        "/accounts",
        "billing",
        {**ACCOUNT, "plan": "gold"},
        "plan: must be one of non_member, member, business_priority or unlimited_remote",
    ),
    ("/accounts", "billing", {**ACCOUNT, "name": ""}, "name: must not be empty"),
    ("/accounts", "billing", {**ACCOUNT, "name": "x" * 201}, "name: must be at most 200 characters"),
    ("/accounts", "billing", {**ACCOUNT, "name": 7}, "name: must be text"),
    ("/accounts", "billing", {"name": "Acme", "plan": "member"}, "email: is required"),
    ("/accounts", "billing", [ACCOUNT], "body: send a JSON object with this request's fields"),
    ("/orders/quote", None, {**ORDER, "email": "nobody"}, "email: enter an address like name@example.com"),
    ("/orders/quote", None, {"hours": 2}, "body: give account_id, or name and email for a new customer"),
    (
        "/orders/quote",
        None,
        {**ORDER, "hours": "2"},
        "hours: must be a number, like 2 or 2.5 (a JSON number, not text)",
    ),
    ("/orders", None, {**ORDER, "hours": "2"}, "hours: must be a number, like 2 or 2.5 (a JSON number, not text)"),
    ("/orders", None, {**ORDER, "hours": True}, "hours: must be a number"),
    ("/orders", None, {**ORDER, "kind": "weekly"}, "kind: must be one of one_time or recurring"),
    (
        "/tickets/{ticket}/time-entries",
        "tech",
        {**ENTRY, "minutes": "30"},
        "minutes: must be a whole number, like 30 (a JSON number, not text)",
    ),
    ("/tickets/{ticket}/time-entries", "tech", {**ENTRY, "minutes": 0}, "minutes: must be more than 0"),
    ("/tickets/{ticket}/time-entries", "tech", {**ENTRY, "minutes": 2000}, "minutes: must be 1440 or less"),
    (
        "/tickets/{ticket}/time-entries",
        "tech",
        {**ENTRY, "started_at": "monday"},
        "started_at: must be a date and time with its UTC offset, like 2026-11-23T09:00:00-05:00",
    ),
    (
        "/tickets/{ticket}/time-entries",
        "tech",
        {**ENTRY, "started_at": "1999-01-01T10:00:00+00:00"},
        "started_at: must be a time between the years 2000 and 2100",
    ),
    ("/tickets/{ticket}/emergency", "tech", {"active": "yes"}, "active: must be true or false"),
    ("/tickets/{ticket}/time-entries", "tech", {**ENTRY, "colour": "blue"}, "colour: is not a field of this request"),
]


@pytest.mark.parametrize(("path", "role", "body", "expected"), CASES, ids=[c[3][:60] for c in CASES])
def test_400_says_what_to_enter_not_how_the_validator_works(
    request, api, make_account, open_ticket, unchanged, path, role, body, expected
):
    ticket = open_ticket(make_account("member", 600)) if "{ticket}" in path else ""
    as_ = request.getfixturevalue(role) if role else {}
    with unchanged():
        reply = api.post(path.format(ticket=ticket), body, as_=as_)
    assert reply.status == 400, reply
    message = reply.body["error"]["message"]
    assert expected in message, message
    assert not INTERNALS.search(message), message
    for field in reply.body["error"].get("details", {}).get("fields", []):
        assert not INTERNALS.search(field), field


def test_numbers_as_text_one_policy_for_every_body_field(api, billing, tech, make_account, open_ticket, unchanged):
    """Every numeric body field refuses its number written as text (query parameters, text by nature, are
    parsed: ``?limit=10``)."""
    account = make_account("member", 600)
    ticket = open_ticket(account)
    cases = [
        ("/orders/quote", {}, {**ORDER, "hours": "2"}, "hours"),
        ("/orders", {}, {**ORDER, "hours": "2.5"}, "hours"),
        (f"/tickets/{ticket}/time-entries", tech, {**ENTRY, "minutes": "30"}, "minutes"),
        (f"/accounts/{account}/adjustments", billing, {"minutes": "30", "kind": "grant", "reason": "r"}, "minutes"),
    ]
    for path, who, body, field in cases:
        with unchanged():
            reply = api.post(path, body, as_=who)
        assert reply.status == 400 and reply.body["error"]["message"].startswith(f"{field}: must be a"), reply
    assert api.get(f"/accounts/{account}/ledger", as_=billing, query={"limit": "10"}).status == 200


def test_a_query_value_is_described_as_text_not_as_json(api, billing, make_account):
    account = make_account("member")
    reply = api.get(f"/accounts/{account}/ledger", as_=billing, query={"limit": "lots"})
    assert reply.status == 400, reply
    assert reply.body["error"]["message"] == "limit: must be a whole number, like 30", reply


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", "application/xml"])
def test_an_empty_body_of_another_type_is_400_body_required_not_415(api, billing, unchanged, content_type):
    with unchanged():
        reply = api.post("/accounts", raw_body="", as_=billing, headers={"content-type": content_type})
    assert reply.status == 400, reply
    assert reply.body["error"]["message"] == "body: is required", reply
