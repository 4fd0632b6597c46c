"""Request bodies of the visit routes (API.md ``/visits``; SPEC V1). What they answer: ``responses.Visit``."""

from __future__ import annotations

from pydantic import Field, StrictInt

from hourbank.api.schemas import Body, Instant, LongText
from hourbank.kernel.ids import AccountId


class BookVisit(Body):
    account_id: AccountId
    scheduled_at: Instant = Field(description="when the technician is due onsite")
    address: LongText
    estimate_hours: StrictInt = Field(ge=1, le=24, description="SPEC V1: whole hours, the first is the base fee's")
    additional_hour_rate_minor: StrictInt | None = Field(
        default=None, gt=0, le=10_000_000, description="per hour past the first; default: the catalogue's"
    )
    base_fee_minor: StrictInt | None = Field(
        default=None, gt=0, le=10_000_000, description="the trip and the first hour; default: the catalogue's ($350)"
    )
    opened_at: Instant | None = Field(default=None, description="when the visit was agreed (recording the past)")


class VisitExtension(Body):
    hours: StrictInt = Field(ge=1, le=24, description="further whole hours, at the visit's rate")


class CancelVisit(Body):
    reason: LongText
