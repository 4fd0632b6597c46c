"""SPEC T4, T5, T6, U1, U2: from weighted minutes to what a ticket consumes, and minutes to money."""

from __future__ import annotations

from decimal import Decimal

STEP_MINUTES = 30  # U1: one credit is 30 minutes; T5 rounds to it


def round_up_to_step(weighted_minutes: int) -> int:
    """SPEC T5: round up to the next 30 minutes, at least 30; a ticket with no time consumes 0."""
    if weighted_minutes <= 0:
        return 0
    return max(STEP_MINUTES, -(-weighted_minutes // STEP_MINUTES) * STEP_MINUTES)


def ticket_consumption(weighted_minutes: int, onsite_weighted_minutes: int, onsite_minimum_minutes: int) -> int:
    """SPEC T4-T6 for a whole ticket (rounding is per ticket, never per entry).

    ``weighted_minutes`` is the ticket's total (T4) and includes ``onsite_weighted_minutes`` (onsite +
    travel). T6: for plans with an onsite minimum (non-members: 240) onsite work counts as at least that.
    """
    if onsite_minimum_minutes and onsite_weighted_minutes > 0:
        weighted_minutes += max(0, onsite_minimum_minutes - onsite_weighted_minutes)
    return round_up_to_step(weighted_minutes)


def hours_text(minutes: int) -> str:
    """U1: hours for people, as a decimal string: 150 -> "2.5", 20 -> "0.33", -90 -> "-1.5"."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def price_minor(rate_minor_per_hour: int, minutes: int) -> int:
    """U2: rate x minutes / 60 in minor units, rounded half-up once (per line), in integers only."""
    if minutes < 0:
        return -price_minor(rate_minor_per_hour, -minutes)
    return (rate_minor_per_hour * minutes * 2 + 60) // 120
