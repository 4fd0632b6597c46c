"""SPEC S1 on the statement (M3): the tickets that fell due in the month, met and breached, and each breach."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def month_sla(account_id: str, start: datetime, end: datetime, now: datetime | None = None) -> dict:
    from hourbank.tickets.service_levels import month_sla as read

    return read(account_id, start, end, now or datetime.now(UTC))


def csv_rows(sla: dict) -> list[dict[str, Any]]:
    """One summary row and one row per breach (``at`` = the due time, ``description`` says when answered)."""
    summary = f"{sla['tickets']} due, {sla['met']} met, {sla['breached']} breached"
    rows: list[dict[str, Any]] = [{"section": "sla", "minutes": sla["tickets"], "description": summary}]
    for b in sla["breaches"]:
        answered = f"first response {b['first_response_at']}" if b["first_response_at"] else "not answered"
        rows.append(
            {
                "section": "sla_breach",
                "at": b["response_due_at"],
                "ref": b["ticket_id"],
                "description": f"{b['title']} ({b['priority']}): {answered}",
            }
        )
    return rows
