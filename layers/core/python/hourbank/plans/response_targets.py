"""SPEC S1: first-response targets in the catalogue, by plan and priority, each with its clock.

``clock`` is ``business`` (minutes of a business calendar) or ``wall`` (real elapsed time). A business
target names its ``calendar``: ``company`` (the company's business hours, the ``BusinessHours`` template
parameter) or one of the catalogue's own ``calendars`` (business_priority: Mon-Fri 09:00-17:00, seed 001).
Every calendar is read in the account's timezone (else the company's) with the company's holidays.
"""

from __future__ import annotations

from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hourbank.rating.calendar import parse_windows

PRIORITIES: tuple[str, ...] = ("low", "normal", "urgent")
Priority = Literal["low", "normal", "urgent"]
COMPANY_CALENDAR = "company"


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    minutes: int = Field(gt=0, le=60 * 24 * 30)
    clock: Literal["business", "wall"]
    calendar: str = COMPANY_CALENDAR


class ServiceLevels(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    calendars: dict[str, str] = Field(default_factory=dict)  # name -> weekly windows, e.g. "Mon-Fri 09:00-17:00"
    default: dict[Literal["low", "normal", "urgent"], Target]
    plans: dict[str, dict[Literal["low", "normal", "urgent"], Target]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> ServiceLevels:
        for hours in self.calendars.values():
            if not parse_windows(hours):
                raise ValueError("a service-level calendar needs at least one business window")
        if set(self.default) != set(PRIORITIES):
            raise ValueError(f"service_levels.default needs a target for each of {', '.join(PRIORITIES)}")
        for targets in (self.default, *self.plans.values()):
            for target in targets.values():
                if target.calendar != COMPANY_CALENDAR and target.calendar not in self.calendars:
                    raise ValueError(f"service-level calendar {target.calendar!r} is not in calendars")
        return self

    def target(self, plan_id: str, priority: str) -> Target:
        level = cast(Priority, priority)  # a priority the API validated
        return self.plans.get(plan_id, {}).get(level) or self.default[level]

    def business_hours(self, target: Target, company_hours: str) -> str:
        return company_hours if target.calendar == COMPANY_CALENDAR else self.calendars[target.calendar]
