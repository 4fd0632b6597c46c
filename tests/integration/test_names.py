"""SPEC W2 (issue 21): lists and pages name accounts and people, never an id alone. Staff names come from the
token (``name``, else ``email``) and are kept on what they write as they were then; queue and list items carry
``account_name`` without a read per item (tickets opened before it was kept: one BatchGetItem per page)."""

from __future__ import annotations

import pytest

from devstack.lambda_client import claims
from hourbank.store.models import TICKET_SK, TicketModel

pytestmark = pytest.mark.integration

AT = "2026-11-16T10:00:00-05:00"


def test_entries_responses_credit_backs_and_resolutions_keep_who_by_name_W2(api, billing, make_account, open_ticket):
    account = make_account("member", 300)
    ticket = open_ticket(account)
    ana = claims("technician", sub="tech-ana", name="Ana Lima")
    by_email = {"sub": "tech-bo", "cognito:groups": "[technicians]", "email": "bo@hourbank.test"}
    first = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "started_at": AT, "minutes": 30, "note": "n"},
        as_=ana,
    )
    assert (first.body["technician"], first.body["technician_name"]) == ("tech-ana", "Ana Lima")
    second = api.post(
        f"/tickets/{ticket}/time-entries",
        {"work_type": "remote", "started_at": AT, "minutes": 15, "note": "n"},
        as_=by_email,
    )
    assert second.body["technician_name"] == "bo@hourbank.test"  # no name claim: the e-mail
    response = api.post(f"/tickets/{ticket}/responses", {"note": "called back"}, as_=ana)
    assert response.body["by_name"] == "Ana Lima"
    view = api.get(f"/tickets/{ticket}", as_=ana).body
    assert {e["technician_name"] for e in view["entries"]} == {"Ana Lima", "bo@hourbank.test"}
    assert (view["account_name"], view["opened_by_name"]) == ("member customer", "Technician tech-1")
    api.post(f"/tickets/{ticket}/time-entries/{first.body['entry_id']}/dispute", {"reason": "?"}, as_=ana)
    assert api.post(f"/tickets/{ticket}/close", as_=ana).status == 200
    credited = api.post(f"/tickets/{ticket}/credit-back", {"minutes": 10, "reason": "vendor bug"}, as_=billing)
    assert credited.body["by_name"] == billing["name"]
    resolved = api.post(
        f"/tickets/{ticket}/time-entries/{first.body['entry_id']}/resolve",
        {"outcome": "rejected", "note": "logs agree"},
        as_=billing,
    ).body["entry"]["dispute"]
    assert (resolved["raised_by_name"], resolved["resolved_by_name"]) == ("Ana Lima", billing["name"])
    assert api.get(f"/tickets/{ticket}", as_=ana).body["credit_backs"][0]["by_name"] == billing["name"]


def test_queue_and_account_lists_carry_account_name_also_for_old_tickets_W2(api, tech, make_account, open_ticket):
    account = make_account("member", 300, name="Harbour Bakery")
    new = open_ticket(account, "New ticket", opened_at=None)
    old = open_ticket(account, "Old ticket", opened_at=None)
    # A ticket opened before the name was kept on it: its list reads the name (one BatchGetItem per page).
    TicketModel.get(old, TICKET_SK).update(actions=[TicketModel.account_name.remove()])
    page = api.get("/tickets", as_=tech, query={"limit": "200"}).body["items"]
    queue = [t for t in page if t["account_id"] == account]
    assert {t["ticket_id"]: t["account_name"] for t in queue} == {new: "Harbour Bakery", old: "Harbour Bakery"}
    listed = api.get(f"/accounts/{account}/tickets", as_=tech).body["items"]
    assert {t["account_name"] for t in listed} == {"Harbour Bakery"}
