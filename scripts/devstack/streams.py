"""DynamoDB stream event sources, run in this process the way Lambda's event source mappings run them.

Every ``Type: DynamoDB`` event of the template's functions gets a ``Poller``: it reads the table's stream on
DynamoDB Local (DescribeStream → GetShardIterator → GetRecords), turns stream records into the event Lambda
would send, and invokes the function through ``lambda_runtime.invoke`` with Lambda's contract:

* shards are read one after the other along their lineage (a child only once its parent is drained), and
  each shard strictly in order: nothing after a failing batch is delivered until that batch is resolved;
* ``FilterCriteria``: a record is delivered if it matches *any* filter; the others are dropped and
  checkpointed past, as Lambda does (they never reach the function and are never retried);
* the handler raises → the whole batch failed: retried (``MaximumRetryAttempts``) or, with
  ``BisectBatchOnFunctionError``, split in halves and each half retried on its own;
* with ``FunctionResponseTypes: [ReportBatchItemFailures]`` a response ``{"batchItemFailures": [...]}``
  checkpoints before the lowest failed sequence number and redelivers from there, so the records after it
  come again (Lambda's documented behaviour); an empty or absent list is success; an empty, missing or
  unknown ``itemIdentifier`` fails the whole batch;
* once the retries are spent, the batch (after bisecting: the single poison record) goes to the on-failure
  destination in Lambda's on-failure record shape and the poller moves on.

Local choices where Lambda leaves room (kept deliberately, see the tests):

* a bisected half starts its retry count afresh, so a failing batch always gets down to one record before
  ``MaximumRetryAttempts`` decides; a partial failure that made progress counts one failure against the
  record it stopped at (the new checkpoint);
* ``MaximumRetryAttempts: -1`` (Lambda's default: retry until the record expires, 24 h) is capped at
  ``retry_cap`` so one poison record cannot wedge a developer's stack;
* the on-failure destination (an SQS queue or SNS topic in AWS) is a JSON-lines file per destination under
  ``dlq_dir``; each line also carries the failed records themselves under ``records`` (AWS sends only
  their position in the stream) and what happened under ``local``;
* ``MaximumRecordAgeInSeconds``, ``ParallelizationFactor`` and ``TumblingWindowInSeconds`` are not
  emulated (a warning says so), nor is the 6 MB payload limit.

DynamoDB Local quirks this works with: its stream and region are named ``ddblocal`` (the events carry them
as they come, like Lambda passes AWS's through); it rounds ``ApproximateCreationDateTime`` down to the
*minute* (AWS: to the second), so the delivery lag is measured from a write time the caller supplies
(``write_time_of``) when it can, and ``iterator_age`` from ApproximateCreationDateTime is coarse locally.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from devstack.lambda_runtime import FunctionSpec, InvocationError, LambdaContext, invoke

log = logging.getLogger("localstack.streams")

EVENT_TYPE = "DynamoDB"
DEFAULT_BATCH_SIZE = 100  # Lambda's default for DynamoDB streams (max 10,000)
GET_RECORDS_LIMIT = 1000  # GetRecords' own maximum
DEFAULT_POLL_INTERVAL_S = 0.1
DEFAULT_RETRY_CAP = 5
DEFAULT_RETRY_DELAY_S = 0.05
DESCRIBE_EVERY_S = 1.0
_NOT_EMULATED = ("MaximumRecordAgeInSeconds", "ParallelizationFactor", "TumblingWindowInSeconds")


# ---------------------------------------------------------------------------------------------- filters


class FilterPatternError(ValueError):
    """A FilterCriteria pattern Lambda would refuse (InvalidParameterValueException at deploy time)."""


_MISSING = object()
_STRING_OPS = ("prefix", "suffix", "equals-ignore-case", "wildcard")
_NUMERIC_OPS = ("<", "<=", "=", ">", ">=")


def compile_pattern(text: Any) -> dict[str, Any]:
    """Parse and check one ``Filters[].Pattern``: a JSON *string* holding an object whose leaves are lists."""
    if not isinstance(text, str):
        raise FilterPatternError(f"Pattern must be a JSON string, got {type(text).__name__}: {text!r}")
    try:
        pattern = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FilterPatternError(f"Pattern is not valid JSON ({exc}): {text!r}") from exc
    _check_object(pattern, "Pattern")
    return pattern


def _check_object(pattern: Any, where: str) -> None:
    if not isinstance(pattern, dict) or not pattern:
        raise FilterPatternError(f"{where} must be a non-empty JSON object")
    for key, spec in pattern.items():
        if key == "$or":
            if not isinstance(spec, list) or len(spec) < 2:
                raise FilterPatternError(f"{where}.$or needs a list of at least two patterns")
            for index, sub in enumerate(spec):
                _check_object(sub, f"{where}.$or[{index}]")
        elif isinstance(spec, dict):
            _check_object(spec, f"{where}.{key}")
        elif isinstance(spec, list) and spec:
            for matcher in spec:
                _check_matcher(matcher, f"{where}.{key}")
        else:
            raise FilterPatternError(f"{where}.{key} must be an object or a non-empty list of matchers")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_matcher(matcher: Any, where: str) -> None:
    if matcher is None or isinstance(matcher, str | bool) or _is_number(matcher):
        return
    if not isinstance(matcher, dict) or len(matcher) != 1:
        raise FilterPatternError(f"{where}: {matcher!r} is not a value or a one-key operator")
    ((op, arg),) = matcher.items()
    if op in ("prefix", "suffix"):
        if isinstance(arg, dict) and set(arg) == {"equals-ignore-case"} and isinstance(arg["equals-ignore-case"], str):
            return
        if not isinstance(arg, str):
            raise FilterPatternError(f"{where}: {op} takes a string")
    elif op in ("equals-ignore-case", "wildcard"):
        if not isinstance(arg, str):
            raise FilterPatternError(f"{where}: {op} takes a string")
    elif op == "exists":
        if not isinstance(arg, bool):
            raise FilterPatternError(f"{where}: exists takes true or false")
    elif op == "anything-but":
        if isinstance(arg, dict):
            if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case"):
                raise FilterPatternError(
                    f"{where}: anything-but takes values or one of prefix/suffix/equals-ignore-case"
                )
            inner = next(iter(arg.values()))
            if not (isinstance(inner, str) or (isinstance(inner, list) and all(isinstance(v, str) for v in inner))):
                raise FilterPatternError(f"{where}: anything-but {next(iter(arg))} takes a string")
        elif isinstance(arg, list):
            if not arg or not all(isinstance(v, str) or _is_number(v) for v in arg):
                raise FilterPatternError(f"{where}: anything-but takes a list of strings or numbers")
        elif not (isinstance(arg, str) or _is_number(arg)):
            raise FilterPatternError(f"{where}: anything-but takes a string, a number or a list of them")
    elif op == "numeric":
        ok = isinstance(arg, list) and len(arg) in (2, 4)
        if ok:
            pairs = list(zip(arg[::2], arg[1::2], strict=True))
            ok = all(o in _NUMERIC_OPS and _is_number(n) for o, n in pairs)
            ok = ok and not (len(pairs) == 2 and "=" in (pairs[0][0], pairs[1][0]))
        if not ok:
            raise FilterPatternError(f"{where}: numeric takes [op, n] or [op, n, op, n], got {arg!r}")
    elif op == "cidr":
        try:
            ipaddress.ip_network(arg, strict=False)
        except (TypeError, ValueError) as exc:
            raise FilterPatternError(f"{where}: cidr {arg!r} is not a network") from exc
    else:
        raise FilterPatternError(f"{where}: unknown operator {op!r}")


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Lambda (EventBridge) pattern matching: keys AND, values in a list OR, any element of an array.

    Matching is by JSON type, exactly as Lambda does it: ``numeric`` only matches JSON numbers, so it never
    matches a DynamoDB ``{"N": "42"}`` (the number is a string in the stream record; verified against AWS by
    LocalStack's snapshot tests), and ``"42"`` never equals ``42``.
    """
    return _match_object(pattern, event)


