"""SPEC scenarios 1-6, 8, 9 through the API handlers against DynamoDB Local (tables from template.yaml).

All times are on Monday 2026-11-16 in the company timezone (America/New_York, UTC-5), business hours
08:30-17:30, so each scenario states exactly which minutes are after hours.
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import assert_c7

pytestmark = pytest.mark.integration

DAY = "2026-11-16"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00-05:00"


def close(api, tech, ticket_id):
    reply = api.post(f"/tickets/{ticket_id}/close", as_=tech)
    assert reply.status == 200, reply
    return reply.body


def test_scenario_1_member_onsite_visit_consumes_120_T1_T5(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 600)
    ticket = open_ticket(account, "Install application on server", priority="low")
    log_time(ticket, at("09:00"), 30, "travel")
    log_time(ticket, at("09:30"), 60, "onsite")
    log_time(ticket, at("10:30"), 30, "travel")
    result = close(api, tech, ticket)
    assert (result["status"], result["consumed_minutes"], result["debited_minutes"]) == ("closed", 120, 120)
    assert result["balance_minutes"] == 480
    assert assert_c7(account) == 480


def test_scenario_2_non_member_onsite_minimum_240_T6(api, tech, make_account, open_ticket, log_time):
    account = make_account("non_member", 300)
    ticket = open_ticket(account, "Install application on server", priority="low")
    first = log_time(ticket, at("09:00"), 30, "travel")
    assert first.body["weighted_minutes"] == 30
    log_time(ticket, at("09:30"), 60, "onsite")
    log_time(ticket, at("10:30"), 30, "travel")
    assert api.get(f"/tickets/{ticket}", as_=tech).body["projected_consumption_minutes"] == 240
    result = close(api, tech, ticket)
    assert (result["consumed_minutes"], result["debited_minutes"], result["balance_minutes"]) == (240, 240, 60)
    assert assert_c7(account) == 60


def test_scenario_3_emergency_upgrade_before_work_doubles_T3(api, tech, make_account, open_ticket, log_time):
    account = make_account("non_member", 240)
    ticket = open_ticket(account, "Server offline", priority="urgent", opened_at=at("08:50"))
    upgraded = api.post(f"/tickets/{ticket}/emergency", {"active": True, "at": at("08:55")}, as_=tech)
    assert upgraded.status == 200 and upgraded.body["emergency"] is True
    entry = log_time(ticket, at("09:00"), 90, "remote")
    assert entry.body["weighted_minutes"] == 180
    assert entry.body["segments"] == [
        {"started_at": "2026-11-16T14:00:00+00:00", "minutes": 90, "multiplier": 2, "reasons": ["emergency"]}
    ]
    result = close(api, tech, ticket)
    assert (result["consumed_minutes"], result["debited_minutes"], result["balance_minutes"]) == (180, 180, 60)
    assert assert_c7(account) == 60


def test_scenario_4_fifteen_minutes_round_up_to_30_T5(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 120)
    ticket = open_ticket(account, "Website pop-up", priority="low")
    log_time(ticket, at("11:00"), 15)
    result = close(api, tech, ticket)
    assert (result["consumed_minutes"], result["debited_minutes"], result["balance_minutes"]) == (30, 30, 90)
    assert assert_c7(account) == 90


def test_scenario_5_emergency_after_hours_multiply_to_x4_T2_T3(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 180)
    ticket = open_ticket(account, "Mail server down", priority="urgent", opened_at=at("18:30"))
    api.post(f"/tickets/{ticket}/emergency", {"active": True, "at": at("18:45")}, as_=tech)
    entry = log_time(ticket, at("19:00"), 30)
    assert entry.body["segments"][0]["multiplier"] == 4
    assert set(entry.body["segments"][0]["reasons"]) == {"after_hours", "emergency"}
    result = close(api, tech, ticket)
    assert (result["consumed_minutes"], result["balance_minutes"]) == (120, 60)
    assert assert_c7(account) == 60


@pytest.mark.parametrize("as_one_entry", [False, True], ids=["two-entries", "one-entry-split-at-downgrade"])
def test_scenario_6_downgrade_ends_the_emergency_multiplier_T3(
    api, tech, make_account, open_ticket, log_time, as_one_entry
):
    account = make_account("member", 300)
    ticket = open_ticket(account, "VPN outage", priority="urgent", opened_at=at("09:50"))
    api.post(f"/tickets/{ticket}/emergency", {"active": True, "at": at("10:00")}, as_=tech)
    down = api.post(f"/tickets/{ticket}/emergency", {"active": False, "at": at("11:00")}, as_=tech)
    assert down.body["emergency"] is False
    assert down.body["emergency_periods"] == [
        {"start": "2026-11-16T15:00:00+00:00", "end": "2026-11-16T16:00:00+00:00"}
    ]
    if as_one_entry:
        entry = log_time(ticket, at("10:00"), 120)
        assert [(s["minutes"], s["multiplier"]) for s in entry.body["segments"]] == [(60, 2), (60, 1)]
    else:
        log_time(ticket, at("10:00"), 60)
        log_time(ticket, at("11:00"), 60)
    result = close(api, tech, ticket)
    assert (result["consumed_minutes"], result["balance_minutes"]) == (180, 120)
    assert assert_c7(account) == 120


def test_scenario_8_member_short_balance_becomes_postpay_C2(api, tech, billing, make_account, open_ticket, log_time):
    account = make_account("member", 60)
    ticket = open_ticket(account, "Printer fleet")
    log_time(ticket, at("13:00"), 150)
    result = close(api, tech, ticket)
    assert result == {
        "ticket_id": ticket,
        "status": "closed",
        "consumed_minutes": 150,
        "consumed_hours": "2.5",
        "debited_minutes": 60,
        "postpay_minutes": 90,
        "balance_minutes": 0,
    }
    from hourbank.store.models import ChargeModel

    charges = list(ChargeModel.query(account, consistent_read=True))
    assert [(c.minutes, c.amount_minor, c.currency, c.rate_minor) for c in charges] == [(90, 22500, "USD", 15000)]
    assert assert_c7(account) == 0


def test_scenario_9_non_member_refused_past_balance_with_402_C4(
    api, tech, make_account, open_ticket, log_time, unchanged
):
    account = make_account("non_member", 60)
    ticket = open_ticket(account, "Laptop slow")
    log_time(ticket, at("09:00"), 30)  # projected 30 of 60
    log_time(ticket, at("09:30"), 30)  # projected 60 of 60: still covered
    with unchanged():
        refused = log_time(ticket, at("10:00"), 5, expect=402)
    error = refused.body["error"]
    assert error["code"] == "insufficient_credit"
    assert error["details"]["top_up_minutes"] == 60 and "top up at least 1 h" in error["message"]
    account_view = api.get(f"/accounts/{account}", as_=tech).body
    assert (account_view["balance_minutes"], account_view["available_minutes"]) == (60, 0)
    assert assert_c7(account) == 60
