"""SPEC S1 as tables: the first-response due time (a pure rule) and the SLA status.

Targets come from the shipped catalogue (urgent 60 business minutes on the company calendar, normal and
low 24 wall-clock hours, business_priority 4 business hours on Mon-Fri 09:00-17:00). The company calendar
is the template's default (Mon-Fri 08:30-17:30, America/New_York, holidays 2026-12-25 and 2027-01-01).
Local times are written "YYYY-MM-DD HH:MM" in the row's timezone; Tue 2026-12-01 is the reference day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hourbank.plans.catalogue import catalogue
from hourbank.plans.response_targets import ServiceLevels
from hourbank.rating.calendar import BusinessCalendar
from hourbank.rating.response_due import Pause, ResponseClock, response_due, sla_status

pytestmark = pytest.mark.unit

COMPANY_HOURS = "Mon-Fri 08:30-17:30"
HOLIDAYS = frozenset({date(2026, 12, 25), date(2027, 1, 1)})
NY = "America/New_York"


def clock_for(plan: str, priority: str, tz: str = NY) -> ResponseClock:
    levels = catalogue().service_levels
    target = levels.target(plan, priority)
    calendar = BusinessCalendar.build(tz, levels.business_hours(target, COMPANY_HOURS), HOLIDAYS)
    return ResponseClock(target.minutes, target.clock, calendar)


def t(text: str, tz: str = NY) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


# (case, plan, priority, opened, expected due) - no pauses
TABLE = [
    ("S1 urgent inside business hours", "member", "urgent", "2026-12-01 10:00", "2026-12-01 11:00"),
    ("S1 urgent across the night", "member", "urgent", "2026-12-01 17:00", "2026-12-02 09:00"),
    ("S1 urgent opened at night", "member", "urgent", "2026-12-01 22:00", "2026-12-02 09:30"),
    ("S1 urgent opened before opening time", "non_member", "urgent", "2026-12-01 06:15", "2026-12-01 09:30"),
    ("S1 urgent opened on a Saturday", "member", "urgent", "2026-12-05 10:00", "2026-12-07 09:30"),
    ("S1 urgent across the weekend", "unlimited_remote", "urgent", "2026-12-04 17:00", "2026-12-07 09:00"),
    (
        "S1 urgent across Christmas (holiday) and the weekend",
        "member",
        "urgent",
        "2026-12-24 17:00",
        "2026-12-28 09:00",
    ),
    ("S1 urgent across New Year's Day (holiday)", "member", "urgent", "2026-12-31 17:15", "2027-01-04 09:15"),
    (
        "S1 urgent across the spring-forward weekend (EST -> EDT)",
        "member",
        "urgent",
        "2027-03-12 17:00",
        "2027-03-15 09:00",
    ),
    ("S1 urgent across the fall-back weekend (EDT -> EST)", "member", "urgent", "2026-10-30 17:00", "2026-11-02 09:00"),
    ("S1 normal is 24 wall-clock hours", "member", "normal", "2026-12-01 10:00", "2026-12-02 10:00"),
    ("S1 low is 24 wall-clock hours, weekends count", "non_member", "low", "2026-12-05 10:00", "2026-12-06 10:00"),
    ("S1 normal across the fall-back night: 24 real hours", "member", "normal", "2026-10-31 12:00", "2026-11-01 11:00"),
    (
        "S1 normal across the spring-forward night: 24 real hours",
        "member",
        "normal",
        "2027-03-13 12:00",
        "2027-03-14 13:00",
    ),
    (
        "S1 business_priority 4 business hours, same day",
        "business_priority",
        "normal",
        "2026-12-01 10:00",
        "2026-12-01 14:00",
    ),
    (
        "S1 business_priority across the night (09:00-17:00 calendar)",
        "business_priority",
        "low",
        "2026-12-01 15:00",
        "2026-12-02 11:00",
    ),
    (
        "S1 business_priority opened 08:45: its calendar starts at 09:00",
        "business_priority",
        "urgent",
        "2026-12-01 08:45",
        "2026-12-01 13:00",
    ),
    (
        "S1 business_priority Friday afternoon to Monday",
        "business_priority",
        "normal",
        "2026-12-04 16:00",
        "2026-12-07 12:00",
    ),
    ("S1 business_priority across Christmas", "business_priority", "normal", "2026-12-24 15:00", "2026-12-28 11:00"),
    (
        "S1 business_priority across spring-forward",
        "business_priority",
        "normal",
        "2027-03-12 16:30",
        "2027-03-15 12:30",
    ),
]


@pytest.mark.parametrize(("case", "plan", "priority", "opened", "due"), TABLE, ids=[r[0] for r in TABLE])
def test_S1_response_due(case: str, plan: str, priority: str, opened: str, due: str) -> None:
    got = response_due(t(opened), clock_for(plan, priority))
    assert got == t(due), f"{case}: {got.astimezone(ZoneInfo(NY)) if got else None}"


def test_S1_due_times_across_DST_are_real_instants() -> None:
    # Friday 17:00 EST is 22:00Z; the due Monday 09:00 is EDT, 13:00Z (not 14:00Z): the offset moved.
    got = response_due(t("2027-03-12 17:00"), clock_for("member", "urgent"))
    assert got.astimezone(UTC) == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
    got = response_due(t("2026-10-30 17:00"), clock_for("member", "urgent"))
    assert got.astimezone(UTC) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "opened", "due"),
    [
        ("Europe/London", "2026-12-01 16:00", "2026-12-02 12:00"),
        ("Australia/Sydney", "2026-12-04 16:30", "2026-12-07 12:30"),
        ("Europe/London", "2027-03-26 16:00", "2027-03-29 12:00"),  # BST starts Sun 2027-03-28
    ],
)
def test_S1_calendar_is_in_the_accounts_timezone(tz: str, opened: str, due: str) -> None:
    assert response_due(t(opened, tz), clock_for("business_priority", "normal", tz)) == t(due, tz)


# (case, plan, priority, opened, pauses [(start, end|None)], first response, expected due or None)
PAUSES = [
    (
        "S1 pause inside business hours moves the due by the pause",
        "member",
        "urgent",
        "2026-12-01 10:00",
        [("2026-12-01 10:20", "2026-12-01 14:00")],
        None,
        "2026-12-01 14:40",
    ),
    (
        "S1 pause across the night moves it by business time only",
        "member",
        "urgent",
        "2026-12-01 17:00",
        [("2026-12-01 17:10", "2026-12-02 10:00")],
        None,
        "2026-12-02 10:50",
    ),
    (
        "S1 pause entirely at night changes nothing",
        "member",
        "urgent",
        "2026-12-01 17:00",
        [("2026-12-01 19:00", "2026-12-02 07:00")],
        None,
        "2026-12-02 09:00",
    ),
    (
        "S1 two pauses",
        "member",
        "urgent",
        "2026-12-01 10:00",
        [("2026-12-01 10:10", "2026-12-01 10:40"), ("2026-12-01 11:00", "2026-12-01 12:00")],
        None,
        "2026-12-01 12:30",
    ),
    (
        "S1 still waiting: the due time is unknown",
        "member",
        "urgent",
        "2026-12-01 10:00",
        [("2026-12-01 10:20", None)],
        None,
        None,
    ),
    (
        "S1 waiting after it fell due: the due time stays (breached)",
        "member",
        "urgent",
        "2026-12-01 10:00",
        [("2026-12-01 12:00", None)],
        None,
        "2026-12-01 11:00",
    ),
    (
        "S1 wall-clock pause moves the due by real time",
        "member",
        "normal",
        "2026-12-01 10:00",
        [("2026-12-01 11:00", "2026-12-01 13:00")],
        None,
        "2026-12-02 12:00",
    ),
    (
        "S1 business_priority pause over a weekend counts only its business time",
        "business_priority",
        "normal",
        "2026-12-04 15:00",
        [("2026-12-04 16:00", "2026-12-07 10:00")],
        None,
        "2026-12-07 13:00",
    ),
    (
        "S1 answered while waiting: the pause ends at the answer",
        "member",
        "urgent",
        "2026-12-01 10:00",
        [("2026-12-01 10:30", None)],
        "2026-12-01 12:00",
        "2026-12-01 12:30",
    ),
    (
        "S1 waiting after the answer does not move the due time",
        "member",
        "urgent",
        "2026-12-01 10:00",
        [("2026-12-01 10:45", "2026-12-01 15:00")],
        "2026-12-01 10:30",
        "2026-12-01 11:00",
    ),
]


@pytest.mark.parametrize(
    ("case", "plan", "priority", "opened", "pauses", "answered", "due"), PAUSES, ids=[r[0] for r in PAUSES]
)
def test_S1_pauses(case, plan, priority, opened, pauses, answered, due) -> None:
    got = response_due(
        t(opened),
        clock_for(plan, priority),
        [Pause(t(a), t(b) if b else None) for a, b in pauses],
        t(answered) if answered else None,
    )
    assert got == (t(due) if due else None), case


# S1 priority changed after opening: the due time is recomputed from the opening with the new target,
# whatever time the change is made.
PRIORITY_CHANGES = [
    ("S1 normal -> urgent", "normal", "urgent", "2026-12-01 10:00", "2026-12-01 11:00"),
    ("S1 urgent -> low", "urgent", "low", "2026-12-01 10:00", "2026-12-02 10:00"),
    ("S1 low -> urgent, opened at night", "low", "urgent", "2026-12-01 22:00", "2026-12-02 09:30"),
]


@pytest.mark.parametrize(
    ("case", "before", "after", "opened", "due"), PRIORITY_CHANGES, ids=[r[0] for r in PRIORITY_CHANGES]
)
def test_S1_priority_change_recomputes_from_the_opening(case, before, after, opened, due) -> None:
    first = response_due(t(opened), clock_for("member", before))
    assert first != t(due)
    assert response_due(t(opened), clock_for("member", after)) == t(due)


STATUS = [
    ("S1 answered before the due time: met", "2026-12-01 10:59", "2026-12-01 11:00", "2026-12-01 12:00", "met"),
    ("S1 answered at the due time: met", "2026-12-01 11:00", "2026-12-01 11:00", "2026-12-01 12:00", "met"),
    ("S1 answered after it: breached", "2026-12-01 11:01", "2026-12-01 11:00", "2026-12-01 12:00", "breached"),
    ("S1 unanswered, not yet due: pending", None, "2026-12-01 11:00", "2026-12-01 10:59", "pending"),
    ("S1 unanswered past the due time: breached", None, "2026-12-01 11:00", "2026-12-01 11:01", "breached"),
    ("S1 waiting on the customer: paused", None, None, "2026-12-01 11:01", "paused"),
]


@pytest.mark.parametrize(("case", "answered", "due", "now", "status"), STATUS, ids=[r[0] for r in STATUS])
def test_S1_status(case, answered, due, now, status) -> None:
    assert sla_status(t(due) if due else None, t(answered) if answered else None, t(now)) == status


@settings(max_examples=150, deadline=None)
@given(
    opened=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1)),
    pause_at=st.integers(1, 3000),
    pause_for=st.integers(0, 5000),
    priority=st.sampled_from(["urgent", "normal"]),
    plan=st.sampled_from(["member", "business_priority"]),
)
def test_S1_a_pause_moves_the_due_by_exactly_the_counted_time_waited(
    opened, pause_at, pause_for, priority, plan
) -> None:
    clock = clock_for(plan, priority)
    start = opened.replace(tzinfo=ZoneInfo(NY)).astimezone(UTC)
    due = response_due(start, clock)
    assert clock.counted(start, due) == timedelta(minutes=clock.minutes)
    p0 = start + timedelta(minutes=pause_at)
    p1 = p0 + timedelta(minutes=pause_for)
    moved = response_due(start, clock, [Pause(p0, p1)])
    if due <= p0:
        assert moved == due
    else:
        assert clock.counted(start, moved) - clock.counted(p0, p1) == timedelta(minutes=clock.minutes)


def test_S1_catalogue_validates_its_targets() -> None:
    raw = catalogue().service_levels.model_dump()
    raw["plans"]["member"] = {"urgent": {"minutes": 30, "clock": "business", "calendar": "nowhere"}}
    with pytest.raises(ValidationError, match="nowhere"):
        ServiceLevels.model_validate(raw)
    raw = catalogue().service_levels.model_dump()
    del raw["default"]["low"]
    with pytest.raises(ValidationError, match="each of"):
        ServiceLevels.model_validate(raw)


def test_S1_a_waiting_ticket_sorts_after_every_due_time_in_the_queue() -> None:
    from hourbank.tickets.service_levels import queue_key

    waiting = queue_key(None, "2026-11-24T15:00:00+00:00")
    for due in (datetime(2000, 1, 1, tzinfo=UTC), datetime(2099, 12, 31, 23, 59, tzinfo=UTC)):
        assert queue_key(due, None) < waiting
    assert queue_key(None, "2026-11-24T15:00:00+00:00") < queue_key(None, "2026-11-25T15:00:00+00:00")
