"""SPEC S1: the first-response due time, a pure rule beside the rating calendar (no I/O, no clock).

The clock of a target is either wall-clock (real elapsed time, so 24 h across a DST change is 24 real
hours) or the business minutes of a ``BusinessCalendar`` (weekly windows in the account's timezone, the
company's holidays; DST is handled by ``business_intervals``). The clock starts when the ticket is opened
and stops while the ticket waits on the customer: the due time is the instant at which the counted time
reaches the target. A priority change recomputes it from the opening with the new target (same rule).

While the ticket waits, its due time is unknown (``None``): the clock is stopped, the ticket cannot fall
due, and when it resumes the due time has moved by exactly the counted time spent waiting. If it fell due
before it started waiting, the due time stays where it was (it was breached).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from hourbank.rating.calendar import BusinessCalendar

Clock = Literal["business", "wall"]
MAX_SEARCH = timedelta(days=400)  # a calendar with no business time in a year is a configuration error


@dataclass(frozen=True)
class Pause:
    """The ticket waited on the customer from ``start`` until ``end`` (None: still waiting)."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class ResponseClock:
    minutes: int
    clock: Clock
    calendar: BusinessCalendar | None = None  # required for a business clock

    def counted(self, start: datetime, end: datetime) -> timedelta:
        """The target's time between two instants."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)  # aware arithmetic in one zone is wall time
        if end <= start:
            return timedelta(0)
        if self.clock == "wall":
            return end - start
        assert self.calendar is not None
        return sum((b - a for a, b in self.calendar.business_intervals(start, end)), timedelta(0))

    def advance(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of the target's time has been counted from ``start``."""
        start = start.astimezone(UTC)  # so 24 h across a DST night are 24 real hours
        if self.clock == "wall" or amount <= timedelta(0):
            return start + amount
        assert self.calendar is not None
        cursor, chunk, remaining = start, timedelta(days=1), amount
        while cursor - start < MAX_SEARCH:
            # Chunks grow (1, 2, 4, 8 days): an hour's target reads one day, a weekend or a holiday a few.
            for a, b in self.calendar.business_intervals(cursor, cursor + chunk):
                if b - a >= remaining:
                    return a + remaining
                remaining -= b - a
            cursor += chunk
            chunk = min(chunk * 2, timedelta(days=8))
        raise ValueError("the calendar has no business time within a year: check its windows and holidays")


def response_due(
    opened_at: datetime,
    clock: ResponseClock,
    pauses: tuple[Pause, ...] | list[Pause] = (),
    first_response_at: datetime | None = None,
) -> datetime | None:
    """SPEC S1: when the first response is due. ``None`` while the ticket waits (the clock is stopped).

    Once answered, waiting after the answer no longer moves the due time (a pause still open at the answer
    counts as ending there), so an answered ticket always has a due time to be judged against."""
    remaining = timedelta(minutes=clock.minutes)
    cursor = opened_at.astimezone(UTC)
    for pause in sorted(pauses, key=lambda p: p.start):
        if first_response_at is not None and pause.start >= first_response_at:
            break
        end = pause.end
        if first_response_at is not None and (end is None or end > first_response_at):
            end = first_response_at
        if pause.start > cursor:
            counted = clock.counted(cursor, pause.start)
            if counted >= remaining:
                return clock.advance(cursor, remaining)  # it fell due before it started waiting
            remaining -= counted
        if end is None:
            return None
        cursor = max(cursor, end)
    return clock.advance(cursor, remaining)


SlaStatus = Literal["pending", "met", "breached", "paused"]


def sla_status(due: datetime | None, first_response_at: datetime | None, now: datetime) -> SlaStatus:
    """SPEC S1: met (answered by the due time), breached (answered late, or not answered by it), paused
    (waiting on the customer: no due time), else pending."""
    if first_response_at is not None:
        return "met" if due is None or first_response_at <= due else "breached"
    if due is None:
        return "paused"
    return "breached" if now > due else "pending"
