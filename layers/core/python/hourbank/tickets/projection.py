"""A ticket's projected consumption under its account's plan (SPEC T5, T6) - what C4 commits."""

from __future__ import annotations

from hourbank.plans.catalogue import Plan
from hourbank.rating.consumption import ticket_consumption


def project(weighted_minutes: float, onsite_weighted_minutes: float, plan: Plan) -> int:  # NumberAttribute: float
    return ticket_consumption(int(weighted_minutes), int(onsite_weighted_minutes), plan.onsite_minimum_minutes)
