"""SPEC C6: a customer questions an entry; it is disputed until billing resolves it; an upheld dispute
credits time back as a new ledger entry, never by editing the entry (T7)."""

from __future__ import annotations

import pytest

from devstack.lambda_client import claims
from tests.integration.conftest import assert_c7, ledger_items

pytestmark = pytest.mark.integration

AT = "2026-11-16T10:00:00-05:00"
RESOLVE = {"outcome": "upheld", "note": "resolved"}


@pytest.fixture
def closed_ticket(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 300)
    ticket = open_ticket(account, "Slow laptop")
    entry = log_time(ticket, AT, 90, note="Reinstalled drivers").body["entry_id"]
    log_time(ticket, "2026-11-16T13:00:00-05:00", 30, note="Follow-up call")
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body["debited_minutes"] == 120
    return account, ticket, entry


def test_customer_disputes_and_billing_upholds_with_credit_C6(api, billing, tech, closed_ticket):
    account, ticket, entry = closed_ticket
    owner = claims("customer", account_id=account)
    raised = api.post(
        f"/tickets/{ticket}/time-entries/{entry}/dispute", {"reason": "The fix took 30 minutes"}, as_=owner
    )
    assert raised.status == 200 and raised.body["dispute"]["status"] == "open"
    again = api.post(
        f"/tickets/{ticket}/time-entries/{entry}/dispute", {"reason": "The fix took 30 minutes"}, as_=owner
    )
    assert again.status == 200 and again.body["dispute"]["reason"] == "The fix took 30 minutes"  # a retry
    # A new reason while one is open is a 409 (test_money_edges.py), never silently dropped.
    assert api.get(f"/tickets/{ticket}", as_=owner).body["disputed_entries"] == 1
    resolved = api.post(
        f"/tickets/{ticket}/time-entries/{entry}/resolve",
        {"outcome": "upheld", "note": "Driver download was slow on our side", "credit_minutes": 60},
        as_=billing,
    )
    assert resolved.status == 200, resolved
    assert resolved.body["entry"]["dispute"]["status"] == "upheld"
    assert resolved.body["entry"]["minutes"] == 90  # the entry itself is never edited (T7)
    assert (resolved.body["ledger_entry"]["kind"], resolved.body["ledger_entry"]["minutes"]) == ("credit_back", 60)
    assert [e["kind"] for e in sorted(ledger_items(account), key=lambda e: e["seq"])] == [
        "purchase",
        "consumption",
        "credit_back",
    ]
    assert assert_c7(account) == 300 - 120 + 60
    view = api.get(f"/tickets/{ticket}", as_=owner).body
    assert (view["disputed_entries"], view["credited_back_minutes"], view["consumed_minutes"]) == (0, 60, 120)


def test_rejected_dispute_moves_no_minutes_C6(api, billing, closed_ticket, unchanged):
    account, ticket, entry = closed_ticket
    owner = claims("customer", account_id=account)
    api.post(f"/tickets/{ticket}/time-entries/{entry}/dispute", {"reason": "too long"}, as_=owner)
    with unchanged():
        bad = api.post(
            f"/tickets/{ticket}/time-entries/{entry}/resolve",
            {"outcome": "rejected", "note": "x", "credit_minutes": 30},
            as_=billing,
        )
    assert bad.status == 400 and "credit_minutes" in bad.body["error"]["message"]
    rejected = api.post(
        f"/tickets/{ticket}/time-entries/{entry}/resolve",
        {"outcome": "rejected", "note": "Logs show 90 minutes of remote session"},
        as_=billing,
    )
    assert rejected.body["entry"]["dispute"]["status"] == "rejected" and rejected.body["ledger_entry"] is None
    assert assert_c7(account) == 180
    with unchanged():
        twice = api.post(
            f"/tickets/{ticket}/time-entries/{entry}/resolve",
            {"outcome": "upheld", "note": "changed my mind"},
            as_=billing,
        )
        reopen = api.post(f"/tickets/{ticket}/time-entries/{entry}/dispute", {"reason": "again"}, as_=owner)
    assert (twice.status, reopen.status) == (409, 409)


@pytest.mark.parametrize(
    ("who", "route", "body", "status"),
    [
        pytest.param("other-customer", "dispute", {"reason": "not mine"}, 404, id="C6-other-tenant-404"),
        pytest.param("owner", "resolve", RESOLVE, 403, id="C6-customer-cannot-resolve"),
        pytest.param("technician", "resolve", RESOLVE, 403, id="C6-only-billing-resolves"),
        pytest.param("owner", "dispute", {"reason": "   "}, 400, id="C6-dispute-needs-a-reason"),
        pytest.param("billing", "resolve", RESOLVE, 409, id="C6-nothing-to-resolve"),
    ],
)
def test_dispute_refusals_write_nothing_C6(api, closed_ticket, unchanged, who, route, body, status):
    account, ticket, entry = closed_ticket
    actor = {
        "other-customer": claims("customer", account_id="acc_someoneelse"),
        "owner": claims("customer", account_id=account),
        "technician": claims("technician"),
        "billing": claims("billing"),
    }[who]
    with unchanged():
        reply = api.post(f"/tickets/{ticket}/time-entries/{entry}/{route}", body, as_=actor)
    assert reply.status == status, reply


def test_upheld_credit_is_capped_by_consumption_C6(api, billing, closed_ticket, unchanged):
    account, ticket, entry = closed_ticket
    api.post(
        f"/tickets/{ticket}/time-entries/{entry}/dispute",
        {"reason": "all wrong"},
        as_=claims("customer", account_id=account),
    )
    with unchanged():
        reply = api.post(
            f"/tickets/{ticket}/time-entries/{entry}/resolve",
            {"outcome": "upheld", "note": "refund", "credit_minutes": 121},
            as_=billing,
        )
    assert reply.status == 400 and "at most 120" in reply.body["error"]["message"]
