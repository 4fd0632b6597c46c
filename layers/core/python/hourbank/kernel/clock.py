"""The clock port (STYLE 9): services take a clock so tests pass a fixed one instead of patching time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK: Clock = SystemClock()
"""The one real clock. Modules bind it by import (``from hourbank.kernel.clock import SYSTEM_CLOCK``) so a test may
still replace one module's binding (e.g. ``monthend.SYSTEM_CLOCK``)."""


class FixedClock:
    """A clock that says what it is told; ``advance`` moves it."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


class GivenTime(datetime):
    """A time that remembers the text it was given in, so it is kept exactly as the caller wrote it."""

    given: str

    @classmethod
    def of(cls, at: datetime, text: str | None) -> GivenTime:
        out = cls(at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond, at.tzinfo, fold=at.fold)
        out.given = text if text is not None else at.isoformat()
        return out


def iso(at: datetime) -> str:
    """The stored and answered form of a time: UTC, ISO 8601, whole seconds ("2026-11-20T15:00:00+00:00")."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(value: str) -> datetime:
    """A stored time back (the inverse of ``iso``; also reads any offset ``datetime.fromisoformat`` reads)."""
    return datetime.fromisoformat(value)


def as_given(at: datetime) -> str:
    """The text a time was given in, else its ISO 8601 form."""
    return getattr(at, "given", None) or at.isoformat()
