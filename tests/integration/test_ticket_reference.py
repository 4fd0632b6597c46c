"""Issue 21 (API.md POST /tickets): a ticket carries its `description` (up to 20,000 characters) and a short
`reference`, readable on the phone and unique - its claim (``REF#<reference>``) is written in the ticket's
creation transaction, so two tickets can never share one."""

from __future__ import annotations

import re

import pytest

from hourbank.store.models import REFERENCE_SK, TicketReferenceModel

pytestmark = pytest.mark.integration

REFERENCE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$")  # no 0/O, 1/I/L


def test_a_ticket_has_its_description_and_a_short_unique_reference(api, tech, make_account):
    account = make_account("member", 120)
    text = "Printer jams on tray 2.\n" * 800  # 19,200 characters
    opened = api.post(
        "/tickets", {"account_id": account, "title": "Printer", "description": text, "priority": "low"}, as_=tech
    )
    assert opened.status == 201, opened
    body = opened.body
    assert REFERENCE.match(body["reference"]) and body["description"] == text.strip()
    assert body["account_name"] == "member customer"
    claim = TicketReferenceModel.get(f"REF#{body['reference']}", REFERENCE_SK, consistent_read=True)
    assert claim.owner_ticket_id == body["ticket_id"]
    shown = api.get(f"/tickets/{body['ticket_id']}", as_=tech).body
    assert (shown["reference"], shown["description"]) == (body["reference"], text.strip())
    listed = api.get(f"/accounts/{account}/tickets", as_=tech).body["items"]
    assert [t["reference"] for t in listed] == [body["reference"]]


def test_a_taken_reference_is_never_given_twice(api, tech, make_account, monkeypatch):
    from hourbank.tickets import service

    account = make_account("member", 120)
    first = api.post("/tickets", {"account_id": account, "title": "One", "priority": "low"}, as_=tech).body
    given = iter([first["reference"], first["reference"], "ZZZZZ2"])
    monkeypatch.setattr(service, "new_reference", lambda: next(given))
    second = api.post("/tickets", {"account_id": account, "title": "Two", "priority": "low"}, as_=tech)
    assert second.status == 201 and second.body["reference"] == "ZZZZZ2"  # the taken one was passed over


def test_a_description_over_20000_characters_is_refused(api, tech, make_account, unchanged):
    account = make_account("member", 120)
    with unchanged():
        reply = api.post(
            "/tickets",
            {"account_id": account, "title": "Long", "description": "x" * 20_001, "priority": "low"},
            as_=tech,
        )
    assert reply.status == 400 and "description" in reply.body["error"]["message"], reply
