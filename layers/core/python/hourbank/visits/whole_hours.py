"""What an onsite visit costs (SPEC V1, seed 002; U2): pure functions over integers, no I/O.

* **Prepayment** = the base fee (default $350: the trip and the first hour onsite) plus as many $25
  increments as cover (estimate - 1) x the additional-hour rate. Seed 002: "select the Onsite Support
  base cost of $350, and ... the appropriate number of $25 increments to obtain a total purchase equal to
  the estimated cost".
* **Extensions** are priced so the visit as a whole always costs what V1 says for its total hours: an
  extension of ``h`` hours on a visit booked for ``n`` costs ``prepayment(n + h) - prepayment(n)``. The
  $25 rounding is applied once to the whole visit, never once per payment, so splitting the same hours
  into several extensions never costs the customer more than booking them up front.
* **Used hours**: onsite time counts in whole hours, any part of an hour is an hour, over the visit's
  total (as T5 rounds per ticket, not per entry). Travel is the trip charge's: it counts no hours.
* **Refund at completion**: what was paid less the V1 price of the hours used (at least the first hour,
  which the base fee covers whatever happens).
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class VisitTerms:
    """The price terms of one booking (catalogue defaults, possibly overridden by staff per booking)."""

    base_fee_minor: int  # the trip and the first hour onsite
    additional_hour_rate_minor: int
    increment_minor: int  # seed 002: $25 increments
    currency: str


def _round_up(amount: int, step: int) -> int:
    return -(-amount // step) * step


def prepayment_minor(terms: VisitTerms, hours: int) -> int:
    """SPEC V1: base fee + ceil((hours - 1) x rate / increment) x increment, in minor units."""
    if hours < 1:
        raise ValueError("a visit is at least 1 hour (the base fee's)")
    return terms.base_fee_minor + _round_up((hours - 1) * terms.additional_hour_rate_minor, terms.increment_minor)


def extension_minor(terms: VisitTerms, booked_hours: int, add_hours: int) -> int:
    """SPEC V1: an extension at the visit's rate; the increments apply to the visit's total (module doc)."""
    if add_hours < 1:
        raise ValueError("an extension is at least 1 hour")
    return prepayment_minor(terms, booked_hours + add_hours) - prepayment_minor(terms, booked_hours)


def used_hours(onsite_minutes: int) -> int:
    """SPEC V1: whole hours; any part of an hour is an hour (0 minutes: 0 hours)."""
    return -(-max(onsite_minutes, 0) // MINUTES_PER_HOUR)


def refund_due_minor(terms: VisitTerms, paid_minor: int, hours_used: int) -> int:
    """Unused prepaid hours at completion: paid less the V1 price of the hours used (the first hour is
    the base fee's and is never refunded). Never negative: the entry gate keeps use within what was paid."""
    return max(0, paid_minor - prepayment_minor(terms, max(hours_used, 1)))