def _match_object(pattern: Mapping[str, Any], obj: Any) -> bool:
    for key, spec in pattern.items():
        if key == "$or":
            if not any(_match_object(sub, obj) for sub in spec):
                return False
            continue
        value = obj.get(key, _MISSING) if isinstance(obj, Mapping) else _MISSING
        if isinstance(spec, dict):
            if isinstance(value, list):
                ok = any(_match_object(spec, item) for item in value if isinstance(item, Mapping))
            else:
                ok = _match_object(spec, value if isinstance(value, Mapping) else {})
        else:
            ok = _match_leaf(spec, value)
        if not ok:
            return False
    return True


def _match_leaf(matchers: list[Any], value: Any) -> bool:
    present = value is not _MISSING
    values = value if isinstance(value, list) else [value]
    for matcher in matchers:
        if isinstance(matcher, dict):
            ((op, arg),) = matcher.items()
            if op == "exists":
                if arg == present:
                    return True
                continue
            if present and any(_match_op(op, arg, v) for v in values):
                return True
        elif present and any(_equal(matcher, v) for v in values):
            return True
    return False


def _equal(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is None
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if _is_number(expected):
        return _is_number(actual) and float(expected) == float(actual)
    return isinstance(actual, str) and expected == actual


def _string_op(op: str, arg: Any, actual: str) -> bool:
    if isinstance(arg, dict):  # prefix/suffix with equals-ignore-case
        arg, actual = arg["equals-ignore-case"].casefold(), actual.casefold()
    if op == "prefix":
        return actual.startswith(arg)
    if op == "suffix":
        return actual.endswith(arg)
    if op == "equals-ignore-case":
        return actual.casefold() == arg.casefold()
    # wildcard: * matches any run of characters, everything else literally
    regex = "".join(".*" if ch == "*" else re.escape(ch) for ch in arg)
    return re.fullmatch(regex, actual, flags=re.DOTALL) is not None


def _match_op(op: str, arg: Any, actual: Any) -> bool:
    if op in _STRING_OPS:
        return isinstance(actual, str) and _string_op(op, arg, actual)
    if op == "anything-but":
        if isinstance(arg, dict):
            ((inner_op, inner),) = arg.items()
            if not isinstance(actual, str):
                return False
            options = inner if isinstance(inner, list) else [inner]
            return not any(_string_op(inner_op, option, actual) for option in options)
        options = arg if isinstance(arg, list) else [arg]
        return not any(_equal(option, actual) for option in options)
    if op == "numeric":
        if not _is_number(actual):
            return False
        return all(_compare(o, float(actual), float(n)) for o, n in zip(arg[::2], arg[1::2], strict=True))
    if op == "cidr":
        try:
            return isinstance(actual, str) and ipaddress.ip_address(actual) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    return False


def _compare(op: str, actual: float, bound: float) -> bool:
    return {
        "<": actual < bound,
        "<=": actual <= bound,
        "=": actual == bound,
        ">": actual > bound,
        ">=": actual >= bound,
    }[op]


# ---------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class StreamSource:
    """One ``Type: DynamoDB`` event of a function, with Lambda's defaults filled in."""

    function: str
    event: str
    stream: Any  # {"Fn::GetAtt": [Table, "StreamArn"]} or an ARN
    starting_position: str
    batch_size: int = DEFAULT_BATCH_SIZE
    batching_window_s: float = 0.0
    filters: tuple[dict[str, Any], ...] = ()
    report_batch_item_failures: bool = False
    maximum_retry_attempts: int = -1
    bisect: bool = False
    on_failure: Any = None  # the Destination value, or None: failed batches are discarded
    enabled: bool = True

    @property
    def name(self) -> str:
        return f"{self.function}.{self.event}"

    @property
    def destination_label(self) -> str | None:
        """What the dead-letter file is named after: the destination's logical id when it is one."""
        dest = self.on_failure
        if dest is None:
            return None
        if isinstance(dest, Mapping) and "Fn::GetAtt" in dest:
            arg = dest["Fn::GetAtt"]
            return str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
        if isinstance(dest, Mapping) and "Ref" in dest:
            return str(dest["Ref"])
        if isinstance(dest, str) and dest:
            return re.sub(r"[^A-Za-z0-9_.-]+", "_", dest.rsplit(":", 1)[-1])
        return self.name


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{where}: {value!r} is not a boolean")


def stream_sources(spec: FunctionSpec) -> list[StreamSource]:
    """The function's DynamoDB event sources, checked the way Lambda checks an event source mapping."""
    out = []
    for event_name, event in (spec.events or {}).items():
        if not isinstance(event, Mapping) or event.get("Type") != EVENT_TYPE:
            continue
        props = event.get("Properties") or {}
        where = f"{spec.logical_id}.{event_name}"
        if "Stream" not in props:
            raise ValueError(f"{where}: a DynamoDB event needs Stream")
        position = str(props.get("StartingPosition", ""))
        if position not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError(f"{where}: StartingPosition must be TRIM_HORIZON or LATEST for DynamoDB, got {position!r}")
        batch_size = int(props.get("BatchSize", DEFAULT_BATCH_SIZE))
        if not 1 <= batch_size <= 10_000:
            raise ValueError(f"{where}: BatchSize {batch_size} is outside 1..10000")
        window = float(props.get("MaximumBatchingWindowInSeconds", 0))
        if not 0 <= window <= 300:
            raise ValueError(f"{where}: MaximumBatchingWindowInSeconds {window} is outside 0..300")
        retries = int(props.get("MaximumRetryAttempts", -1))
        if not -1 <= retries <= 10_000:
            raise ValueError(f"{where}: MaximumRetryAttempts {retries} is outside -1..10000")
        response_types = props.get("FunctionResponseTypes") or []
        unknown = set(response_types) - {"ReportBatchItemFailures"}
        if unknown:
            raise ValueError(f"{where}: unknown FunctionResponseTypes {sorted(unknown)}")
        filters = tuple(
            compile_pattern(f.get("Pattern") if isinstance(f, Mapping) else f)
            for f in ((props.get("FilterCriteria") or {}).get("Filters") or [])
        )
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        for name in _NOT_EMULATED:
            if name in props:
                log.warning("%s: %s is not emulated locally (ignored)", where, name)
        out.append(
            StreamSource(
                function=spec.logical_id,
                event=event_name,
                stream=props["Stream"],
                starting_position=position,
                batch_size=batch_size,
                batching_window_s=window,
                filters=filters,
                report_batch_item_failures="ReportBatchItemFailures" in response_types,
                maximum_retry_attempts=retries,
                bisect=_bool(props.get("BisectBatchOnFunctionError", False), f"{where}.BisectBatchOnFunctionError"),
                on_failure=on_failure,
                enabled=_bool(props.get("Enabled", True), f"{where}.Enabled"),
            )
        )
    return out


def resolve_stream_arn(stream: Any, dynamodb_client: BaseClient, table_names: Mapping[str, str]) -> str:
    """``!GetAtt Table.StreamArn`` → the local table's LatestStreamArn (DescribeTable); an ARN as it is."""
    if isinstance(stream, str) and stream.startswith("arn:"):
        return stream
    if isinstance(stream, Mapping) and "Fn::GetAtt" in stream:
        arg = stream["Fn::GetAtt"]
        resource, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        if attribute != "StreamArn":
            raise ValueError(f"Stream: !GetAtt {resource}.{attribute} is not a stream ARN")
        if resource not in table_names:
            raise KeyError(f"Stream refers to {resource}, which has no local table (tables: {sorted(table_names)})")
        table = dynamodb_client.describe_table(TableName=table_names[resource])["Table"]
        arn = table.get("LatestStreamArn")
        if not arn or not (table.get("StreamSpecification") or {}).get("StreamEnabled", True):
            raise ValueError(f"table {table_names[resource]} ({resource}) has no stream enabled")
        return str(arn)
    raise ValueError(f"Stream {stream!r}: expected !GetAtt <Table>.StreamArn or an ARN")


# ---------------------------------------------------------------------------------------------- records


def _epoch_number(value: Any) -> int | float:
    """ApproximateCreationDateTime as Lambda's events carry it: epoch seconds, a number."""
    if isinstance(value, datetime):
        value = value.timestamp()
    number = float(value)
    return int(number) if number.is_integer() else number


def lambda_record(raw: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record → the record of Lambda's DynamoDB event (same fields, plus eventSourceARN)."""
    record = {
        key: raw[key] for key in ("eventID", "eventName", "eventVersion", "eventSource", "awsRegion") if key in raw
    }
    ddb = dict(raw["dynamodb"])
    if "ApproximateCreationDateTime" in ddb:
        ddb["ApproximateCreationDateTime"] = _epoch_number(ddb["ApproximateCreationDateTime"])
    record["dynamodb"] = ddb
    if "userIdentity" in raw:  # TTL deletions
        record["userIdentity"] = raw["userIdentity"]
    record["eventSourceARN"] = stream_arn
    return record


def _seq(record: Mapping[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def _iso(epoch: float, millis: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _raw(value: Any) -> Any:
    return value


def streams_client(endpoint_url: str, region: str | None = None) -> BaseClient:
    """A ``dynamodbstreams`` client for DynamoDB Local that leaves timestamps and binaries as the wire has
    them (epoch numbers, base64 strings), as Lambda's events carry them. Never an AWS endpoint."""
    host = (urlparse(endpoint_url).hostname or "").lower()
    if not host or host.endswith(("amazonaws.com", "amazonaws.com.cn", "api.aws")):
        raise ValueError(f"{endpoint_url!r} is not a local DynamoDB endpoint; local pollers never read AWS")
    session = botocore.session.Session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_raw, blob_parser=_raw)
    return session.create_client(
        "dynamodbstreams",
        endpoint_url=endpoint_url,
        region_name=region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="local",
        aws_secret_access_key="local",  # DynamoDB Local accepts any key
        config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 3}),
    )


# ---------------------------------------------------------------------------------------------- poller


@dataclass
class PollerStats:
    """Counters of one poller. ``delivered`` counts records processed successfully (each once)."""

    records_read: int = 0
    filtered: int = 0
    invocations: int = 0
    records_invoked: int = 0  # every record of every invocation, redeliveries included
    delivered: int = 0
    failed: int = 0  # invocations that raised or reported batch item failures
    retries: int = 0
    bisections: int = 0
    dead_lettered: int = 0  # records sent to the on-failure destination
    dead_letter_batches: int = 0
    discarded: int = 0  # records dropped after retries with no on-failure destination
    poll_errors: int = 0
    lag_s: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))
    iterator_age_s: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))

    def counters(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    closed: bool
    iterator: str | None = None
    started: bool = False
    finished: bool = False
    last_fetched_seq: str | None = None
    max_invoked_seq: int = -1
    buffer: list[dict[str, Any]] = field(default_factory=list)
    first_buffered_at: float | None = None


@dataclass
class _Attempt:
    records: list[dict[str, Any]]
    failures: int = 0


@dataclass
class _Outcome:
    ok: bool
    request_id: str
    failed_index: int = 0  # with a partial failure: index of the lowest failed record
    error: str | None = None  # the handler raised (functionError "Unhandled")
    reason: str = ""


_file_locks: dict[Path, threading.Lock] = {}
_file_locks_guard = threading.Lock()


def _append_line(path: Path, entry: Mapping[str, Any]) -> None:
    with _file_locks_guard:
        lock = _file_locks.setdefault(path, threading.Lock())
    line = json.dumps(entry, default=str, separators=(",", ":")) + "\n"
    with lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line)


