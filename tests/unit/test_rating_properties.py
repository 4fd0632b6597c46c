"""SPEC U1, U2, T2-T6 as properties (hypothesis): what must hold for every entry, calendar and ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hourbank.rating.calendar import BusinessCalendar
from hourbank.rating.consumption import STEP_MINUTES, hours_text, price_minor, round_up_to_step, ticket_consumption
from hourbank.rating.segments import (
    AFTER_HOURS,
    EMERGENCY,
    EmergencyChange,
    Period,
    Segment,
    emergency_periods,
    rate_entry,
    to_minute,
)

pytestmark = pytest.mark.unit

# database=None: no .hypothesis/ directory is written into the project.
PROPERTY = settings(max_examples=200, deadline=None, database=None)

ZONES = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Kolkata",  # +05:30, no DST
    "Asia/Kathmandu",  # +05:45
    "Australia/Adelaide",  # +09:30 / +10:30 with DST
)
ZONEINFOS = tuple(ZoneInfo(z) for z in ZONES)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BEGIN, END = datetime(2020, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
VALID_REASONS = {(): 1, (AFTER_HOURS,): 2, (EMERGENCY,): 2, (AFTER_HOURS, EMERGENCY): 4}


@dataclass(frozen=True)
class Case:
    start: datetime
    minutes: int
    calendar: BusinessCalendar
    periods: tuple[Period, ...]

    def segments(self) -> list[Segment]:
        return rate_entry(self.start, self.minutes, self.calendar, self.periods)


def hm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


@st.composite
def window_specs(draw: st.DrawFn, earliest: int = 0) -> str:
    """Random T2 weekly windows, e.g. "Tue-Sat 04:10-19:45; Sun 00:00-23:59" ("" = no business hours)."""
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        first, last = draw(st.sampled_from(DAY_NAMES)), draw(st.sampled_from(DAY_NAMES))
        a = draw(st.integers(earliest, 1438))
        b = draw(st.integers(a + 1, 1439))
        parts.append(f"{first if first == last else f'{first}-{last}'} {hm(a)}-{hm(b)}")
    return "; ".join(parts)


@st.composite
def cases(draw: st.DrawFn, earliest_window: int = 0, max_minutes: int = 1440) -> Case:
    # any aware instant in 2020-2030 (with seconds), expressed in a random zone
    offset = draw(st.integers(0, int((END - BEGIN).total_seconds())))
    start = (BEGIN + timedelta(seconds=offset)).astimezone(draw(st.sampled_from(ZONEINFOS)))
    minutes = draw(st.integers(1, max_minutes))
    tz = draw(st.sampled_from(ZONES))
    local_day = start.astimezone(ZoneInfo(tz)).date()
    holidays = frozenset(local_day + timedelta(days=d) for d in draw(st.sets(st.integers(-1, 2), max_size=3)))
    calendar = BusinessCalendar.build(tz, draw(window_specs(earliest_window)), holidays)
    changes = draw(
        st.lists(
            st.builds(
                lambda offset, second, active: EmergencyChange(
                    start.astimezone(UTC) + timedelta(minutes=offset, seconds=second), active
                ),
                st.integers(-120, max_minutes + 120),
                st.integers(0, 59),
                st.booleans(),
            ),
            max_size=5,
        )
    )
    return Case(start, minutes, calendar, emergency_periods(changes))


# --- T2/T3/T4 on rate_entry ----------------------------------------------------------------------------


@PROPERTY
@given(cases())
def test_T2_T3_split_never_changes_total_minutes(case: Case) -> None:
    assert sum(s.minutes for s in case.segments()) == case.minutes


@PROPERTY
@given(cases())
def test_T2_T3_segments_contiguous_ordered_and_merged(case: Case) -> None:
    segments = case.segments()
    cursor = to_minute(case.start)
    for i, s in enumerate(segments):
        assert s.minutes > 0
        assert s.started_at == cursor
        assert s.started_at.second == 0
        assert s.started_at.utcoffset() == timedelta(0)
        if i:  # neighbours with the same multiplier and reasons are one segment
            assert (segments[i - 1].multiplier, segments[i - 1].reasons) != (s.multiplier, s.reasons)
        cursor = s.started_at + timedelta(minutes=s.minutes)
    assert cursor == to_minute(case.start) + timedelta(minutes=case.minutes)


@PROPERTY
@given(cases())
def test_T2_T3_multipliers_match_reasons(case: Case) -> None:
    for s in case.segments():
        assert s.multiplier in {1, 2, 4}
        assert VALID_REASONS.get(s.reasons) == s.multiplier


@PROPERTY
@given(cases())
def test_T4_weighted_minutes_between_1x_and_4x(case: Case) -> None:
    weighted = sum(s.weighted_minutes for s in case.segments())
    assert case.minutes <= weighted <= 4 * case.minutes


# Windows may start at any hour, DST transition hours included (splitting follows is_business exactly).
@PROPERTY
@given(cases(earliest_window=0))
def test_T2_T3_every_minute_rated_by_calendar_and_periods(case: Case) -> None:
    for s in case.segments():
        for k in range(s.minutes):
            minute = s.started_at + timedelta(minutes=k)
            assert (AFTER_HOURS in s.reasons) is not case.calendar.is_business(minute)
            assert (EMERGENCY in s.reasons) is any(p.contains(minute) for p in case.periods)


@PROPERTY
@given(cases(max_minutes=720), st.data())
def test_T4_splitting_an_entry_in_two_keeps_weighted_minutes(case: Case, data: st.DataObject) -> None:
    if case.minutes < 2:
        return
    k = data.draw(st.integers(1, case.minutes - 1))
    second_start = to_minute(case.start) + timedelta(minutes=k)
    whole = sum(s.weighted_minutes for s in case.segments())
    first = rate_entry(case.start, k, case.calendar, case.periods)
    second = rate_entry(second_start, case.minutes - k, case.calendar, case.periods)
    assert whole == sum(s.weighted_minutes for s in [*first, *second])


@PROPERTY
@given(cases(max_minutes=600), st.sampled_from(ZONEINFOS), st.integers(0, 59))
def test_U1_T2_input_zone_and_seconds_do_not_matter(case: Case, zone: ZoneInfo, second: int) -> None:
    same_instant_elsewhere = to_minute(case.start).astimezone(zone) + timedelta(seconds=second)
    assert rate_entry(same_instant_elsewhere, case.minutes, case.calendar, case.periods) == case.segments()


@PROPERTY
@given(
    st.lists(
        st.tuples(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)), st.booleans()),
        max_size=8,
    )
)
def test_T3_periods_ordered_disjoint_and_nonempty(raw: list[tuple[datetime, bool]]) -> None:
    periods = emergency_periods([EmergencyChange(t.replace(tzinfo=UTC), active) for t, active in raw])
    for p in periods:
        assert p.end is None or p.start < p.end
        assert p.start.second == 0
    for a, b in pairwise(periods):
        assert a.end is not None and a.end <= b.start
    assert all(p.end is not None for p in periods[:-1])


# --- T5/T6 on ticket_consumption -----------------------------------------------------------------------


@PROPERTY
@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_T5_rounding_is_monotone(w1: int, w2: int) -> None:
    w1, w2 = sorted((w1, w2))
    assert round_up_to_step(w1) <= round_up_to_step(w2)
    assert ticket_consumption(w1, 0, 0) <= ticket_consumption(w2, 0, 0)


@PROPERTY
@given(st.integers(1, 100_000))
def test_T5_rounds_up_to_next_step_min_30(w: int) -> None:
    c = ticket_consumption(w, 0, 0)
    assert c == round_up_to_step(w)
    assert c % STEP_MINUTES == 0
    assert c >= STEP_MINUTES
    assert w <= c < w + STEP_MINUTES


@PROPERTY
@given(st.lists(st.integers(1, 2000), min_size=1, max_size=10))
def test_T5_per_ticket_rounding_never_costs_more(entry_weights: list[int]) -> None:
    per_ticket = ticket_consumption(sum(entry_weights), 0, 0)
    assert per_ticket <= sum(round_up_to_step(w) for w in entry_weights)
    assert per_ticket >= max(round_up_to_step(w) for w in entry_weights)


@PROPERTY
@given(st.integers(0, 5000), st.integers(1, 5000), st.sampled_from([0, 240]))
def test_T6_onsite_minimum(remote: int, onsite: int, minimum: int) -> None:
    c = ticket_consumption(remote + onsite, onsite, minimum)
    assert c == round_up_to_step(remote + max(onsite, minimum))
    assert c >= ticket_consumption(remote + onsite, onsite, 0)
    assert c >= minimum
    assert ticket_consumption(remote, 0, minimum) == round_up_to_step(remote)  # T6: no onsite, no minimum


# --- U1/U2 against a Decimal reference -----------------------------------------------------------------


@PROPERTY
@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_U2_price_minor_is_half_up_and_symmetric(rate: int, minutes: int) -> None:
    expected = int((Decimal(rate) * minutes / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    got = price_minor(rate, minutes)
    assert type(got) is int
    assert got == expected
    assert price_minor(rate, -minutes) == -expected


@PROPERTY
@given(st.integers(-100_000, 100_000))
def test_U1_hours_text_is_the_decimal_hours(minutes: int) -> None:
    text = hours_text(minutes)
    assert "E" not in text and "e" not in text
    if "." in text:  # no trailing zeros, no bare point
        assert not text.endswith(("0", "."))
    assert abs(Decimal(text) - Decimal(minutes) / 60) <= Decimal("0.005")
    assert len(text.partition(".")[2]) <= 2
    if minutes % 60 == 0:
        assert text == str(minutes // 60)
