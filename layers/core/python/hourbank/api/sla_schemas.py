"""SPEC S1 over HTTP: request bodies and response shapes for responses, waiting and the queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, StrictBool

from hourbank.api.schemas import Body, Instant, LongText
from hourbank.kernel.clock import parse_iso
from hourbank.plans.catalogue import get_plan
from hourbank.rating.fair_use import fair_use
from hourbank.store.models import ResponseModel, TicketModel, TimeEntryModel
from hourbank.tickets.service_levels import status_of


class Response(Body):
    note: LongText
    at: Instant | None = Field(default=None, description="when it was given (may be past, never future); default now")


class PriorityChange(Body):
    priority: Literal["low", "normal", "urgent"]


class Waiting(Body):
    waiting: StrictBool
    at: Instant | None = Field(default=None, description="default now; never in the future")


def ticket_fields(
    t: TicketModel, entries: list[TimeEntryModel] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """What every ticket view carries for SPEC S1 (and fair use on flat-fee plans, seed 003)."""
    out: dict[str, Any] = {
        "response_due_at": t.response_due_at,
        "first_response_at": t.first_response_at,
        "sla_status": status_of(t, now or datetime.now(UTC)),
        "waiting": t.waiting_since is not None,
        "waiting_since": t.waiting_since,
        "response_count": int(t.response_count or 0),
        "response_target": None
        if t.sla_target_minutes is None
        else {
            "minutes": int(t.sla_target_minutes),
            "clock": t.sla_clock,
            "business_hours": t.sla_business_hours if t.sla_clock == "business" else None,
            "timezone": t.sla_timezone,
        },
        "waiting_periods": [{"start": p.start_given, "end": p.end_given, "by": p.by} for p in t.pauses or []],
        "priority_changes": [
            {"at": c.at, "from": c.before, "to": c.after, "by": c.by} for c in t.priority_changes or []
        ],
    }
    if entries is not None and t.plan:
        allowance = get_plan(t.plan).fair_use_remote_minutes_per_day
        if allowance:
            from hourbank.ports.settings import get_settings

            tz = ZoneInfo(get_settings().company_timezone)  # as the month-end fair-use charge counts days
            out["fair_use"] = fair_use(
                ((parse_iso(e.started_at_utc), int(e.minutes), e.work_type) for e in entries), tz, allowance
            )
    return out


def list_fields(t: TicketModel, now: datetime | None = None) -> dict[str, Any]:
    """SPEC S1 in a list of tickets (an account's, the staff queue): where the response clock stands."""
    return {"sla_status": status_of(t, now or datetime.now(UTC)), "waiting": t.waiting_since is not None}


def response(r: ResponseModel, first: bool) -> dict[str, Any]:
    return {
        "response_id": r.response_id,
        "ticket_id": r.ticket_id,
        "at": r.at,
        "note": r.note,
        "by": r.by,
        "recorded_at": r.recorded_at,
        "first": first,
    }
