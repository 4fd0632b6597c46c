"""Local schedules (scripts/devstack/schedules.py): AWS cron and rate, DST, and the events AWS sends.

The fixture app (tests/fixtures/streams_app) has a month-end ScheduleV2 ``cron(5 0 1 * ? *)`` in
America/New_York with an Input, a weekday ScheduleV2 ``cron(0 9 ? * MON-FRI *)`` without one, and an
EventBridge rule ``rate(5 minutes)``; its consumer logs schedule events to CONSUMER_LOG.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devstack.lambda_runtime import FunctionSpec, functions
from devstack.schedules import Cron, ScheduleExpressionError, Scheduler, parse_expression
from devstack.template import load_template

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "streams_app"
NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 16, 14, 2, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def specs() -> dict[str, FunctionSpec]:
    return functions(load_template(FIXTURE / "template.yaml"), {}, root=FIXTURE)


@pytest.fixture
def scheduler(specs) -> Scheduler:
    return Scheduler(specs, anchor=T0)


@pytest.fixture
def consumer_log(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "consumer.jsonl"
    monkeypatch.setenv("CONSUMER_LOG", str(path))
    return path


def _logged_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line)["event"] for line in path.read_text().splitlines()]


def test_names(scheduler: Scheduler) -> None:
    assert sorted(scheduler.names()) == ["Heartbeat", "MonthEnd", "Weekdays"]
    assert scheduler.schedule("StreamsFixtureConsumer.MonthEnd") is scheduler.schedule("MonthEnd")
    with pytest.raises(KeyError):
        scheduler.schedule("Changes")  # the stream event is not a schedule


# ------------------------------------------------------------------------------------------ next_fire


def test_month_end_runs_at_five_past_midnight_new_york_time(scheduler: Scheduler) -> None:
    nxt = scheduler.next_fire("MonthEnd", datetime(2026, 11, 15, tzinfo=NY))
    assert nxt == datetime.fromisoformat("2026-12-01T00:05:00-05:00")
    assert nxt.utcoffset() == timedelta(hours=-5)  # EST, in the schedule's own timezone
    assert scheduler.next_fire("MonthEnd", nxt) == datetime.fromisoformat("2027-01-01T00:05:00-05:00")


def test_month_end_across_the_spring_forward(scheduler: Scheduler) -> None:
    # From midnight on 1 March the run that day is still ahead (00:05 EST) ...
    assert scheduler.next_fire("MonthEnd", datetime(2027, 3, 1, tzinfo=NY)) == datetime.fromisoformat(
        "2027-03-01T00:05:00-05:00"
    )
    # ... once it has passed, the next is 1 April, in daylight time (clocks moved on 14 March 2027).
    nxt = scheduler.next_fire("MonthEnd", datetime(2027, 3, 1, 0, 5, tzinfo=NY))
    assert nxt == datetime.fromisoformat("2027-04-01T00:05:00-04:00")
    assert nxt.astimezone(UTC) == datetime(2027, 4, 1, 4, 5, tzinfo=UTC)


def test_weekday_range(scheduler: Scheduler) -> None:
    moment = datetime(2026, 11, 19, 9, 0, tzinfo=NY)  # a Thursday at 09:00: that run is not "after"
    runs = []
    for _ in range(6):
        moment = scheduler.next_fire("Weekdays", moment)
        runs.append(moment)
    assert [r.strftime("%a %d %H:%M") for r in runs] == [
        "Fri 20 09:00",
        "Mon 23 09:00",
        "Tue 24 09:00",
        "Wed 25 09:00",
        "Thu 26 09:00",
        "Fri 27 09:00",
    ]
    assert all(r.utcoffset() == timedelta(hours=-5) for r in runs)


def test_rate_counts_from_the_anchor(scheduler: Scheduler) -> None:
    assert scheduler.next_fire("Heartbeat", T0) == T0 + timedelta(minutes=5)
    assert scheduler.next_fire("Heartbeat", T0 + timedelta(minutes=7)) == T0 + timedelta(minutes=10)
    assert scheduler.next_fire("Heartbeat", T0 + timedelta(minutes=10)) == T0 + timedelta(minutes=15)
    assert scheduler.next_fire("Heartbeat", T0 - timedelta(hours=1)) == T0


def test_naive_datetimes_are_refused(scheduler: Scheduler) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        scheduler.next_fire("MonthEnd", datetime(2026, 11, 15))


@pytest.mark.parametrize(
    ("expression", "tz", "after", "expected"),
    [
        # A time that does not exist when clocks spring forward is skipped (EventBridge Scheduler) ...
        ("30 2 * * ? *", "America/New_York", "2027-03-13T03:00:00-05:00", "2027-03-15T02:30:00-04:00"),
        # ... and one that happens twice when they fall back runs once, the first time.
        ("30 1 * * ? *", "America/New_York", "2026-10-31T12:00:00-04:00", "2026-11-01T01:30:00-04:00"),
        ("30 1 * * ? *", "America/New_York", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"),
        ("0/15 * * * ? *", "UTC", "2026-11-16T10:07:00+00:00", "2026-11-16T10:15:00+00:00"),
        ("0 12 L * ? *", "UTC", "2028-02-01T00:00:00+00:00", "2028-02-29T12:00:00+00:00"),  # last day, leap
        ("0 12 LW * ? *", "UTC", "2026-05-01T00:00:00+00:00", "2026-05-29T12:00:00+00:00"),  # 31st is a Sunday
        ("0 12 15W * ? *", "UTC", "2026-08-01T00:00:00+00:00", "2026-08-14T12:00:00+00:00"),  # 15th a Saturday
        ("0 12 ? * 6L *", "UTC", "2026-11-01T00:00:00+00:00", "2026-11-27T12:00:00+00:00"),  # last Friday
        ("0 12 ? * MON#1 *", "UTC", "2026-11-03T00:00:00+00:00", "2026-12-07T12:00:00+00:00"),  # first Monday
        ("0 8 1 JAN,JUL ? 2027-2028", "UTC", "2026-06-01T00:00:00+00:00", "2027-01-01T08:00:00+00:00"),
        ("0 8 1 JAN ? 2027", "UTC", "2027-01-01T08:00:00+00:00", None),
    ],
)
def test_cron(expression: str, tz: str, after: str, expected: str | None) -> None:
    nxt = Cron.parse(expression).next_after(datetime.fromisoformat(after), ZoneInfo(tz))
    if expected is None:
        assert nxt is None
        return
    # Compared as instants plus offsets: Python's == is always False for an aware datetime in a repeated
    # hour against one in another zone (PEP 495), which the fall-back case is.
    want = datetime.fromisoformat(expected)
    assert (nxt.astimezone(UTC), nxt.utcoffset()) == (want.astimezone(UTC), want.utcoffset())


@pytest.mark.parametrize(
    "expression",
    [
        "cron(5 0 1 * * *)",  # both day fields
        "cron(5 0 ? * ? *)",  # neither
        "cron(5 0 1 * ?)",  # five fields
        "cron(60 0 1 * ? *)",
        "cron(0 24 1 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * MON#6 *)",
        "rate(1 minutes)",  # AWS: singular for 1
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 seconds)",
        "every 5 minutes",
    ],
)
def test_expressions_aws_refuses(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_expression(expression)


# ------------------------------------------------------------------------------------------ fire


def test_fire_a_schedule_v2_with_input_passes_the_input_as_the_event(scheduler: Scheduler, consumer_log) -> None:
    result = scheduler.fire("MonthEnd", datetime(2026, 12, 1, 0, 5, tzinfo=NY))
    assert _logged_events(consumer_log) == [{"job": "month-end"}]
    assert result == {"scheduled": None}
    assert scheduler.history[-1].name == "StreamsFixtureConsumer.MonthEnd" and scheduler.history[-1].ok


def test_fire_a_rule_sends_eventbridges_scheduled_event(scheduler: Scheduler, consumer_log) -> None:
    at = datetime(2026, 12, 1, 0, 5, 0, tzinfo=NY)
    result = scheduler.fire("StreamsFixtureConsumer.Heartbeat", at)
    (event,) = _logged_events(consumer_log)
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert event["version"] == "0"
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == "000000000000"
    assert event["time"] == "2026-12-01T05:05:00Z"  # the scheduled time, in UTC
    assert event["region"] == "us-east-1"
    assert event["resources"] == ["arn:aws:events:us-east-1:000000000000:rule/StreamsFixtureConsumerHeartbeat"]
    assert event["detail"] == {}
    assert len(event["id"]) == 36
    assert result == {"scheduled": "2026-12-01T05:05:00Z"}


def test_fire_a_schedule_v2_without_input_sends_the_schedulers_default(scheduler: Scheduler, consumer_log) -> None:
    scheduler.fire("Weekdays", datetime(2026, 11, 20, 9, 0, tzinfo=NY))
    (event,) = _logged_events(consumer_log)
    assert event["source"] == "aws.scheduler"
    assert event["detail-type"] == "Scheduled Event"
    assert event["time"] == "2026-11-20T14:00:00Z"
    assert event["resources"] == [
        "arn:aws:scheduler:us-east-1:000000000000:schedule/default/StreamsFixtureConsumerWeekdays"
    ]
    assert event["detail"] == "{}"  # a string, as EventBridge Scheduler sends it


def test_the_background_thread_fires_each_schedule_on_its_clock(specs, consumer_log) -> None:
    now = [T0]
    lock = threading.Lock()

    def clock() -> datetime:
        with lock:
            return now[0]

    fired = threading.Event()
    scheduler = Scheduler(specs, anchor=T0, clock=clock, tick=0.01, on_fire=lambda f: fired.set())
    scheduler.start()
    try:
        assert not fired.wait(0.1)  # nothing is due at the start
        with lock:
            now[0] = T0 + timedelta(minutes=5, seconds=1)
        assert fired.wait(5)
    finally:
        scheduler.stop()
    assert [(f.name, f.at, f.ok) for f in scheduler.history] == [
        ("StreamsFixtureConsumer.Heartbeat", T0 + timedelta(minutes=5), True)
    ]
    (event,) = _logged_events(consumer_log)
    assert event["time"] == "2026-11-16T14:07:30Z"


def test_disabled_schedules_do_not_run_on_the_clock(specs) -> None:
    template = load_template(FIXTURE / "template.yaml")
    template["Resources"]["StreamsFixtureConsumer"]["Properties"]["Events"]["Heartbeat"]["Properties"]["Enabled"] = (
        False
    )
    scheduler = Scheduler(functions(template, {}, root=FIXTURE), anchor=T0)
    assert not scheduler.schedule("Heartbeat").enabled
    assert scheduler.schedule("MonthEnd").enabled
