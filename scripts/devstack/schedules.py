"""Scheduled invocations, run locally the way EventBridge rules and EventBridge Scheduler run them.

Every ``Type: Schedule`` (an EventBridge rule, always UTC) and ``Type: ScheduleV2`` (EventBridge Scheduler,
in ``ScheduleExpressionTimezone``) event of the template's functions becomes a schedule that can be

* fired by hand: ``Scheduler(specs).fire("MonthEnd", at=datetime(...))`` invokes the function, through
  ``lambda_runtime.invoke``, with the event AWS would send at that moment;
* asked when it runs next: ``next_fire(name, after)``, with AWS's cron dialect and rate expressions;
* run on its own clock while the local stack runs: ``start()`` / ``stop()``.

Events, as AWS sends them to a Lambda target:

* ``Schedule``: the "Scheduled Event" of EventBridge (source ``aws.events``, ``detail`` ``{}``, the rule's
  ARN in ``resources``), or the rule's ``Input`` parsed as the whole event;
* ``ScheduleV2``: ``Input`` parsed as the whole event (a Lambda target needs well-formed JSON), else the
  Scheduler's default notification (source ``aws.scheduler``, ``detail`` the *string* ``"{}"``).
``time`` is the scheduled time (``at``) in UTC, ``YYYY-MM-DDTHH:MM:SSZ``.

AWS cron: six fields ``minutes hours day-of-month month day-of-week year``; ``, - * /`` everywhere, ``?``
in exactly one of the two day fields, ``L`` and ``W`` (``L``, ``LW``, ``15W``) in day-of-month, ``L`` and
``#`` (``6L`` the last Friday, ``2#1`` the first Monday) in day-of-week, which counts 1 = SUN .. 7 = SAT.
Daylight saving time as EventBridge Scheduler documents it: a time that does not exist on the day clocks
spring forward is skipped; a time that happens twice when they fall back runs once (the first).

Rates: ``rate(N minute[s]|hour[s]|day[s])`` (singular for 1, plural otherwise, as AWS insists), fixed
durations (a day is 24 h) counted from ``StartDate`` when the schedule has one, else from the Scheduler's
``anchor`` (its creation). Locally the first run is one interval after the anchor; AWS runs a new rate
schedule right away.
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from devstack.lambda_runtime import FunctionSpec, invoke

log = logging.getLogger("localstack.schedules")

ACCOUNT = "000000000000"
MAX_YEAR = 2199
_MISSED_AFTER = timedelta(seconds=60)  # a run later than this (a suspended laptop) is skipped, not caught up
_MAX_WAIT_S = 1.0

_MONTHS = {
    name: i
    for i, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


class ScheduleExpressionError(ValueError):
    """An expression EventBridge would refuse."""


# ------------------------------------------------------------------------------------------- expressions


def _number(token: str, names: Mapping[str, int] | None, where: str) -> int:
    if names and token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ScheduleExpressionError(f"{where}: {token!r} is not a number{' or a name' if names else ''}")
    return int(token)


def _parse_values(text: str, lo: int, hi: int, where: str, names: Mapping[str, int] | None = None) -> set[int]:
    """``, - * /`` of one field into the set of values it allows."""
    out: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleExpressionError(f"{where}: empty item in {text!r}")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            step = _number(step_text, None, where)
            if step < 1:
                raise ScheduleExpressionError(f"{where}: step must be at least 1 in {item!r}")
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, names, where), _number(last, names, where)
            if start > end:
                raise ScheduleExpressionError(f"{where}: range {base!r} runs backwards")
        else:
            start = _number(base, names, where)
            end = hi if step_text else start
        if not (lo <= start <= hi and lo <= end <= hi):
            raise ScheduleExpressionError(f"{where}: {item!r} is outside {lo}-{hi}")
        out.update(range(start, end + 1, step))
    return out


def _aws_weekday(day: date) -> int:
    """1 = Sunday .. 7 = Saturday, as AWS cron counts."""
    return (day.weekday() + 1) % 7 + 1


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _nearest_weekday(year: int, month: int, dom: int) -> int | None:
    """``nW``: the weekday nearest to day n, never leaving the month (None if n is past its end)."""
    last = _last_day(year, month)
    if dom > last:
        return None
    weekday = date(year, month, dom).weekday()  # Mon=0 .. Sun=6
    if weekday == 5:  # Saturday → Friday, or Monday when the 1st is a Saturday
        return dom - 1 if dom > 1 else dom + 2
    if weekday == 6:  # Sunday → Monday, or Friday when Sunday is the last day
        return dom + 1 if dom < last else dom - 2
    return dom


@dataclass(frozen=True)
class Cron:
    """An AWS cron expression (the inside of ``cron(...)``)."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    dom: tuple[str, ...] | None  # None: "?"
    dow: tuple[str, ...] | None

    @classmethod
    def parse(cls, text: str) -> Cron:
        fields = text.split()
        if len(fields) != 6:
            raise ScheduleExpressionError(
                f"cron({text}): needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
            )
        minutes, hours, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ScheduleExpressionError(f"cron({text}): exactly one of day-of-month and day-of-week must be ?")
        cron = cls(
            text=text,
            minutes=frozenset(_parse_values(minutes, 0, 59, "minutes")),
            hours=frozenset(_parse_values(hours, 0, 23, "hours")),
            months=frozenset(_parse_values(month, 1, 12, "month", _MONTHS)),
            years=frozenset(_parse_values(year, 1970, MAX_YEAR, "year")),
            dom=None if dom == "?" else tuple(dom.upper().split(",")),
            dow=None if dow == "?" else tuple(dow.upper().split(",")),
        )
        cron._check_days()
        return cron

    def _check_days(self) -> None:
        # Evaluating every item once on a sample month validates the syntax of the day fields.
        sample = date(2024, 2, 1)
        for item in self.dom or ():
            self._dom_item(item, sample)
        for item in self.dow or ():
            self._dow_item(item, sample)

    @staticmethod
    def _dom_item(item: str, day: date) -> bool:
        last = _last_day(day.year, day.month)
        if item == "L":
            return day.day == last
        if item == "LW":
            return day.day == _nearest_weekday(day.year, day.month, last)
        if item.endswith("W") and item[:-1].isdigit():
            n = int(item[:-1])
            if not 1 <= n <= 31:
                raise ScheduleExpressionError(f"day-of-month: {item!r} is outside 1-31")
            return day.day == _nearest_weekday(day.year, day.month, n)
        return day.day in _parse_values(item, 1, 31, "day-of-month")

    @staticmethod
    def _dow_item(item: str, day: date) -> bool:
        weekday = _aws_weekday(day)
        if item == "L":  # alone in day-of-week: the last day of the week, Saturday
            return weekday == 7
        if "#" in item:
            which, _, nth = item.partition("#")
            target = _number(which, _DAYS, "day-of-week")
            if not (1 <= target <= 7 and nth.isdigit() and 1 <= int(nth) <= 5):
                raise ScheduleExpressionError(f"day-of-week: {item!r} is not DAY#1..5")
            return weekday == target and (day.day - 1) // 7 + 1 == int(nth)
        if item.endswith("L") and len(item) > 1:
            target = _number(item[:-1], _DAYS, "day-of-week")
            if not 1 <= target <= 7:
                raise ScheduleExpressionError(f"day-of-week: {item!r} is outside 1-7")
            return weekday == target and day.day + 7 > _last_day(day.year, day.month)
        return weekday in _parse_values(item, 1, 7, "day-of-week", _DAYS)

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.dom is not None:
            return any(self._dom_item(item, day) for item in self.dom)
        return any(self._dow_item(item, day) for item in self.dow or ())

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first run strictly after ``after``, as an aware datetime in ``tz``; None if there is none."""
        after_utc = after.astimezone(UTC)
        day = after.astimezone(tz).date()
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        while day.year <= MAX_YEAR:
            if day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day = date(min(later), 1, 1)
                continue
            if day.month not in self.months:
                day = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
                continue
            if self.day_matches(day):
                for hour in hours:
                    for minute in minutes:
                        wall = datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001 (wall time)
                        moment = wall.replace(tzinfo=tz)  # fold=0: the first of a repeated hour
                        if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
                            continue  # does not exist: clocks sprang forward over it
                        if moment.astimezone(UTC) > after_utc:
                            return moment
            day += timedelta(days=1)
        return None


_RATE = re.compile(r"^(\d+)\s+(minute|minutes|hour|hours|day|days)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(text: str) -> timedelta:
    """The inside of ``rate(...)``: ``1 minute``, ``5 minutes``, ``2 hours``, ``1 day``."""
    match = _RATE.match(text.strip())
    if not match:
        raise ScheduleExpressionError(f"rate({text}): expected rate(N minute(s)|hour(s)|day(s))")
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        raise ScheduleExpressionError(f"rate({text}): the value must be positive")
    if (value == 1) != (not unit.endswith("s")):
        raise ScheduleExpressionError(f"rate({text}): AWS wants a singular unit for 1 and plural otherwise")
    return timedelta(seconds=value * _UNITS[unit.rstrip("s")])


def parse_expression(expression: str) -> Cron | timedelta:
    text = expression.strip()
    if text.startswith("cron(") and text.endswith(")"):
        return Cron.parse(text[5:-1].strip())
    if text.startswith("rate(") and text.endswith(")"):
        return parse_rate(text[5:-1])
    raise ScheduleExpressionError(f"{expression!r}: expected cron(...) or rate(...)")


# ------------------------------------------------------------------------------------------- schedules


def _parse_time(value: Any, tz: ZoneInfo, where: str) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Schedule:
    """One Schedule or ScheduleV2 event of a function."""

    function: str
    event: str
    kind: str  # "Schedule" (EventBridge rule) or "ScheduleV2" (EventBridge Scheduler)
    expression: str
    when: Cron | timedelta = field(repr=False)
    timezone: ZoneInfo
    input: Any  # the parsed Input, or None
    enabled: bool
    resource_name: str
    group: str = "default"
    start_date: datetime | None = None
    end_date: datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.function}.{self.event}"

    def arn(self, region: str) -> str:
        if self.kind == "Schedule":
            return f"arn:aws:events:{region}:{ACCOUNT}:rule/{self.resource_name}"
        return f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/{self.group}/{self.resource_name}"


def _enabled(props: Mapping[str, Any], where: str) -> bool:
    """Schedule: ``Enabled`` (and ``State``); ScheduleV2: ``State``. Both default to enabled."""
    enabled = props.get("Enabled", True)
    if enabled not in (True, False):
        raise ValueError(f"{where}: Enabled must be true or false, got {enabled!r}")
    state = str(props.get("State", "ENABLED"))
    if state not in ("ENABLED", "DISABLED"):
        raise ValueError(f"{where}: State must be ENABLED or DISABLED, got {state!r}")
    return bool(enabled) and state == "ENABLED"


def _parse_input(value: Any, where: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}: Input must be a JSON string")
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: Input is not well-formed JSON ({exc}); a Lambda target needs JSON") from exc


def schedules_of(spec: FunctionSpec) -> list[Schedule]:
    out = []
    for event_name, event in (spec.events or {}).items():
        if not isinstance(event, Mapping) or event.get("Type") not in ("Schedule", "ScheduleV2"):
            continue
        kind = event["Type"]
        props = event.get("Properties") or {}
        where = f"{spec.logical_id}.{event_name}"
        if kind == "Schedule":
            for unsupported in ("InputPath", "InputTransformer"):
                if unsupported in props:
                    raise ValueError(f"{where}: {unsupported} is not emulated locally")
            expression, tz_name = props.get("Schedule"), "UTC"  # rules run in UTC, always
        else:
            expression, tz_name = props.get("ScheduleExpression"), props.get("ScheduleExpressionTimezone", "UTC")
            if isinstance(tz_name, Mapping):  # !Ref CompanyTimezone: the parameter's local value
                from devstack.refs import local_refs, resolve
                from devstack.template import load_template

                tz_name = resolve(tz_name, local_refs(load_template(), {}))
        if not isinstance(expression, str):
            raise ValueError(f"{where}: no schedule expression")
        if expression.startswith("at("):
            raise ValueError(f"{where}: one-time at(...) schedules are not emulated locally")
        try:
            tz = ZoneInfo(str(tz_name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{where}: unknown ScheduleExpressionTimezone {tz_name!r}") from exc
        try:
            when = parse_expression(expression)
        except ScheduleExpressionError as exc:
            raise ScheduleExpressionError(f"{where}: {exc}") from exc
        out.append(
            Schedule(
                function=spec.logical_id,
                event=event_name,
                kind=kind,
                expression=expression,
                when=when,
                timezone=tz,
                input=_parse_input(props.get("Input"), where),
                enabled=_enabled(props, where),
                resource_name=str(props.get("Name") or f"{spec.logical_id}{event_name}"),
                group=str(props.get("GroupName") or "default"),
                start_date=_parse_time(props.get("StartDate"), tz, where),
                end_date=_parse_time(props.get("EndDate"), tz, where),
            )
        )
    return out


@dataclass(frozen=True)
class Fired:
    name: str
    at: datetime
    ok: bool
    result: Any = None
    error: str | None = None


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got {moment!r})")
    return moment


class Scheduler:
    """The template's schedules: fire one by hand, ask when one runs next, or run them all on a thread."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec] | Iterable[FunctionSpec],
        *,
        anchor: datetime | None = None,
        region: str | None = None,
        on_fire: Callable[[Fired], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        tick: float = _MAX_WAIT_S,
        template: Mapping[str, Any] | None = None,
    ) -> None:
        """``template``: where the functions' ``EventInvokeConfig`` is read (default: the repository's)."""
        self._template = template
        spec_list = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
        self.specs = {spec.logical_id: spec for spec in spec_list}
        self.schedules: dict[str, Schedule] = {}
        for spec in spec_list:
            for schedule in schedules_of(spec):
                self.schedules[schedule.name] = schedule
        self._clock = clock or (lambda: datetime.now(UTC))
        self.anchor = _aware(anchor, "anchor") if anchor is not None else self._clock()
        self.region = region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        self.on_fire = on_fire
        self.tick = tick
        self.history: list[Fired] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- names

    def names(self) -> list[str]:
        """Each schedule by its event's name, or ``Function.Event`` where two functions share one."""
        counts: dict[str, int] = {}
        for schedule in self.schedules.values():
            counts[schedule.event] = counts.get(schedule.event, 0) + 1
        return [s.event if counts[s.event] == 1 else s.name for s in self.schedules.values()]

    def schedule(self, name: str) -> Schedule:
        if name in self.schedules:
            return self.schedules[name]
        found = [s for s in self.schedules.values() if s.event == name]
        if len(found) == 1:
            return found[0]
        if not found:
            raise KeyError(f"no schedule {name!r} (have {self.names()})")
        raise KeyError(f"{name!r} is ambiguous: use one of {[s.name for s in found]}")

    # -- when

    def next_fire(self, name: str, after: datetime) -> datetime | None:
        """The first run strictly after ``after`` (aware), in the schedule's timezone; None if it never runs
        again (EndDate passed, or a cron year range that ended)."""
        schedule = self.schedule(name)
        after = _aware(after, "after")
        if schedule.start_date is not None and after < schedule.start_date:
            after = schedule.start_date - timedelta(microseconds=1)
        if isinstance(schedule.when, Cron):
            moment = schedule.when.next_after(after, schedule.timezone)
        else:
            origin = schedule.start_date or self.anchor
            interval = schedule.when
            if after < origin:
                moment = origin
            else:
                steps = (after - origin) // interval + 1
                moment = origin + steps * interval
            moment = moment.astimezone(schedule.timezone)
        if moment is not None and schedule.end_date is not None and moment > schedule.end_date:
            return None
        return moment

    # -- what

    def event_for(self, name: str, at: datetime) -> Any:
        """The event AWS would send to the function for the run at ``at``."""
        schedule = self.schedule(name)
        at = _aware(at, "at")
        if schedule.input is not None:
            return json.loads(json.dumps(schedule.input))  # a fresh copy per run
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events" if schedule.kind == "Schedule" else "aws.scheduler",
            "account": ACCOUNT,
            "time": _utc_text(at),
            "region": self.region,
            "resources": [schedule.arn(self.region)],
            "detail": {} if schedule.kind == "Schedule" else "{}",
        }

    def fire(self, name: str, at: datetime) -> Any:
        """Invoke the schedule's function as AWS would at ``at``; returns what the handler returned.
        Raises lambda_runtime.InvocationError if it raised."""
        schedule = self.schedule(name)
        event = self.event_for(name, at)
        try:
            result = invoke(self.specs[schedule.function], event, source="schedule")
        except Exception as exc:
            self._record(Fired(schedule.name, at, ok=False, error=str(exc)))
            raise
        self._record(Fired(schedule.name, at, ok=True, result=result))
        return result

    def run(self, name: str, at: datetime) -> Fired:
        """The run at ``at`` as AWS makes it: the Scheduler invokes the function asynchronously, Lambda retries a
        failed run ``EventInvokeConfig.MaximumRetryAttempts`` times (default 2) and then sends its on-failure
        record - the run's event as ``requestPayload`` - to ``DestinationConfig.OnFailure`` (a queue is a
        directory locally), where ``python -m ops.redrive async`` replays it. Never retried forever."""
        schedule = self.schedule(name)
        config = self._invoke_config(schedule.function)
        event = self.event_for(name, at)
        attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
        error: Exception | None = None
        for _ in range(attempts):
            try:
                result = invoke(self.specs[schedule.function], json.loads(json.dumps(event)), source="schedule")
            except Exception as exc:
                error = exc
                continue
            fired = Fired(schedule.name, at, ok=True, result=result)
            self._record(fired)
            return fired
        fired = Fired(schedule.name, at, ok=False, error=str(error))
        self._record(fired)
        self._park(schedule.function, config, event, error, attempts)
        return fired

    def _invoke_config(self, function: str) -> dict:
        from devstack.template import load_template

        template = self._template if self._template is not None else load_template()
        resource = (template.get("Resources") or {}).get(function) or {}
        return dict((resource.get("Properties") or {}).get("EventInvokeConfig") or {})

    def _park(self, function: str, config: Mapping, event: Any, error: Exception | None, attempts: int) -> None:
        target = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if not target:
            log.warning(
                "schedule run of %s failed %d times and has no on-failure destination: dropped", function, attempts
            )
            return
        from devstack.adapters import send_to_directory
        from devstack.refs import local_refs
        from devstack.template import load_template

        queue = target["Fn::GetAtt"][0] if isinstance(target, Mapping) and "Fn::GetAtt" in target else None
        template = self._template if self._template is not None else load_template()
        url = local_refs(template, {}).get(queue or "")
        if not url or not url.startswith("file:"):
            raise ValueError(f"{function}: the on-failure destination {target!r} is not a queue of this template")
        record = {  # Lambda's on-failure record for an asynchronous invocation (AWS Lambda developer guide)
            "version": "1.0",
            "timestamp": _utc_text(datetime.now(UTC)),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{function}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)},
        }
        send_to_directory(url, [json.dumps(record)])
        log.warning("schedule run of %s failed %d times: parked in %s", function, attempts, queue)

    def _record(self, fired: Fired) -> None:
        self.history.append(fired)
        if self.on_fire is not None:
            try:
                self.on_fire(fired)
            except Exception:
                log.exception("on_fire callback failed")

    # -- on a clock

    def start(self) -> None:
        """Fire every enabled schedule at its times, on a background thread, until ``stop()``."""
        if self._thread is not None:
            raise RuntimeError("the scheduler is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        started = self._clock()
        due: dict[str, datetime | None] = {
            s.name: self.next_fire(s.name, started) for s in self.schedules.values() if s.enabled
        }
        for name, moment in due.items():
            log.info("schedule %s next at %s", name, moment.isoformat() if moment else "never")
        while not self._stop.is_set():
            now = self._clock()
            for name, moment in list(due.items()):
                if moment is None or moment > now:
                    continue
                if now - moment > _MISSED_AFTER:
                    log.warning("schedule %s missed its run at %s; skipping to the next", name, moment.isoformat())
                    due[name] = self.next_fire(name, now)
                    continue
                try:
                    fired = self.run(name, moment)  # retried, then parked in its on-failure queue
                    if not fired.ok:
                        log.warning("schedule %s at %s failed: %s", name, moment.isoformat(), fired.error)
                except Exception as exc:
                    log.warning("schedule %s at %s failed: %s", name, moment.isoformat(), exc)
                due[name] = self.next_fire(name, moment)
            upcoming = [m for m in due.values() if m is not None]
            wait = self.tick
            if upcoming:
                wait = min(wait, max(0.0, (min(upcoming) - self._clock()).total_seconds()))
            self._stop.wait(wait)
