"""SPEC S1 over HTTP: the request bodies of responses, waiting and priority changes, and the fair use a ticket
view shows on flat-fee plans (seed 003). The S1 fields of a ticket are its model's (``hourbank.api.responses``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, StrictBool

from hourbank.api.schemas import Body, Instant, LongText
from hourbank.kernel.clock import parse_iso
from hourbank.plans.catalogue import get_plan
from hourbank.rating.fair_use import fair_use

if TYPE_CHECKING:
    from hourbank.store.models import TicketModel, TimeEntryModel


class Response(Body):
    note: LongText
    at: Instant | None = Field(default=None, description="when it was given (may be past, never future); default now")


class PriorityChange(Body):
    priority: Literal["low", "normal", "urgent"]


class Waiting(Body):
    waiting: StrictBool
    at: Instant | None = Field(default=None, description="default now; never in the future")


def fair_use_of(t: TicketModel, entries: list[TimeEntryModel]) -> dict | None:
    """Seed 003: a flat-fee plan's remote minutes per day against its allowance; None on other plans."""
    allowance = get_plan(t.plan).fair_use_remote_minutes_per_day if t.plan else None
    if not allowance:
        return None
    from hourbank.ports.settings import get_settings

    tz = ZoneInfo(get_settings().company_timezone)  # as the month-end fair-use charge counts days
    counted = (e for e in entries if e.voided is None)  # SPEC T9: a voided entry counts for nothing
    return fair_use(((parse_iso(e.started_at_utc), int(e.minutes), e.work_type) for e in counted), tz, allowance)
