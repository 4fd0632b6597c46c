"""SPEC T2, T3, T4: split an entry where its multiplier changes and weight each piece.

An entry is cut at business-hour boundaries (after-hours x2) and at emergency period boundaries
(emergency x2); the two multiply (x4). Times are rated at whole-minute precision (U1): a start given
with seconds is rated from the start of its minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hourbank.rating.calendar import BusinessCalendar

AFTER_HOURS = "after_hours"
EMERGENCY = "emergency"


@dataclass(frozen=True)
class EmergencyChange:
    at: datetime
    active: bool


@dataclass(frozen=True)
class Period:
    """An emergency period: [start, end), open-ended while the ticket is still classified emergency."""

    start: datetime
    end: datetime | None

    def contains(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


@dataclass(frozen=True)
class Segment:
    started_at: datetime
    minutes: int
    multiplier: int
    reasons: tuple[str, ...]

    @property
    def weighted_minutes(self) -> int:
        return self.minutes * self.multiplier


def to_minute(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def emergency_periods(changes: Iterable[EmergencyChange]) -> tuple[Period, ...]:
    """SPEC T3: an upgrade opens a period, a downgrade ends it; repeats of the same state change nothing."""
    periods: list[Period] = []
    open_at: datetime | None = None
    for change in sorted(changes, key=lambda c: c.at):
        at = to_minute(change.at)
        if change.active and open_at is None:
            open_at = at
        elif not change.active and open_at is not None:
            if at > open_at:
                periods.append(Period(open_at, at))
            open_at = None
    if open_at is not None:
        periods.append(Period(open_at, None))
    return tuple(periods)


def rate_entry(
    started_at: datetime,
    minutes: int,
    calendar: BusinessCalendar,
    periods: Sequence[Period] = (),
) -> list[Segment]:
    """SPEC T2/T3: the entry's segments, in order; their minutes always add up to ``minutes``."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    start = to_minute(started_at)
    end = start + timedelta(minutes=minutes)
    # Periods are rated at whole minutes too, however they were built (U1).
    periods = [Period(to_minute(p.start), to_minute(p.end) if p.end else None) for p in periods]
    business = calendar.business_intervals(start, end)
    cuts = {start, end}
    for a, b in business:
        cuts.update((a, b))
    for p in periods:
        cuts.update(t for t in (p.start, p.end) if t is not None and start < t < end)
    points = sorted(cuts)
    segments: list[Segment] = []
    for a, b in pairwise(points):
        reasons: list[str] = []
        multiplier = 1
        if not any(x <= a < y for x, y in business):
            multiplier *= 2
            reasons.append(AFTER_HOURS)
        if any(p.contains(a) for p in periods):
            multiplier *= 2
            reasons.append(EMERGENCY)
        piece = Segment(a, int((b - a).total_seconds()) // 60, multiplier, tuple(reasons))
        last = segments[-1] if segments else None
        if last and last.multiplier == piece.multiplier and last.reasons == piece.reasons:
            segments[-1] = Segment(last.started_at, last.minutes + piece.minutes, last.multiplier, last.reasons)
        else:
            segments.append(piece)
    return segments
