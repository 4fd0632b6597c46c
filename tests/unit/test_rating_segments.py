"""SPEC T2, T3, T4 (and scenarios 1-6) as tables: an entry's segments and a ticket's consumption.

All local times are America/New_York unless a row says otherwise; the reference week is
Mon 2026-11-23 .. Sun 2026-11-29 (EST, UTC-5). Expected segments are written as
(local start "Ddd HH:MM", minutes, multiplier, reasons).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from hourbank.plans.catalogue import ONSITE_WORK, get_plan
from hourbank.rating.calendar import BusinessCalendar
from hourbank.rating.consumption import ticket_consumption
from hourbank.rating.segments import (
    AFTER_HOURS,
    EMERGENCY,
    EmergencyChange,
    Period,
    Segment,
    emergency_periods,
    rate_entry,
)

pytestmark = pytest.mark.unit

NY = ZoneInfo("America/New_York")
DEFAULT_HOURS = "Mon-Fri 08:30-17:30"
AH = (AFTER_HOURS,)
EM = (EMERGENCY,)
AH_EM = (AFTER_HOURS, EMERGENCY)

DAY = {"Mon": 23, "Tue": 24, "Wed": 25, "Thu": 26, "Fri": 27, "Sat": 28, "Sun": 29}


def cal(hours: str = DEFAULT_HOURS, tz: str = "America/New_York", holidays: Sequence[str] = ()) -> BusinessCalendar:
    return BusinessCalendar.build(tz, hours, frozenset(date.fromisoformat(h) for h in holidays))


def at(when: str, tz: ZoneInfo = NY) -> datetime:
    """``"Mon 10:00"`` -> that wall-clock time in the reference week (Nov 2026)."""
    day, hm = when.split()
    h, m = hm.split(":")
    return datetime(2026, 11, DAY[day], int(h), int(m), tzinfo=tz)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def shape(segments: Sequence[Segment], tz: ZoneInfo = NY) -> list[tuple[str, int, int, tuple[str, ...]]]:
    return [(s.started_at.astimezone(tz).strftime("%a %H:%M"), s.minutes, s.multiplier, s.reasons) for s in segments]


def weighted(segments: Sequence[Segment]) -> int:
    return sum(s.weighted_minutes for s in segments)


# --- T2: business hours and after-hours ----------------------------------------------------------------

T2_ROWS = [
    pytest.param(DEFAULT_HOURS, (), "Mon 10:00", 60, [("Mon 10:00", 60, 1, ())], id="T2-inside-business-hours-x1"),
    pytest.param(DEFAULT_HOURS, (), "Mon 08:30", 540, [("Mon 08:30", 540, 1, ())], id="T2-exactly-the-window-x1"),
    pytest.param(DEFAULT_HOURS, (), "Mon 18:00", 60, [("Mon 18:00", 60, 2, AH)], id="T2-evening-after-hours-x2"),
    pytest.param(DEFAULT_HOURS, (), "Mon 07:00", 60, [("Mon 07:00", 60, 2, AH)], id="T2-early-morning-x2"),
    pytest.param(
        DEFAULT_HOURS,
        (),
        "Mon 17:00",
        60,
        [("Mon 17:00", 30, 1, ()), ("Mon 17:30", 30, 2, AH)],
        id="T2-straddles-17:30-split-at-boundary",
    ),
    pytest.param(
        DEFAULT_HOURS,
        (),
        "Mon 08:00",
        60,
        [("Mon 08:00", 30, 2, AH), ("Mon 08:30", 30, 1, ())],
        id="T2-straddles-08:30-split-at-boundary",
    ),
    pytest.param(DEFAULT_HOURS, (), "Mon 16:30", 60, [("Mon 16:30", 60, 1, ())], id="T2-ends-exactly-at-17:30"),
    pytest.param(DEFAULT_HOURS, (), "Mon 17:30", 30, [("Mon 17:30", 30, 2, AH)], id="T2-starts-exactly-at-17:30"),
    pytest.param(DEFAULT_HOURS, (), "Mon 17:29", 1, [("Mon 17:29", 1, 1, ())], id="T2-last-business-minute"),
    pytest.param(DEFAULT_HOURS, (), "Mon 08:29", 1, [("Mon 08:29", 1, 2, AH)], id="T2-last-minute-before-opening"),
    pytest.param(
        DEFAULT_HOURS,
        (),
        "Mon 08:00",
        600,
        [("Mon 08:00", 30, 2, AH), ("Mon 08:30", 540, 1, ()), ("Mon 17:30", 30, 2, AH)],
        id="T2-longer-than-the-day-split-twice",
    ),
    pytest.param(
        DEFAULT_HOURS,
        (),
        "Mon 17:00",
        960,
        [("Mon 17:00", 30, 1, ()), ("Mon 17:30", 900, 2, AH), ("Tue 08:30", 30, 1, ())],
        id="T2-overnight-into-next-business-day",
    ),
    pytest.param(DEFAULT_HOURS, (), "Sat 10:00", 60, [("Sat 10:00", 60, 2, AH)], id="T2-weekend-saturday-x2"),
    pytest.param(DEFAULT_HOURS, (), "Sun 10:00", 60, [("Sun 10:00", 60, 2, AH)], id="T2-weekend-sunday-x2"),
    pytest.param(
        DEFAULT_HOURS,
        (),
        "Fri 17:00",
        120,
        [("Fri 17:00", 30, 1, ()), ("Fri 17:30", 90, 2, AH)],
        id="T2-friday-evening-into-weekend",
    ),
    pytest.param(
        DEFAULT_HOURS,
        ("2026-11-26",),
        "Thu 10:00",
        60,
        [("Thu 10:00", 60, 2, AH)],
        id="T2-holiday-x2",
    ),
    pytest.param(
        DEFAULT_HOURS,
        ("2026-11-26",),
        "Wed 17:00",
        60,
        [("Wed 17:00", 30, 1, ()), ("Wed 17:30", 30, 2, AH)],
        id="T2-day-before-holiday-unaffected",
    ),
    pytest.param(
        DEFAULT_HOURS,
        ("2026-11-26",),
        "Thu 23:00",
        630,
        [("Thu 23:00", 570, 2, AH), ("Fri 08:30", 60, 1, ())],
        id="T2-holiday-night-into-business-day",
    ),
    pytest.param(
        DEFAULT_HOURS,
        ("2026-11-26", "2026-11-27"),
        "Fri 10:00",
        60,
        [("Fri 10:00", 60, 2, AH)],
        id="T2-second-holiday-in-list",
    ),
    pytest.param(
        "Mon-Fri 08:30-17:30; Sat 09:00-12:00",
        (),
        "Sat 08:30",
        240,
        [("Sat 08:30", 30, 2, AH), ("Sat 09:00", 180, 1, ()), ("Sat 12:00", 30, 2, AH)],
        id="T2-window-spec-saturday-morning",
    ),
    pytest.param(
        "Mon-Fri 08:30-17:30; Sat 09:00-12:00",
        (),
        "Sun 10:00",
        60,
        [("Sun 10:00", 60, 2, AH)],
        id="T2-window-spec-sunday-still-after-hours",
    ),
    pytest.param(
        "Mon-Fri 08:30-17:30; Sat 09:00-12:00",
        (),
        "Mon 10:00",
        60,
        [("Mon 10:00", 60, 1, ())],
        id="T2-window-spec-weekday-unchanged",
    ),
    pytest.param(
        "Mon-Fri 08:00-12:00; Mon-Fri 13:00-17:00",
        (),
        "Mon 11:30",
        120,
        [("Mon 11:30", 30, 1, ()), ("Mon 12:00", 60, 2, AH), ("Mon 13:00", 30, 1, ())],
        id="T2-two-windows-a-day-lunch-is-after-hours",
    ),
    pytest.param(
        "Mon 08:00-12:00; Mon 10:00-14:00",
        (),
        "Mon 07:00",
        480,
        [("Mon 07:00", 60, 2, AH), ("Mon 08:00", 360, 1, ()), ("Mon 14:00", 60, 2, AH)],
        id="T2-overlapping-windows-merge",
    ),
    pytest.param(
        "Mon 08:00-12:00; Mon 12:00-14:00",
        (),
        "Mon 11:00",
        120,
        [("Mon 11:00", 120, 1, ())],
        id="T2-adjacent-windows-no-split",
    ),
    pytest.param(
        "Fri-Mon 10:00-12:00",
        (),
        "Sat 10:30",
        60,
        [("Sat 10:30", 60, 1, ())],
        id="T2-wrapping-day-range-covers-saturday",
    ),
    pytest.param(
        "Fri-Mon 10:00-12:00",
        (),
        "Wed 10:30",
        60,
        [("Wed 10:30", 60, 2, AH)],
        id="T2-wrapping-day-range-skips-wednesday",
    ),
    pytest.param("", (), "Mon 10:00", 60, [("Mon 10:00", 60, 2, AH)], id="T2-no-business-hours-all-after-hours"),
    pytest.param(
        "mon-fri 08:30-17:30",
        (),
        "Mon 10:00",
        60,
        [("Mon 10:00", 60, 1, ())],
        id="T2-window-spec-case-insensitive",
    ),
]


@pytest.mark.parametrize(("hours", "holidays", "start", "minutes", "expected"), T2_ROWS)
def test_T2_after_hours_split(
    hours: str,
    holidays: tuple[str, ...],
    start: str,
    minutes: int,
    expected: list[tuple[str, int, int, tuple[str, ...]]],
) -> None:
    segments = rate_entry(at(start), minutes, cal(hours, holidays=holidays))
    assert shape(segments) == expected
    assert sum(s.minutes for s in segments) == minutes  # T2: splitting never loses a minute


@pytest.mark.parametrize(
    ("spec", "expected_minutes_per_week"),
    [
        pytest.param("Mon-Fri 08:30-17:30", 5 * 540, id="T2-default-window-45h-a-week"),
        pytest.param("Mon-Fri 08:30-17:30; Sat 09:00-12:00", 5 * 540 + 180, id="T2-window-spec-with-saturday"),
        pytest.param("Sun 00:00-23:59", 1439, id="T2-whole-sunday-window"),
    ],
)
def test_T2_business_minutes_per_week(spec: str, expected_minutes_per_week: int) -> None:
    segments = rate_entry(at("Mon 00:00"), 7 * 24 * 60, cal(spec))
    business = sum(s.minutes for s in segments if AFTER_HOURS not in s.reasons)
    assert business == expected_minutes_per_week


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("Mon-Fri 17:30-08:30", id="T2-window-ending-before-start-refused"),
        pytest.param("Mon 09:00-09:00", id="T2-empty-window-refused"),
        pytest.param("Xyz 08:00-09:00", id="T2-unknown-day-refused"),
        pytest.param("Mon-Fri 8:30", id="T2-window-without-end-refused"),
        pytest.param("Mon 25:00-26:00", id="T2-impossible-hour-refused"),
        pytest.param("Mon 08:61-09:00", id="T2-impossible-minute-refused"),
        pytest.param("Monday 08:00-09:00", id="T2-long-day-name-refused"),
    ],
)
def test_T2_invalid_window_spec(spec: str) -> None:
    with pytest.raises(ValueError, match="business hours"):
        cal(spec)


def test_T2_unknown_timezone_refused() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        BusinessCalendar.build("Mars/Olympus_Mons", DEFAULT_HOURS, frozenset())


# --- T2: the calendar's timezone (account timezone vs company timezone) --------------------------------

TZ_ROWS = [
    pytest.param("America/New_York", utc(2026, 11, 23, 14, 0), 1, id="T2-tz-new-york-09:00-business"),
    pytest.param("Europe/London", utc(2026, 11, 23, 14, 0), 1, id="T2-tz-london-14:00-business"),
    pytest.param("America/Los_Angeles", utc(2026, 11, 23, 14, 0), 2, id="T2-tz-los-angeles-06:00-after-hours"),
    pytest.param("Asia/Tokyo", utc(2026, 11, 23, 14, 0), 2, id="T2-tz-tokyo-23:00-after-hours"),
    pytest.param("Asia/Kolkata", utc(2026, 11, 23, 14, 0), 2, id="T2-tz-kolkata-19:30-after-hours"),
    pytest.param("Asia/Kolkata", utc(2026, 11, 23, 3, 0), 1, id="T2-tz-kolkata-08:30-half-hour-offset-opens"),
    pytest.param("Asia/Kolkata", utc(2026, 11, 23, 2, 59), 2, id="T2-tz-kolkata-08:29-still-closed"),
    pytest.param("Australia/Adelaide", utc(2026, 11, 22, 22, 0), 1, id="T2-tz-adelaide-mon-08:30-acdt-opens"),
    pytest.param("Australia/Adelaide", utc(2026, 11, 22, 21, 59), 2, id="T2-tz-adelaide-mon-08:29-closed"),
]


@pytest.mark.parametrize(("tz", "instant", "multiplier"), TZ_ROWS)
def test_T2_calendar_timezone_decides(tz: str, instant: datetime, multiplier: int) -> None:
    [segment] = rate_entry(instant, 1, cal(tz=tz))
    assert segment.multiplier == multiplier
    assert cal(tz=tz).is_business(instant) is (multiplier == 1)


def test_T2_same_instant_account_vs_company_timezone() -> None:
    instant = utc(2026, 11, 23, 14, 0)  # 09:00 in New York, 06:00 in Los Angeles
    company, account = cal(tz="America/New_York"), cal(tz="America/Los_Angeles")
    assert weighted(rate_entry(instant, 60, company)) == 60
    assert weighted(rate_entry(instant, 60, account)) == 120


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(
            utc(2026, 11, 23, 2, 30),
            [(utc(2026, 11, 23, 2, 30), 30, 2), (utc(2026, 11, 23, 3, 0), 30, 1)],
            id="T2-kolkata-split-at-08:30-IST-03:00-UTC",
        ),
        pytest.param(
            utc(2026, 11, 23, 11, 30),
            [(utc(2026, 11, 23, 11, 30), 30, 1), (utc(2026, 11, 23, 12, 0), 30, 2)],
            id="T2-kolkata-split-at-17:30-IST-12:00-UTC",
        ),
    ],
)
def test_T2_half_hour_offset_zone(start: datetime, expected: list[tuple[datetime, int, int]]) -> None:
    segments = rate_entry(start, 60, cal(tz="Asia/Kolkata"))
    assert [(s.started_at, s.minutes, s.multiplier) for s in segments] == expected


def test_T2_holiday_is_a_date_in_the_calendar_timezone() -> None:
    # 2026-11-26 11:00 in New York is 16:00 UTC; in Tokyo it is already 01:00 on the 27th (not a holiday there).
    instant = utc(2026, 11, 26, 16, 0)
    assert rate_entry(instant, 60, cal(holidays=["2026-11-26"]))[0].multiplier == 2
    tokyo = cal("Mon-Fri 00:00-23:59", tz="Asia/Tokyo", holidays=["2026-11-26"])
    assert rate_entry(instant, 60, tokyo)[0].multiplier == 1


# --- T2 and DST (America/New_York: spring forward 2026-03-08, fall back 2026-11-01) --------------------


def test_T2_DST_fall_back_after_hours_entry_keeps_real_minutes() -> None:
    # Sun 2026-11-01 00:30 EDT (04:30 UTC) + 120 real minutes = 01:30 EST (06:30 UTC): the wall clock
    # moves only 60 minutes, the technician worked 120.
    start = datetime(2026, 11, 1, 0, 30, tzinfo=NY)
    segments = rate_entry(start, 120, cal())
    assert [(s.started_at, s.minutes, s.multiplier, s.reasons) for s in segments] == [
        (utc(2026, 11, 1, 4, 30), 120, 2, AH)
    ]
    assert weighted(segments) == 240


def test_T2_DST_fall_back_repeated_hour_wall_clock_fold() -> None:
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # fold=0: EDT, 05:30 UTC
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)  # fold=1: EST, 06:30 UTC
    assert rate_entry(first, 30, cal())[0].started_at == utc(2026, 11, 1, 5, 30)
    assert rate_entry(second, 30, cal())[0].started_at == utc(2026, 11, 1, 6, 30)


def test_T2_DST_spring_forward_entry_keeps_real_minutes() -> None:
    # Sun 2026-03-08 01:30 EST (06:30 UTC) + 60 real minutes = 03:30 EDT (07:30 UTC).
    segments = rate_entry(datetime(2026, 3, 8, 1, 30, tzinfo=NY), 60, cal())
    assert [(s.started_at, s.minutes, s.multiplier) for s in segments] == [(utc(2026, 3, 8, 6, 30), 60, 2)]


@pytest.mark.parametrize(
    ("start_utc", "minutes", "expected"),
    [
        # Fri 2026-10-30 is EDT (UTC-4): the window opens 12:30 UTC and closes 21:30 UTC.
        pytest.param(
            utc(2026, 10, 30, 12, 0),
            60,
            [(utc(2026, 10, 30, 12, 0), 30, 2), (utc(2026, 10, 30, 12, 30), 30, 1)],
            id="T2-DST-friday-before-fall-back-opens-12:30-UTC",
        ),
        # Mon 2026-11-02 is EST (UTC-5): the same 08:30 local is 13:30 UTC.
        pytest.param(
            utc(2026, 11, 2, 13, 0),
            60,
            [(utc(2026, 11, 2, 13, 0), 30, 2), (utc(2026, 11, 2, 13, 30), 30, 1)],
            id="T2-DST-monday-after-fall-back-opens-13:30-UTC",
        ),
        pytest.param(
            utc(2026, 11, 2, 12, 30),
            60,
            [(utc(2026, 11, 2, 12, 30), 60, 2)],
            id="T2-DST-monday-after-fall-back-12:30-UTC-is-07:30-closed",
        ),
        pytest.param(
            utc(2026, 11, 2, 22, 0),
            60,
            [(utc(2026, 11, 2, 22, 0), 30, 1), (utc(2026, 11, 2, 22, 30), 30, 2)],
            id="T2-DST-monday-after-fall-back-closes-22:30-UTC",
        ),
        # Fri 2026-03-06 is EST: opens 13:30 UTC; Mon 2026-03-09 is EDT: opens 12:30 UTC.
        pytest.param(
            utc(2026, 3, 6, 13, 0),
            60,
            [(utc(2026, 3, 6, 13, 0), 30, 2), (utc(2026, 3, 6, 13, 30), 30, 1)],
            id="T2-DST-friday-before-spring-forward-opens-13:30-UTC",
        ),
        pytest.param(
            utc(2026, 3, 9, 12, 0),
            60,
            [(utc(2026, 3, 9, 12, 0), 30, 2), (utc(2026, 3, 9, 12, 30), 30, 1)],
            id="T2-DST-monday-after-spring-forward-opens-12:30-UTC",
        ),
        # Sat 2026-10-31 22:00 EDT (Sun 02:00 UTC) to Mon 2026-11-02 09:30 EST (14:30 UTC): 36.5 real hours.
        pytest.param(
            utc(2026, 11, 1, 2, 0),
            2190,
            [(utc(2026, 11, 1, 2, 0), 2130, 2), (utc(2026, 11, 2, 13, 30), 60, 1)],
            id="T2-DST-weekend-across-fall-back-keeps-real-minutes",
        ),
    ],
)
def test_T2_DST_window_follows_local_time(
    start_utc: datetime, minutes: int, expected: list[tuple[datetime, int, int]]
) -> None:
    segments = rate_entry(start_utc, minutes, cal())
    assert [(s.started_at, s.minutes, s.multiplier) for s in segments] == expected


def test_T2_DST_window_end_in_spring_forward_gap_matches_is_business() -> None:
    # Window "Sun 01:00-02:30" on 2026-03-08 in New York: 02:00-02:59 does not exist; the wall clock jumps
    # from 01:59 EST (06:59 UTC) to 03:00 EDT (07:00 UTC). 03:15 EDT is outside the window by the wall clock.
    calendar = cal("Sun 01:00-02:30")
    instant = utc(2026, 3, 8, 7, 15)
    assert calendar.is_business(instant) is False
    [segment] = rate_entry(instant, 1, calendar)
    assert segment.reasons == AH


def test_T2_DST_window_in_repeated_fall_back_hour_matches_is_business() -> None:
    # Window "Sun 01:00-01:30" on 2026-11-01 in New York: 01:15 happens at 05:15 UTC (EDT) and 06:15 UTC (EST).
    calendar = cal("Sun 01:00-01:30")
    instant = utc(2026, 11, 1, 6, 15)
    assert calendar.is_business(instant) is True
    [segment] = rate_entry(instant, 1, calendar)
    assert segment.multiplier == 1


# --- U1/T2: whole minutes, aware times -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        pytest.param(
            datetime(2026, 11, 23, 10, 0, 45, 123, tzinfo=NY),
            60,
            [("Mon 10:00", 60, 1, ())],
            id="U1-T2-seconds-ignored-rated-from-the-minute",
        ),
        pytest.param(
            datetime(2026, 11, 23, 17, 29, 59, tzinfo=NY),
            2,
            [("Mon 17:29", 1, 1, ()), ("Mon 17:30", 1, 2, AH)],
            id="U1-T2-seconds-ignored-at-boundary",
        ),
    ],
)
def test_U1_T2_seconds_are_ignored(
    start: datetime, minutes: int, expected: list[tuple[str, int, int, tuple[str, ...]]]
) -> None:
    segments = rate_entry(start, minutes, cal())
    assert shape(segments) == expected
    assert segments[0].started_at.second == 0
    assert segments[0].started_at.microsecond == 0


def test_T2_segments_are_in_utc_whatever_the_input_zone() -> None:
    tokyo = at("Mon 10:00").astimezone(ZoneInfo("Asia/Tokyo"))
    segments = rate_entry(tokyo, 60, cal())
    assert segments[0].started_at.utcoffset() == timedelta(0)
    assert segments == rate_entry(at("Mon 10:00"), 60, cal())


def test_T2_naive_start_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        rate_entry(datetime(2026, 11, 23, 10, 0), 60, cal())


def test_T3_naive_change_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        emergency_periods([EmergencyChange(datetime(2026, 11, 23, 10, 0), True)])


@pytest.mark.parametrize(
    "minutes", [pytest.param(0, id="T4-zero-minutes-refused"), pytest.param(-30, id="T4-negative")]
)
def test_T4_entry_needs_positive_minutes(minutes: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        rate_entry(at("Mon 10:00"), minutes, cal())


# --- T3: emergency periods -----------------------------------------------------------------------------


def up(when: str) -> EmergencyChange:
    return EmergencyChange(at(when), True)


def down(when: str) -> EmergencyChange:
    return EmergencyChange(at(when), False)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param([], [], id="T3-no-changes-no-period"),
        pytest.param([up("Mon 10:00")], [("Mon 10:00", None)], id="T3-upgrade-opens-open-ended-period"),
        pytest.param(
            [up("Mon 10:00"), down("Mon 11:00")], [("Mon 10:00", "Mon 11:00")], id="T3-upgrade-then-downgrade"
        ),
        pytest.param(
            [up("Mon 10:00"), up("Mon 10:30")], [("Mon 10:00", None)], id="T3-repeated-upgrade-changes-nothing"
        ),
        pytest.param(
            [up("Mon 10:00"), up("Mon 10:30"), down("Mon 11:00")],
            [("Mon 10:00", "Mon 11:00")],
            id="T3-repeated-upgrade-keeps-first-start",
        ),
        pytest.param([down("Mon 10:00")], [], id="T3-downgrade-without-upgrade-ignored"),
        pytest.param([down("Mon 09:00"), up("Mon 10:00")], [("Mon 10:00", None)], id="T3-leading-downgrade-ignored"),
        pytest.param(
            [up("Mon 10:00"), down("Mon 11:00"), down("Mon 12:00")],
            [("Mon 10:00", "Mon 11:00")],
            id="T3-repeated-downgrade-changes-nothing",
        ),
        pytest.param(
            [up("Mon 10:00"), down("Mon 11:00"), up("Mon 12:00"), down("Mon 13:00")],
            [("Mon 10:00", "Mon 11:00"), ("Mon 12:00", "Mon 13:00")],
            id="T3-two-periods",
        ),
        pytest.param(
            [down("Mon 11:00"), up("Mon 10:00")], [("Mon 10:00", "Mon 11:00")], id="T3-changes-sorted-by-time"
        ),
        pytest.param([up("Mon 10:00"), down("Mon 10:00")], [], id="T3-upgrade-and-downgrade-same-minute-no-period"),
    ],
)
def test_T3_emergency_periods(changes: list[EmergencyChange], expected: list[tuple[str, str | None]]) -> None:
    periods = emergency_periods(changes)
    assert [(p.start, p.end) for p in periods] == [
        (at(a).astimezone(UTC), None if b is None else at(b).astimezone(UTC)) for a, b in expected
    ]


def test_T3_emergency_change_seconds_truncated_to_the_minute() -> None:
    [period] = emergency_periods([EmergencyChange(datetime(2026, 11, 23, 10, 0, 59, tzinfo=NY), True)])
    assert period.start == at("Mon 10:00")
    assert period.contains(at("Mon 10:00"))


T3_ROWS = [
    pytest.param([], "Mon 10:00", 60, [("Mon 10:00", 60, 1, ())], id="T3-no-emergency-x1"),
    pytest.param([up("Mon 09:00")], "Mon 10:00", 60, [("Mon 10:00", 60, 2, EM)], id="T3-upgraded-before-work-x2"),
    pytest.param([up("Mon 10:00")], "Mon 10:00", 60, [("Mon 10:00", 60, 2, EM)], id="T3-upgraded-at-start-x2"),
    pytest.param(
        [up("Mon 10:20")],
        "Mon 10:00",
        60,
        [("Mon 10:00", 20, 1, ()), ("Mon 10:20", 40, 2, EM)],
        id="T3-period-covers-part-of-entry",
    ),
    pytest.param(
        [up("Mon 10:10"), down("Mon 10:40")],
        "Mon 10:00",
        60,
        [("Mon 10:00", 10, 1, ()), ("Mon 10:10", 30, 2, EM), ("Mon 10:40", 20, 1, ())],
        id="T3-upgrade-then-downgrade-inside-entry",
    ),
    pytest.param(
        [up("Mon 09:00"), down("Mon 10:30")],
        "Mon 10:00",
        60,
        [("Mon 10:00", 30, 2, EM), ("Mon 10:30", 30, 1, ())],
        id="T3-downgrade-ends-the-period",
    ),
    pytest.param(
        [up("Mon 08:00"), down("Mon 09:00")],
        "Mon 10:00",
        60,
        [("Mon 10:00", 60, 1, ())],
        id="T3-period-ended-before-entry",
    ),
    pytest.param([up("Mon 11:00")], "Mon 10:00", 60, [("Mon 10:00", 60, 1, ())], id="T3-upgrade-at-entry-end"),
    pytest.param([up("Mon 12:00")], "Mon 10:00", 60, [("Mon 10:00", 60, 1, ())], id="T3-upgrade-after-entry"),
    pytest.param(
        [up("Mon 10:20"), up("Mon 10:40")],
        "Mon 10:00",
        60,
        [("Mon 10:00", 20, 1, ()), ("Mon 10:20", 40, 2, EM)],
        id="T3-repeated-upgrade-changes-nothing",
    ),
    pytest.param([down("Mon 10:20")], "Mon 10:00", 60, [("Mon 10:00", 60, 1, ())], id="T3-downgrade-without-upgrade"),
    pytest.param(
        [up("Mon 10:00"), down("Mon 10:30"), up("Mon 10:30")],
        "Mon 10:00",
        60,
        [("Mon 10:00", 60, 2, EM)],
        id="T3-back-to-back-periods-one-segment",
    ),
    # T3 x T2
    pytest.param(
        [up("Mon 18:00")], "Mon 19:00", 30, [("Mon 19:00", 30, 4, AH_EM)], id="T3-T2-emergency-after-hours-x4"
    ),
    pytest.param(
        [up("Mon 16:00")],
        "Mon 17:00",
        60,
        [("Mon 17:00", 30, 2, EM), ("Mon 17:30", 30, 4, AH_EM)],
        id="T3-T2-emergency-across-17:30-x2-then-x4",
    ),
    pytest.param(
        [up("Mon 17:45")],
        "Mon 17:00",
        60,
        [("Mon 17:00", 30, 1, ()), ("Mon 17:30", 15, 2, AH), ("Mon 17:45", 15, 4, AH_EM)],
        id="T3-T2-three-multipliers-in-one-entry",
    ),
    pytest.param(
        [up("Mon 07:00"), down("Mon 08:45")],
        "Mon 08:00",
        60,
        [("Mon 08:00", 30, 4, AH_EM), ("Mon 08:30", 15, 2, EM), ("Mon 08:45", 15, 1, ())],
        id="T3-T2-x4-x2-x1",
    ),
    pytest.param([up("Mon 08:00")], "Sat 10:00", 60, [("Sat 10:00", 60, 4, AH_EM)], id="T3-T2-weekend-emergency-x4"),
]


@pytest.mark.parametrize(("changes", "start", "minutes", "expected"), T3_ROWS)
def test_T3_emergency_multiplier(
    changes: list[EmergencyChange],
    start: str,
    minutes: int,
    expected: list[tuple[str, int, int, tuple[str, ...]]],
) -> None:
    segments = rate_entry(at(start), minutes, cal(), emergency_periods(changes))
    assert shape(segments) == expected
    assert sum(s.minutes for s in segments) == minutes


def test_T3_T4_period_with_seconds_keeps_total_minutes() -> None:
    period = Period(datetime(2026, 11, 23, 10, 0, 30, tzinfo=NY), None)
    segments = rate_entry(at("Mon 10:00"), 2, cal(), [period])
    assert sum(s.minutes for s in segments) == 2
    assert all(s.minutes > 0 for s in segments)


# --- T4/T5/T6: SPEC scenarios 1-6 through rate_entry + ticket_consumption ------------------------------


def consume(
    plan_id: str,
    entries: Sequence[tuple[str, str, int]],
    changes: Sequence[EmergencyChange] = (),
    calendar: BusinessCalendar | None = None,
) -> tuple[int, int]:
    """(weighted minutes T4, consumption T5/T6) of a ticket: entries are (work_type, local start, minutes)."""
    calendar = calendar or cal()
    periods = emergency_periods(changes)
    total = onsite = 0
    for work_type, start, minutes in entries:
        w = weighted(rate_entry(at(start), minutes, calendar, periods))
        total += w
        if work_type in ONSITE_WORK:
            onsite += w
    return total, ticket_consumption(total, onsite, get_plan(plan_id).onsite_minimum_minutes)


VISIT = [("travel", "Mon 09:00", 30), ("onsite", "Mon 09:30", 60), ("travel", "Mon 10:30", 30)]

SCENARIOS = [
    pytest.param("member", VISIT, [], 120, 120, id="scenario-1-T1-T5-member-onsite-visit-120"),
    pytest.param("non_member", VISIT, [], 120, 240, id="scenario-2-T6-non-member-onsite-visit-240"),
    pytest.param(
        "non_member",
        [("remote", "Mon 10:00", 90)],
        [up("Mon 09:00")],
        180,
        180,
        id="scenario-3-T3-emergency-before-work-180",
    ),
    pytest.param("non_member", [("remote", "Mon 10:00", 15)], [], 15, 30, id="scenario-4-T5-remote-15-min-30"),
    pytest.param("member", [("remote", "Mon 10:00", 15)], [], 15, 30, id="scenario-4-T5-member-remote-15-min-30"),
    pytest.param(
        "member",
        [("remote", "Mon 19:00", 30)],
        [up("Mon 18:30")],
        120,
        120,
        id="scenario-5-T2-T3-emergency-after-hours-x4-120",
    ),
    pytest.param(
        "member",
        [("remote", "Mon 10:00", 120)],
        [up("Mon 09:00"), down("Mon 11:00")],
        180,
        180,
        id="scenario-6-T3-downgraded-half-way-one-entry-180",
    ),
    pytest.param(
        "member",
        [("remote", "Mon 10:00", 60), ("remote", "Mon 13:00", 60)],
        [up("Mon 10:00"), down("Mon 11:00")],
        180,
        180,
        id="scenario-6-T3-downgraded-between-entries-180",
    ),
    pytest.param(
        "member",
        [("remote", "Mon 10:00", 45), ("remote", "Mon 11:00", 45), ("remote", "Mon 12:00", 5)],
        [],
        95,
        120,
        id="T5-per-ticket-45+45+5-through-rate-entry",
    ),
    pytest.param(
        "non_member",
        [("remote", "Mon 10:00", 60), ("onsite", "Mon 13:00", 120)],
        [],
        180,
        300,
        id="T6-remote-60+onsite-120-non-member-300",
    ),
    pytest.param(
        "non_member",
        [("onsite", "Mon 19:00", 150)],
        [],
        300,
        300,
        id="T6-T2-after-hours-onsite-above-minimum",
    ),
    pytest.param(
        "member",
        [("lab", "Sat 10:00", 20)],
        [],
        40,
        60,
        id="T2-T5-member-lab-saturday-x2-rounded",
    ),
    pytest.param("member", [], [], 0, 0, id="T5-ticket-with-no-time-consumes-0"),
]


@pytest.mark.parametrize(("plan_id", "entries", "changes", "weighted_minutes", "consumption"), SCENARIOS)
def test_spec_scenarios(
    plan_id: str,
    entries: list[tuple[str, str, int]],
    changes: list[EmergencyChange],
    weighted_minutes: int,
    consumption: int,
) -> None:
    assert consume(plan_id, entries, changes) == (weighted_minutes, consumption)
