"""SPEC T2: the business calendar - a timezone, weekly windows and holiday dates.

Windows are wall-clock times in the calendar's timezone; every instant handed in or out is aware UTC,
so an entry across a DST change is split at the right real instant and keeps its real length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: time
    end: time


def parse_windows(spec: str) -> tuple[Window, ...]:
    """``"Mon-Fri 08:30-17:30; Sat 09:00-12:00"`` -> windows. An empty spec means no business hours."""
    windows: list[Window] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        match = _WINDOW.match(part)
        if not match:
            raise ValueError(f"business hours {part!r}: expected e.g. 'Mon-Fri 08:30-17:30'")
        first, last, h1, m1, h2, m2 = match.groups()
        try:
            days = _day_range(first.lower(), (last or first).lower())
            start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"business hours {part!r}: {exc}") from exc
        if end <= start:
            raise ValueError(f"business hours {part!r}: a window must end after it starts on the same day")
        windows.extend(Window(day, start, end) for day in days)
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.start)))


def _day_range(first: str, last: str) -> list[int]:
    if first not in DAYS or last not in DAYS:
        raise KeyError(f"unknown day in {first}-{last}")
    a, b = DAYS.index(first), DAYS.index(last)
    return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(b + 1)]


def parse_holidays(spec: str) -> frozenset[date]:
    """``"2026-12-25,2027-01-01"`` -> dates (in the calendar's timezone)."""
    return frozenset(date.fromisoformat(p.strip()) for p in spec.split(",") if p.strip())


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    windows: tuple[Window, ...]
    holidays: frozenset[date]

    @staticmethod
    @lru_cache(maxsize=64)
    def build(timezone: str, business_hours: str, holidays: frozenset[date]) -> BusinessCalendar:
        ZoneInfo(timezone)  # raises for an unknown zone
        return BusinessCalendar(timezone, parse_windows(business_hours), holidays)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def business_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The business-hour intervals (aware UTC) that overlap [start, end), clipped to it.

        Business-ness is defined once, by wall-clock time (``is_business``). Here we only find where it
        can change: every window boundary of each local day (both readings of a wall time that a DST
        change skips or repeats) and the DST transitions themselves. Between two such instants the wall
        clock moves continuously past no boundary, so one ``is_business`` test decides the whole piece.
        """
        tz = self.tz
        cuts = {start, end}
        day = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        while day <= last:
            walls = [time(0, 0)] + [t for w in self.windows if w.weekday == day.weekday() for t in (w.start, w.end)]
            for wall in walls:
                for fold in (0, 1):
                    at = datetime.combine(day, wall, tzinfo=tz).replace(fold=fold).astimezone(UTC)
                    if start < at < end:
                        cuts.add(at)
            transition = _transition(day, tz)
            if transition is not None and start < transition < end:
                cuts.add(transition)
            day += timedelta(days=1)
        points = sorted(cuts)
        pieces = [(a, b) for a, b in pairwise(points) if self.is_business(a)]
        return _merge(pieces)

    def is_business(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        if local.date() in self.holidays:
            return False
        wall = local.time().replace(tzinfo=None)
        return any(w.weekday == local.weekday() and w.start <= wall < w.end for w in self.windows)


def _transition(day: date, tz: ZoneInfo) -> datetime | None:
    """The UTC instant (to the minute) at which ``tz`` changes its offset during ``day``, if it does."""
    lo = datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)
    hi = lo + timedelta(hours=25)
    if lo.astimezone(tz).utcoffset() == hi.astimezone(tz).utcoffset():
        return None
    # Binary search on whole minutes: offsets change on minute boundaries.
    lo_m, hi_m = 0, 25 * 60
    before = lo.astimezone(tz).utcoffset()
    while hi_m - lo_m > 1:
        mid = (lo_m + hi_m) // 2
        if (lo + timedelta(minutes=mid)).astimezone(tz).utcoffset() == before:
            lo_m = mid
        else:
            hi_m = mid
    return lo + timedelta(minutes=hi_m)


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
