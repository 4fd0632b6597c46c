"""Time zones for tests that log time relative to now (SPEC T2): rated the same at whatever hour they run."""

from __future__ import annotations

from datetime import UTC, datetime


def night_zone(now: datetime | None = None) -> str:
    """An IANA zone in which it is about 02:00 now: every minute of the last hours and the next few is after
    hours on any day, so an account in it rates such time x2 whenever the suite runs."""
    hour = (now or datetime.now(UTC)).astimezone(UTC).hour
    offset = ((2 - hour + 12) % 24) - 12  # local = UTC + offset, in -12..+11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs
