"""The plans catalogue (SPEC "Plans"): versioned configuration shipped with the code, validated on load.

``at_zero`` is what a close does when the balance is short: ``stop`` (SPEC C3/C4, non-members),
``overdraft`` (SPEC C2: debit what there is, the rest is post-pay), ``included`` (flat-fee plans: usage
is recorded on the ticket and billed by the month-end fair-use rule, never debited).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hourbank.plans.response_targets import ServiceLevels

WorkType = Literal["remote", "lab", "onsite", "travel"]
WORK_TYPES: tuple[str, ...] = ("remote", "lab", "onsite", "travel")
ONSITE_WORK = frozenset({"onsite", "travel"})  # T1/T6: travel is counted as onsite technician time


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    title: str
    at_zero: Literal["stop", "overdraft", "included"]
    work_types: tuple[WorkType, ...]
    prepay_rate_minor: int | None = Field(default=None, gt=0)
    recurring_rate_minor: int | None = Field(default=None, gt=0)
    postpay_rate_minor: int | None = Field(default=None, gt=0)
    onsite_minimum_minutes: int = Field(default=0, ge=0)
    monthly_free_minutes: int = Field(default=0, ge=0)
    included_minutes: int = Field(default=0, ge=0)
    large_package_minutes: int = Field(default=0, ge=0)
    large_package_discount_minor: int = Field(default=0, ge=0)
    monthly_fee_minor: int | None = Field(default=None, gt=0)
    fair_use_remote_minutes_per_day: int = Field(default=0, ge=0)
    fair_use_overage_rate_minor: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        if self.at_zero == "overdraft" and self.postpay_rate_minor is None:
            raise ValueError("an overdraft plan needs a postpay_rate_minor (SPEC C2)")
        if self.at_zero == "stop" and self.prepay_rate_minor is None:
            raise ValueError("a plan that stops at zero must sell pre-paid time")
        return self

    @property
    def stops_at_zero(self) -> bool:
        return self.at_zero == "stop"


class BulkDiscount(BaseModel):
    """SPEC P1 (seed 001): one order of at least ``min_minutes`` gets ``percent`` off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_minutes: int = Field(gt=0)
    percent: int = Field(ge=0, le=100)


class VisitDefaults(BaseModel):
    """SPEC V1 (seed 002): onsite visit terms. Staff may override the base fee and the additional-hour
    rate per booking; the increment and the payment window are the company's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_fee_minor: int = Field(default=35000, gt=0)  # the trip and the first hour onsite
    additional_hour_rate_minor: int = Field(default=15000, gt=0)
    increment_minor: int = Field(default=2500, gt=0)  # "$25 increments"
    max_hours: int = Field(default=24, gt=0)  # one visit's estimate plus extensions
    payment_window_hours: int = Field(default=24, gt=0, le=24)  # Stripe Checkout sessions live at most 24 h


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    plans: dict[str, Plan]
    bulk_discount: BulkDiscount = BulkDiscount(min_minutes=600, percent=5)
    service_levels: ServiceLevels  # SPEC S1: response targets by plan and priority

    @model_validator(mode="after")
    def _service_levels_name_plans(self) -> Catalogue:
        unknown = set(self.service_levels.plans) - set(self.plans)
        if unknown:
            raise ValueError(f"service_levels.plans names unknown plans: {', '.join(sorted(unknown))}")
        return self

    visits: VisitDefaults = VisitDefaults()

    def plan(self, plan_id: str) -> Plan:
        return self.plans[plan_id]


@cache
def catalogue() -> Catalogue:
    raw = json.loads(resources.files(__package__).joinpath("catalogue.json").read_text(encoding="utf-8"))
    for plan_id, plan in raw.get("plans", {}).items():
        plan["id"] = plan_id
    return Catalogue.model_validate(raw)


def get_plan(plan_id: str) -> Plan:
    return catalogue().plan(plan_id)


def plan_ids() -> tuple[str, ...]:
    return tuple(catalogue().plans)
