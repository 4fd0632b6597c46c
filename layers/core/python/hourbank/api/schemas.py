"""Request bodies (STYLE 3): pydantic models, so bad input is a 400 naming the field before domain code."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateAccount(Body):
    name: Text
    email: Email
    plan: Literal["non_member", "member", "business_priority", "unlimited_remote"]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class Adjustment(Body):
    minutes: StrictInt = Field(description="signed: + adds credit, - takes it away (kind adjustment only)")
    kind: Literal["purchase", "grant", "adjustment"]
    reason: LongText


class OpenTicket(Body):
    account_id: Text
    title: Text
    priority: Literal["low", "normal", "urgent"]
    opened_at: AwareDatetime | None = Field(default=None, description="staff only: when the work was agreed")


class EmergencyChange(Body):
    active: StrictBool
    at: AwareDatetime | None = Field(default=None, description="staff only; default now")


class TimeEntry(Body):
    work_type: Literal["remote", "lab", "onsite", "travel"]
    started_at: AwareDatetime
    minutes: StrictInt = Field(gt=0, le=1440)
    note: LongText


class CreditBack(Body):
    minutes: StrictInt = Field(gt=0, le=100_000)
    reason: LongText
