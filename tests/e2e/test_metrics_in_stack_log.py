"""The business metrics as the local stack shows them (issue 16): a close over real HTTP puts its EMF line in
the stack's log (the functions' stdout), the line CloudWatch Logs would turn into metrics in AWS."""

from __future__ import annotations

import json
import uuid

import pytest

from hourbank.ports import metrics

pytestmark = pytest.mark.e2e


def test_a_close_over_http_prints_its_metrics_in_the_stack_log(http, token, capsys):
    tech, billing = token("technician", sub="e2e-tech"), token("billing", sub="e2e-billing")
    status, account = http(
        "POST",
        "/accounts",
        {"name": "Log Co", "email": f"it-{uuid.uuid4().hex[:8]}@log.example", "plan": "member"},
        token=billing,
    )
    assert status == 201, account
    status, ticket = http(
        "POST",
        "/tickets",
        {
            "account_id": account["account_id"],
            "title": "Printer",
            "priority": "normal",
            "opened_at": "2026-11-16T09:00:00-05:00",
        },
        token=tech,
    )  # opened before the work it logs (SPEC T8)
    status, _ = http(
        "POST",
        f"/tickets/{ticket['ticket_id']}/time-entries",
        {"work_type": "remote", "started_at": "2026-11-16T10:00:00-05:00", "minutes": 45, "note": "n"},
        token=tech,
    )
    assert status == 201
    capsys.readouterr()
    status, closed = http("POST", f"/tickets/{ticket['ticket_id']}/close", token=tech)
    assert status == 200, closed
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [line] = [line for line in lines if metrics.MINUTES_CONSUMED in line]
    consumed = float(closed["consumed_minutes"])
    assert line[metrics.MINUTES_CONSUMED] in (consumed, [consumed]) and consumed > 0
    assert line["service"] == "hourbank"
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Hourbank"
