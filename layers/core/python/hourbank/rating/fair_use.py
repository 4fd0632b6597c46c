"""Fair use on flat-fee plans (seed 003: "Up to 30 mins of remote service per day"; "if the ticket can't be
finished in 30 minutes or less limited support may apply"): remote minutes per day, pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo


def remote_minutes_by_day(entries: Iterable[tuple[datetime, int, str]], tz: ZoneInfo) -> dict[date, int]:
    """(started_at, minutes, work_type) -> remote minutes per day of the entry's start (in ``tz``), as the
    month-end fair-use charge counts them."""
    per_day: dict[date, int] = defaultdict(int)
    for started_at, minutes, work_type in entries:
        if work_type == "remote":
            per_day[started_at.astimezone(tz).date()] += int(minutes)
    return dict(sorted(per_day.items()))


def fair_use(entries: Iterable[tuple[datetime, int, str]], tz: ZoneInfo, allowance: int) -> dict:
    """The days on which the remote time passed the day's allowance, and by how much."""
    days: list[dict[str, Any]] = [
        {"date": day.isoformat(), "remote_minutes": minutes, "over_minutes": max(minutes - allowance, 0)}
        for day, minutes in remote_minutes_by_day(entries, tz).items()
    ]
    return {"allowance_minutes_per_day": allowance, "days": days, "exceeded": any(d["over_minutes"] > 0 for d in days)}