def _percentile(sorted_values: list[float], q: float) -> float:
    index = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    return sorted_values[index]


def summarize(samples: Iterable[float]) -> dict[str, float]:
    values = sorted(samples)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": _percentile(values, 50),
        "p90": _percentile(values, 90),
        "p99": _percentile(values, 99),
        "max": values[-1],
    }


class Poller:
    """One (function, stream) mapping: a thread that reads the stream's shards and invokes the function."""

    def __init__(
        self,
        spec: FunctionSpec,
        source: StreamSource,
        stream_arn: str,
        streams: BaseClient,
        dlq_dir: Path,
        on_dead_letter: Callable[[dict[str, Any]], None] | None = None,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL_S,
        retry_cap: int = DEFAULT_RETRY_CAP,
        retry_delay: float = DEFAULT_RETRY_DELAY_S,
        write_time_of: Callable[[Mapping[str, Any]], float | None] | None = None,
    ) -> None:
        self.spec = spec
        self.source = source
        self.stream_arn = stream_arn
        self.streams = streams
        label = source.destination_label
        self.dlq_path: Path | None = Path(dlq_dir) / f"{label}.jsonl" if label else None
        self.on_dead_letter = on_dead_letter
        self.poll_interval = poll_interval
        self.retry_delay = retry_delay
        self.write_time_of = write_time_of
        if source.maximum_retry_attempts >= 0:
            self.max_retries = source.maximum_retry_attempts
        else:
            self.max_retries = retry_cap
            log.info(
                "%s: MaximumRetryAttempts is -1 (until the record expires); capped at %d locally",
                source.name,
                retry_cap,
            )
        self.function_arn = LambdaContext(spec).invoked_function_arn
        self.stats = PollerStats()
        self.last_error: BaseException | None = None
        self._shards: dict[str, _Shard] = {}
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._idle_cycle_started = -math.inf
        self._last_describe = -math.inf
        self._describe_now = True
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.source.name

    # -- lifecycle

    def prime(self) -> None:
        """Learn the shards and take the starting positions now, so LATEST means "from this call on"."""
        self._refresh_shards(initial=True)
        for shard in self._shards.values():
            if not shard.finished and self._ready(shard):
                self._open_iterator(shard, self.source.starting_position)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"poller-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the invocation under way; a batch still being retried is abandoned (in AWS it would
        come again from the checkpoint when the mapping resumes)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def idle_since(self, moment: float) -> bool:
        """Whether a full poll (shard list and every shard read to its end, nothing pending) began after
        ``moment`` (time.monotonic) and found nothing to do."""
        return self._idle_cycle_started >= moment

    # -- the loop

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                fetched, described = self._cycle()
                backoff = self.poll_interval
            except (BotoCoreError, ClientError, OSError) as exc:
                self.stats.poll_errors += 1
                self.last_error = exc
                log.warning("%s: reading the stream failed (%s); retrying", self.name, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            except Exception as exc:  # a bug here must not kill the thread silently
                self.stats.poll_errors += 1
                self.last_error = exc
                log.exception("%s: poller error", self.name)
                self._stop.wait(1.0)
                continue
            pending = any(s.buffer for s in self._shards.values())
            if fetched == 0 and described and not pending:
                with self._cond:
                    self._idle_cycle_started = started
                    self._cond.notify_all()
            if fetched == 0:
                self._stop.wait(self._sleep_for())

    def _sleep_for(self) -> float:
        waits = [self.poll_interval]
        for shard in self._shards.values():
            if shard.buffer and shard.first_buffered_at is not None:
                waits.append(max(0.0, shard.first_buffered_at + self.source.batching_window_s - time.monotonic()))
        return min(waits)

    def _cycle(self) -> tuple[int, bool]:
        described = False
        now = time.monotonic()
        if self._describe_now or now - self._last_describe >= DESCRIBE_EVERY_S:
            self._refresh_shards()
            described = True
        self._describe_now = False
        fetched = 0
        for shard in list(self._shards.values()):
            if self._stop.is_set():
                break
            if shard.finished or not self._ready(shard):
                continue
            if not shard.started:
                self._open_iterator(shard)
            if shard.iterator is not None and len(shard.buffer) < self.source.batch_size:
                fetched += self._fetch(shard)
            while shard.buffer and self._dispatchable(shard) and not self._stop.is_set():
                batch = shard.buffer[: self.source.batch_size]
                del shard.buffer[: self.source.batch_size]
                shard.first_buffered_at = time.monotonic() if shard.buffer else None
                self._process(shard, batch)
            if shard.iterator is None and shard.started and not shard.buffer:
                shard.finished = True
                self._describe_now = True  # its children may be waiting
        if fetched == 0 and not described:
            self._describe_now = True  # an idle cycle must include a look at the shard list
        return fetched, described

    # -- shards

    def _refresh_shards(self, initial: bool = False) -> None:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        listed: list[dict[str, Any]] = []
        while True:
            desc = self.streams.describe_stream(**kwargs)["StreamDescription"]
            listed.extend(desc.get("Shards") or [])
            last = desc.get("LastEvaluatedShardId")
            if not last:
                break
            kwargs["ExclusiveStartShardId"] = last
        self._last_describe = time.monotonic()
        for item in listed:
            shard_id = item["ShardId"]
            closed = "EndingSequenceNumber" in (item.get("SequenceNumberRange") or {})
            known = self._shards.get(shard_id)
            if known is not None:
                known.closed = closed
                continue
            shard = _Shard(shard_id=shard_id, parent_id=item.get("ParentShardId"), closed=closed)
            if initial and self.source.starting_position == "LATEST" and closed:
                shard.finished = True  # LATEST: nothing that was written before the mapping existed
            self._shards[shard_id] = shard

    def _ready(self, shard: _Shard) -> bool:
        parent = self._shards.get(shard.parent_id) if shard.parent_id else None
        return parent is None or parent.finished

    def _open_iterator(self, shard: _Shard, position: str = "TRIM_HORIZON", after: str | None = None) -> None:
        """Shards that appear after the start are read from their beginning: they only hold newer records."""
        if after is not None:
            kwargs = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        else:
            kwargs = {"ShardIteratorType": position}
        response = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard.shard_id, **kwargs)
        shard.iterator = response.get("ShardIterator")
        shard.started = True

    def _fetch(self, shard: _Shard) -> int:
        limit = min(GET_RECORDS_LIMIT, max(1, self.source.batch_size - len(shard.buffer)))
        try:
            response = self.streams.get_records(ShardIterator=shard.iterator, Limit=limit)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("ExpiredIteratorException", "TrimmedDataAccessException"):
                log.info("%s: %s on %s; reopening the iterator", self.name, code, shard.shard_id)
                expired = code == "ExpiredIteratorException" and shard.last_fetched_seq is not None
                self._open_iterator(shard, after=shard.last_fetched_seq if expired else None)
                return 0
            raise
        records = response.get("Records") or []
        shard.iterator = response.get("NextShardIterator")
        for raw in records:
            shard.last_fetched_seq = raw["dynamodb"]["SequenceNumber"]
            record = lambda_record(raw, self.stream_arn)
            self.stats.records_read += 1
            if self.source.filters and not any(matches(p, record) for p in self.source.filters):
                self.stats.filtered += 1  # dropped and checkpointed past, as Lambda does
                continue
            if not shard.buffer:
                shard.first_buffered_at = time.monotonic()
            shard.buffer.append(record)
        return len(records)

    def _dispatchable(self, shard: _Shard) -> bool:
        if len(shard.buffer) >= self.source.batch_size or self.source.batching_window_s <= 0:
            return True
        if shard.iterator is None:
            return True  # a closed shard drained: nothing more will join the batch
        started = shard.first_buffered_at or time.monotonic()
        return time.monotonic() - started >= self.source.batching_window_s

    # -- delivery

    def _process(self, shard: _Shard, batch: list[dict[str, Any]]) -> None:
        """Deliver one batch until it succeeded or went to the on-failure destination (in shard order)."""
        work: deque[_Attempt] = deque([_Attempt(batch)])
        while work:
            if self._stop.is_set():
                return
            attempt = work.popleft()
            outcome = self._invoke(shard, attempt.records)
            if outcome.ok:
                self.stats.delivered += len(attempt.records)
                continue
            self.stats.failed += 1
            if outcome.failed_index > 0:
                # Checkpoint before the lowest failed record: the ones before it are done.
                self.stats.delivered += outcome.failed_index
                attempt = _Attempt(attempt.records[outcome.failed_index :], failures=0)
            elif self.source.bisect and len(attempt.records) > 1:
                middle = len(attempt.records) // 2
                self.stats.bisections += 1
                work.appendleft(_Attempt(attempt.records[middle:]))
                work.appendleft(_Attempt(attempt.records[:middle]))
                continue
            attempt.failures += 1
            if attempt.failures > self.max_retries:
                self._dead_letter(shard, attempt, outcome)
                continue
            self.stats.retries += 1
            work.appendleft(attempt)
            self._stop.wait(min(self.retry_delay * attempt.failures, 1.0))

    def _invoke(self, shard: _Shard, records: list[dict[str, Any]]) -> _Outcome:
        request_id = str(uuid.uuid4())
        started_wall = time.time()
        for record in records:
            seq = _seq(record)
            if seq > shard.max_invoked_seq:  # first delivery of this record
                shard.max_invoked_seq = seq
                created = record["dynamodb"].get("ApproximateCreationDateTime")
                if created is not None:
                    self.stats.iterator_age_s.append(started_wall - float(created))
                written = self.write_time_of(record) if self.write_time_of else None
                if written is not None:
                    self.stats.lag_s.append(started_wall - written)
                elif created is not None:
                    self.stats.lag_s.append(started_wall - float(created))
        self.stats.invocations += 1
        self.stats.records_invoked += len(records)
        try:
            result = invoke(self.spec, {"Records": records}, request_id=request_id, source="stream")
        except InvocationError as exc:
            cause = exc.cause
            return _Outcome(False, request_id, error=f"{type(cause).__name__}: {cause}", reason="the function raised")
        if not self.source.report_batch_item_failures:
            return _Outcome(True, request_id)  # Lambda ignores the response without ReportBatchItemFailures
        return self._read_response(result, records, request_id)

    @staticmethod
    def _read_response(result: Any, records: list[dict[str, Any]], request_id: str) -> _Outcome:
        failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
        if not failures:  # null/empty response or list: complete success
            return _Outcome(True, request_id)
        if not isinstance(failures, list):
            return _Outcome(False, request_id, reason=f"batchItemFailures is not a list: {failures!r}")
        index_of = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(records)}
        indexes = []
        for item in failures:
            identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else None
            if not isinstance(identifier, str) or identifier not in index_of:
                # Empty, null or unknown identifiers: Lambda treats the whole batch as failed.
                return _Outcome(False, request_id, reason=f"invalid itemIdentifier {identifier!r}: whole batch failed")
            indexes.append(index_of[identifier])
        lowest = min(indexes)
        return _Outcome(
            False,
            request_id,
            failed_index=lowest,
            reason=f"batchItemFailures from {records[lowest]['dynamodb']['SequenceNumber']}",
        )

    def _dead_letter(self, shard: _Shard, attempt: _Attempt, outcome: _Outcome) -> None:
        records = attempt.records
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if outcome.error is not None:
            response_context["functionError"] = "Unhandled"
        entry: dict[str, Any] = {
            "requestContext": {
                "requestId": outcome.request_id,
                "functionArn": self.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempt.failures,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": _iso(time.time(), millis=True),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(float(first.get("ApproximateCreationDateTime", 0))),
                "approximateArrivalOfLastRecord": _iso(float(last.get("ApproximateCreationDateTime", 0))),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
            "records": records,
            "local": {
                "mapping": self.name,
                "destination": self.source.destination_label,
                "error": outcome.error,
                "reason": outcome.reason,
                "maximumRetryAttempts": self.max_retries,
            },
        }
        if self.dlq_path is not None:
            self.dlq_path.parent.mkdir(parents=True, exist_ok=True)
            _append_line(self.dlq_path, entry)
            self.stats.dead_lettered += len(records)
            self.stats.dead_letter_batches += 1
            log.warning(
                "%s: %d record(s) %s..%s dead-lettered to %s (%s)",
                self.name,
                len(records),
                first["SequenceNumber"],
                last["SequenceNumber"],
                self.dlq_path,
                outcome.reason,
            )
        else:
            self.stats.discarded += len(records)
            log.warning(
                "%s: %d record(s) %s..%s discarded after retries: no OnFailure destination (%s)",
                self.name,
                len(records),
                first["SequenceNumber"],
                last["SequenceNumber"],
                outcome.reason,
            )
        if self.on_dead_letter is not None:
            try:
                self.on_dead_letter(entry)
            except Exception:
                log.exception("%s: on_dead_letter callback failed", self.name)


class Pollers:
    """All stream pollers of a local stack."""

    def __init__(self, pollers: list[Poller]) -> None:
        self.pollers = pollers

    def __iter__(self):
        return iter(self.pollers)

    def __len__(self) -> int:
        return len(self.pollers)

    def __getitem__(self, name: str) -> Poller:
        """By ``Function.Event`` or, when it is unique, by the event's name alone."""
        found = [p for p in self.pollers if name in (p.name, p.source.event)]
        if len(found) != 1:
            raise KeyError(f"{name!r} names {len(found)} pollers (have {[p.name for p in self.pollers]})")
        return found[0]

    def stop(self, timeout: float = 5.0) -> None:
        for poller in self.pollers:
            poller._stop.set()
        for poller in self.pollers:
            poller.stop(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every poller has read its stream to the end, as it stood when this was called, and has
        nothing left to deliver or retry. False on timeout."""
        requested = time.monotonic()
        deadline = requested + timeout
        for poller in self.pollers:
            with poller._cond:
                while not poller.idle_since(requested):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or poller._stop.is_set():
                        return False
                    poller._cond.wait(min(remaining, 0.5))
        return True

    def counters(self) -> dict[str, dict[str, int]]:
        return {p.name: p.stats.counters() for p in self.pollers}

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for poller in self.pollers:
            for key, value in poller.stats.counters().items():
                out[key] = out.get(key, 0) + value
        return out

    def lag(self) -> dict[str, float]:
        """Delivery lag (handler start − write time) over every first delivery, in seconds."""
        return summarize(x for p in self.pollers for x in p.stats.lag_s)

    def iterator_age(self) -> dict[str, float]:
        """Handler start − ApproximateCreationDateTime (Lambda's IteratorAge; minute-coarse on DynamoDB Local)."""
        return summarize(x for p in self.pollers for x in p.stats.iterator_age_s)

    def __enter__(self) -> Pollers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_pollers(
    specs: Mapping[str, FunctionSpec] | Iterable[FunctionSpec],
    dynamodb_client: BaseClient,
    table_names: Mapping[str, str],
    dlq_dir: str | Path,
    on_dead_letter: Callable[[dict[str, Any]], None] | None = None,
    *,
    endpoint_url: str | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL_S,
    retry_cap: int = DEFAULT_RETRY_CAP,
    retry_delay: float = DEFAULT_RETRY_DELAY_S,
    write_time_of: Callable[[Mapping[str, Any]], float | None] | None = None,
) -> Pollers:
    """Start a poller for every enabled DynamoDB event source of ``specs``; returns once each has taken its
    starting position (records written after this returns are seen even with LATEST).

    ``dynamodb_client`` must point at DynamoDB Local; its endpoint (or ``endpoint_url``, or
    AWS_ENDPOINT_URL_DYNAMODB) also serves the streams API. ``write_time_of(record)`` may return the epoch
    second a record was written, for a precise delivery lag (DynamoDB Local's ApproximateCreationDateTime
    is rounded down to the minute).
    """
    spec_list = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
    sources: list[tuple[FunctionSpec, StreamSource]] = []
    for spec in spec_list:
        for source in stream_sources(spec):  # every mapping checked before anything starts
            if source.enabled:
                sources.append((spec, source))
            else:
                log.info("%s: Enabled is false; not polling", source.name)
    if not sources:
        return Pollers([])
    endpoint = endpoint_url or dynamodb_client.meta.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if not endpoint:
        raise ValueError("no DynamoDB Local endpoint: pass endpoint_url or set AWS_ENDPOINT_URL_DYNAMODB")
    streams = streams_client(endpoint, dynamodb_client.meta.region_name)
    pollers: list[Poller] = []
    try:
        for spec, source in sources:
            arn = resolve_stream_arn(source.stream, dynamodb_client, table_names)
            poller = Poller(
                spec,
                source,
                arn,
                streams,
                Path(dlq_dir),
                on_dead_letter,
                poll_interval=poll_interval,
                retry_cap=retry_cap,
                retry_delay=retry_delay,
                write_time_of=write_time_of,
            )
            poller.prime()
            pollers.append(poller)
        for poller in pollers:
            poller.start()
    except BaseException:
        for poller in pollers:
            poller.stop()
        raise
    return Pollers(pollers)
