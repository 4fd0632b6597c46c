"""Local DynamoDB stream pollers (scripts/devstack/streams.py) against DynamoDB Local's streams API.

The fixture app (tests/fixtures/streams_app) has one table with a stream and one consumer with a DynamoDB
event source: FilterCriteria, BatchSize 10, MaximumRetryAttempts 2, BisectBatchOnFunctionError,
ReportBatchItemFailures and an OnFailure destination. The consumer logs every invocation to CONSUMER_LOG,
reports records with ``poison: true`` as batch item failures and raises for batches holding ``explode: true``.
Each test gets its own tables, so pollers never see another test's records.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devstack.lambda_runtime import functions
from devstack.streams import (
    FilterPatternError,
    Poller,
    Pollers,
    compile_pattern,
    matches,
    start_pollers,
    stream_sources,
)
from devstack.template import create_tables, load_template

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "streams_app"
FUNCTION = "StreamsFixtureConsumer"
MAPPING = f"{FUNCTION}.Changes"


@dataclass
class App:
    client: Any
    names: dict[str, str]
    log_path: Path
    dlq_dir: Path
    template: dict[str, Any]
    dead_letters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.names["EventsTable"]

    @property
    def stream_arn(self) -> str:
        return self.client.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]

    @property
    def dlq_path(self) -> Path:
        return self.dlq_dir / "ConsumerFailures.jsonl"

    def put(self, pk: str, **attrs: Any) -> None:
        item: dict[str, Any] = {"pk": {"S": pk}}
        for name, value in attrs.items():
            if isinstance(value, bool):
                item[name] = {"BOOL": value}
            elif isinstance(value, int | float):
                item[name] = {"N": repr(value)}
            else:
                item[name] = {"S": value}
        self.client.put_item(TableName=self.table, Item=item)

    def delete(self, pk: str) -> None:
        self.client.delete_item(TableName=self.table, Key={"pk": {"S": pk}})

    def start(self, template: dict[str, Any] | None = None, **options: Any) -> Pollers:
        specs = functions(template or self.template, self.names, root=FIXTURE)
        options = {"poll_interval": 0.05, "retry_delay": 0.01, **options}
        return start_pollers(specs, self.client, self.names, self.dlq_dir, self.dead_letters.append, **options)

    def invocations(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        entries = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        return [e for e in entries if e["kind"] == "stream"]

    def batches(self) -> list[list[str]]:
        return [[_key(r) for r in e["records"]] for e in self.invocations()]

    def dead_letter_lines(self) -> list[dict[str, Any]]:
        if not self.dlq_path.exists():
            return []
        return [json.loads(line) for line in self.dlq_path.read_text().splitlines()]


def _key(record: dict[str, Any]) -> str:
    return record["dynamodb"]["Keys"]["pk"]["S"]


def _mapping(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of the fixture template with the stream event's properties changed."""
    out = copy.deepcopy(template)
    props = out["Resources"][FUNCTION]["Properties"]["Events"]["Changes"]["Properties"]
    props.update(changes)
    return out


@pytest.fixture(scope="module")
def fixture_template() -> dict[str, Any]:
    return load_template(FIXTURE / "template.yaml")


@pytest.fixture
def app(dynamodb_local, fixture_template, tmp_path, monkeypatch) -> Iterator[App]:
    client = dynamodb_local.client()
    names = create_tables(client, f"st{secrets.token_hex(3)}", template=fixture_template)
    log_path = tmp_path / "consumer.jsonl"
    monkeypatch.setenv("CONSUMER_LOG", str(log_path))
    yield App(client, names, log_path, tmp_path / "dlq", fixture_template)
    for name in names.values():
        client.delete_table(TableName=name)


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


# ------------------------------------------------------------------------------------------ delivery


def test_records_arrive_in_order_in_lambdas_event_shape(app: App) -> None:
    keys = [f"evt-{i:02d}" for i in range(25)]
    for key in keys:
        app.put(key, kind="evt")
    app.put("evt-00", kind="evt", note="changed")
    app.delete("evt-01")

    with app.start() as pollers:
        assert pollers.wait_idle(10)
        counters = pollers.counters()[MAPPING]

    records = [r for e in app.invocations() for r in e["records"]]
    assert [(_key(r), r["eventName"]) for r in records] == (
        [(k, "INSERT") for k in keys] + [("evt-00", "MODIFY"), ("evt-01", "REMOVE")]
    )
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)
    assert all(len(batch) <= 10 for batch in app.batches())  # BatchSize
    assert counters["delivered"] == 27 and counters["failed"] == 0 and counters["dead_lettered"] == 0

    arn = app.stream_arn
    now = time.time()
    for record in records:
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["eventSourceARN"] == arn
        ddb = record["dynamodb"]
        images = {"INSERT": {"NewImage"}, "MODIFY": {"NewImage", "OldImage"}, "REMOVE": {"OldImage"}}
        assert (
            set(ddb)
            == {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"}
            | images[record["eventName"]]
        )
        # Epoch seconds as a JSON number (DynamoDB Local rounds it down to the minute).
        assert isinstance(ddb["ApproximateCreationDateTime"], int | float)
        assert now - 120 < ddb["ApproximateCreationDateTime"] <= now
        assert ddb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(ddb["SizeBytes"], int) and ddb["SizeBytes"] > 0
        assert ddb["Keys"] == {"pk": {"S": _key(record)}}
    modify = records[-2]["dynamodb"]
    assert modify["OldImage"] == {"pk": {"S": "evt-00"}, "kind": {"S": "evt"}}
    assert modify["NewImage"]["note"] == {"S": "changed"}


def test_latest_starts_at_the_end_of_the_stream(app: App) -> None:
    app.put("evt-before", kind="evt")
    with app.start(_mapping(app.template, StartingPosition="LATEST")) as pollers:
        app.put("evt-after", kind="evt")
        assert pollers.wait_idle(10)
    assert app.batches() == [["evt-after"]]


def test_filter_criteria_drops_records_that_match_no_filter(app: App) -> None:
    app.put("evt-a", kind="evt")  # filter 1
    app.put("other-b", kind="other")  # kind does not start with evt
    app.put("evt-c", kind="evt", skip=True)  # skip exists
    app.put("evt-d", kind="evt-special")  # filter 1 (prefix)
    app.delete("other-b")  # REMOVE, key not evt...
    app.delete("evt-a")  # filter 2

    with app.start() as pollers:
        assert pollers.wait_idle(10)
        counters = pollers.counters()[MAPPING]

    records = [r for e in app.invocations() for r in e["records"]]
    assert [(_key(r), r["eventName"]) for r in records] == [
        ("evt-a", "INSERT"),
        ("evt-d", "INSERT"),
        ("evt-a", "REMOVE"),
    ]
    assert counters["records_read"] == 6 and counters["filtered"] == 3 and counters["delivered"] == 3


def test_the_batching_window_gathers_records_into_one_batch(app: App) -> None:
    with app.start(_mapping(app.template, MaximumBatchingWindowInSeconds=1)) as pollers:
        for i in range(4):
            app.put(f"evt-w{i}", kind="evt")
            time.sleep(0.1)
        assert pollers.wait_idle(10)
    assert app.batches() == [["evt-w0", "evt-w1", "evt-w2", "evt-w3"]]


# ------------------------------------------------------------------------------------------ failures


def test_a_poison_record_is_retried_then_dead_lettered_while_the_rest_flows(app: App) -> None:
    for key in ("g1", "g2"):
        app.put(key, kind="evt")
    app.put("poison", kind="evt", poison=True)
    for key in ("g3", "g4"):
        app.put(key, kind="evt")

    with app.start() as pollers:
        _wait_for(lambda: app.dead_letters)
        app.put("g5", kind="evt")  # written after the poison record left the shard
        app.put("g6", kind="evt")
        assert pollers.wait_idle(10)
        counters = pollers.counters()[MAPPING]

    batches = app.batches()
    # Lambda's contract, step by step: the batch fails at "poison" → checkpoint after g2 and redeliver from
    # there; failing again at its first record it is bisected; the lone poison record is retried
    # MaximumRetryAttempts (2) times, then dead-lettered; its neighbours come again on the way.
    assert batches[:6] == [
        ["g1", "g2", "poison", "g3", "g4"],
        ["poison", "g3", "g4"],
        ["poison"],
        ["poison"],
        ["poison"],
        ["g3", "g4"],
    ]
    # g5 and g6 are two writes: the poller may read them in one batch or catch them one by one, in order.
    assert batches[6:] in ([["g5", "g6"]], [["g5"], ["g6"]])
    # Counted honestly: every good record processed, g3 and g4 more than once (Lambda redelivers records
    # after a reported failure); a consumer must be idempotent for them.
    seen = Counter(key for batch in batches for key in batch)
    assert {k for k in seen if k != "poison"} == {"g1", "g2", "g3", "g4", "g5", "g6"}
    assert seen == {"g1": 1, "g2": 1, "poison": 5, "g3": 3, "g4": 3, "g5": 1, "g6": 1}
    assert counters["delivered"] == 6 and counters["dead_lettered"] == 1 and counters["dead_letter_batches"] == 1

    (line,) = app.dead_letter_lines()
    assert app.dead_letters == [line]  # the callback got the same record
    poison = next(r for e in app.invocations() for r in e["records"] if _key(r) == "poison")
    seq = poison["dynamodb"]["SequenceNumber"]
    assert line["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert line["requestContext"]["approximateInvokeCount"] == 3  # 1 + MaximumRetryAttempts
    assert line["requestContext"]["functionArn"].endswith(f":function:{FUNCTION}")
    assert re.fullmatch(r"[0-9a-f-]{36}", line["requestContext"]["requestId"])
    assert line["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}  # no functionError
    assert line["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    info = line["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seq
    assert info["batchSize"] == 1
    assert info["streamArn"] == app.stream_arn
    assert info["shardId"].startswith("shardId-")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["approximateArrivalOfFirstRecord"])
    assert [_key(r) for r in line["records"]] == ["poison"] and line["records"][0] == poison


def test_a_raising_handler_with_bisect_dead_letters_only_the_poison_record(app: App) -> None:
    for i in range(1, 6):
        app.put(f"h{i}", kind="evt", explode=i == 3)

    with app.start() as pollers:
        assert pollers.wait_idle(10)
        counters = pollers.counters()[MAPPING]

    assert app.batches() == [
        ["h1", "h2", "h3", "h4", "h5"],  # raises: bisect
        ["h1", "h2"],
        ["h3", "h4", "h5"],  # raises: bisect
        ["h3"],
        ["h3"],
        ["h3"],  # 1 + MaximumRetryAttempts
        ["h4", "h5"],
    ]
    (line,) = app.dead_letter_lines()
    assert [_key(r) for r in line["records"]] == ["h3"]
    assert line["DDBStreamBatchInfo"]["batchSize"] == 1
    assert line["responseContext"]["functionError"] == "Unhandled"
    assert "told to explode" in line["local"]["error"]
    assert counters["delivered"] == 4 and counters["dead_lettered"] == 1 and counters["bisections"] == 2


def test_without_bisect_the_whole_failing_batch_is_dead_lettered(app: App) -> None:
    for i in range(1, 6):
        app.put(f"h{i}", kind="evt", explode=i == 3)

    with app.start(_mapping(app.template, BisectBatchOnFunctionError=False)) as pollers:
        _wait_for(lambda: app.dead_letters)
        app.put("h6", kind="evt")
        assert pollers.wait_idle(10)

    assert app.batches() == [["h1", "h2", "h3", "h4", "h5"]] * 3 + [["h6"]]
    (line,) = app.dead_letter_lines()
    keys = [_key(r) for r in line["records"]]
    assert keys == ["h1", "h2", "h3", "h4", "h5"]
    info = line["DDBStreamBatchInfo"]
    assert info["batchSize"] == 5
    assert info["startSequenceNumber"] == line["records"][0]["dynamodb"]["SequenceNumber"]
    assert info["endSequenceNumber"] == line["records"][-1]["dynamodb"]["SequenceNumber"]


def test_an_unknown_item_identifier_fails_the_whole_batch(app: App) -> None:
    app.put("b1", kind="evt")
    app.put("b2", kind="evt", bogus=True)
    app.put("b3", kind="evt")

    with app.start() as pollers:
        assert pollers.wait_idle(10)

    # Whole-batch failures, so bisect isolates b2 even though the handler never raised.
    assert app.batches() == [["b1", "b2", "b3"], ["b1"], ["b2", "b3"], ["b2"], ["b2"], ["b2"], ["b3"]]
    (line,) = app.dead_letter_lines()
    assert [_key(r) for r in line["records"]] == ["b2"]
    assert "invalid itemIdentifier" in line["local"]["reason"]


def test_infinite_retries_are_capped_locally_and_no_destination_discards(app: App) -> None:
    template = _mapping(app.template, MaximumRetryAttempts=-1, DestinationConfig={})
    app.put("p1", kind="evt", poison=True)
    with app.start(template, retry_cap=1) as pollers:
        assert pollers.wait_idle(10)
        counters = pollers.counters()[MAPPING]
    assert app.batches() == [["p1"], ["p1"]]
    assert counters["discarded"] == 1 and counters["dead_lettered"] == 0
    assert not app.dlq_path.exists() and len(app.dead_letters) == 1


# ------------------------------------------------------------------------------------------ measured


def _written_at(record: dict[str, Any]) -> float | None:
    value = (record["dynamodb"].get("NewImage") or {}).get("written_at")
    return float(value["N"]) if value else None


def test_delivery_lag_and_throughput(app: App, monkeypatch) -> None:
    """~200 records written one by one while the poller runs: the lag from write to handler start.
    Then 2,000 records already in the stream, drained through a trivial consumer in batches of 100."""
    with app.start(poll_interval=0.1, write_time_of=_written_at) as pollers:
        for i in range(200):
            app.put(f"evt-lag-{i:03d}", kind="evt", written_at=time.time())
            time.sleep(0.003)
        assert pollers.wait_idle(10)
        lag = pollers.lag()
    assert lag["n"] == 200
    assert lag["p99"] < 1.0, lag  # poll interval 0.1 s: typically ~0.05 s median

    monkeypatch.delenv("CONSUMER_LOG")  # the consumer now does nothing but look at the flags
    table = app.table
    for start in range(0, 2000, 25):
        app.client.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"pk": {"S": f"evt-bulk-{i:04d}"}, "kind": {"S": "evt"}}}}
                    for i in range(start, start + 25)
                ]
            }
        )
    began = time.perf_counter()
    with app.start(_mapping(app.template, BatchSize=100)) as pollers:
        assert pollers.wait_idle(30)
        took = time.perf_counter() - began
        totals = pollers.totals()
    assert totals["delivered"] == 2200  # the 200 above come again: this poller starts at TRIM_HORIZON
    rate = totals["delivered"] / took
    print(
        f"\nstream delivery lag over {lag['n']} records: p50 {lag['p50'] * 1000:.0f} ms, "
        f"p90 {lag['p90'] * 1000:.0f} ms, p99 {lag['p99'] * 1000:.0f} ms, max {lag['max'] * 1000:.0f} ms; "
        f"drain {totals['delivered']} records in {took:.2f} s = {rate:.0f} records/s "
        f"({totals['invocations']} invocations)"
    )
    assert rate > 200


# ------------------------------------------------------------------------------------------ shard lineage


class FakeStreams:
    """The DynamoDB Streams API over in-memory shards, for lineage that DynamoDB Local never produces
    (its streams have one shard, closed only when the stream is disabled). One shard per DescribeStream
    page, children listed before their parent."""

    def __init__(self) -> None:
        self.shards: dict[str, dict[str, Any]] = {}

    def add_shard(self, shard_id: str, parent: str | None = None, keys: tuple[str, ...] = ()) -> None:
        self.shards = {shard_id: {"parent": parent, "closed": False, "records": []}, **self.shards}
        for key in keys:
            self.append(shard_id, key)

    def append(self, shard_id: str, key: str) -> None:
        seq = sum(len(s["records"]) for s in self.shards.values()) + 1
        self.shards[shard_id]["records"].append(
            {
                "eventID": f"id-{key}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ddblocal",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1795320480.0,
                    "Keys": {"pk": {"S": key}},
                    "NewImage": {"pk": {"S": key}, "kind": {"S": "evt"}},
                    "SequenceNumber": f"{seq:021d}",
                    "SizeBytes": 10,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )

    def describe_stream(self, StreamArn: str, ExclusiveStartShardId: str | None = None) -> dict[str, Any]:
        ids = list(self.shards)
        start = ids.index(ExclusiveStartShardId) + 1 if ExclusiveStartShardId else 0
        page = ids[start : start + 1]
        shards = []
        for shard_id in page:
            shard = self.shards[shard_id]
            seq_range = {"StartingSequenceNumber": "0"}
            if shard["closed"]:
                seq_range["EndingSequenceNumber"] = "9" * 21
            shards.append(
                {
                    "ShardId": shard_id,
                    "SequenceNumberRange": seq_range,
                    **({"ParentShardId": shard["parent"]} if shard["parent"] else {}),
                }
            )
        more = {"LastEvaluatedShardId": page[-1]} if start + 1 < len(ids) else {}
        return {"StreamDescription": {"Shards": shards, **more}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str, **_: Any) -> dict[str, Any]:
        position = len(self.shards[ShardId]["records"]) if ShardIteratorType == "LATEST" else 0
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        shard_id, position = ShardIterator.rsplit("|", 1)
        shard = self.shards[shard_id]
        records = shard["records"][int(position) : int(position) + Limit]
        end = int(position) + len(records)
        done = shard["closed"] and end == len(shard["records"])
        return {"Records": records, **({} if done else {"NextShardIterator": f"{shard_id}|{end}"})}


def _fake_poller(fixture_template: dict[str, Any], streams: FakeStreams, tmp_path: Path, **changes: Any) -> Poller:
    spec = functions(_mapping(fixture_template, **changes), {}, root=FIXTURE)[FUNCTION]
    (source,) = stream_sources(spec)
    return Poller(spec, source, "arn:fake-stream", streams, tmp_path, poll_interval=0.02)


def test_shards_are_read_parent_first(fixture_template, tmp_path, monkeypatch) -> None:
    log_path = tmp_path / "consumer.jsonl"
    monkeypatch.setenv("CONSUMER_LOG", str(log_path))
    streams = FakeStreams()
    streams.add_shard("shard-a", keys=("a1", "a2"))
    streams.shards["shard-a"]["closed"] = True
    streams.add_shard("shard-b", parent="shard-a", keys=("b1",))  # listed before its parent
    streams.add_shard("shard-c", parent="shard-b", keys=("c1",))
    poller = _fake_poller(fixture_template, streams, tmp_path)
    poller.prime()
    poller.start()
    with Pollers([poller]) as pollers:
        assert pollers.wait_idle(5)
        # b is still open: c (its child) must wait, even as b gets new records.
        streams.append("shard-b", "b2")
        assert pollers.wait_idle(5)
        streams.shards["shard-b"]["closed"] = True
        assert pollers.wait_idle(5)
    keys = [_key(r) for line in log_path.read_text().splitlines() for r in json.loads(line)["records"]]
    assert keys == ["a1", "a2", "b1", "b2", "c1"]


def test_latest_skips_closed_shards_and_starts_open_ones_at_their_end(fixture_template, tmp_path, monkeypatch) -> None:
    log_path = tmp_path / "consumer.jsonl"
    monkeypatch.setenv("CONSUMER_LOG", str(log_path))
    streams = FakeStreams()
    streams.add_shard("shard-a", keys=("a1",))
    streams.shards["shard-a"]["closed"] = True
    streams.add_shard("shard-b", parent="shard-a", keys=("b1",))
    poller = _fake_poller(fixture_template, streams, tmp_path, StartingPosition="LATEST")
    poller.prime()
    poller.start()
    with Pollers([poller]) as pollers:
        streams.append("shard-b", "b2")
        streams.shards["shard-b"]["closed"] = True
        streams.add_shard("shard-c", parent="shard-b", keys=("c1",))  # new after the start: from its beginning
        assert pollers.wait_idle(5)
    keys = [_key(r) for line in log_path.read_text().splitlines() for r in json.loads(line)["records"]]
    assert keys == ["b2", "c1"]


# ------------------------------------------------------------------------------------------ filter rules
# Lambda's event-filtering semantics without an engine (the cases the app's filters will use).

_RECORD = {
    "eventName": "MODIFY",
    "eventSource": "aws:dynamodb",
    "dynamodb": {
        "Keys": {"account_id": {"S": "acc-42"}},
        "NewImage": {
            "account_id": {"S": "acc-42"},
            "balance_minutes": {"N": "90"},
            "plan": {"S": "Member"},
            "tags": {"L": [{"S": "a"}]},
        },
        "OldImage": {"account_id": {"S": "acc-42"}, "balance_minutes": {"N": "150"}},
        "SizeBytes": 120,
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["MODIFY"]}, True),
        ({"eventName": ["INSERT", "REMOVE"]}, False),
        ({"eventName": ["MODIFY"], "eventSource": ["aws:dynamodb"]}, True),  # keys AND
        ({"eventName": ["MODIFY"], "eventSource": ["aws:kinesis"]}, False),
        ({"dynamodb": {"Keys": {"account_id": {"S": [{"prefix": "acc-"}]}}}}, True),
        ({"dynamodb": {"Keys": {"account_id": {"S": [{"suffix": "-42"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"plan": {"S": [{"equals-ignore-case": "member"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"plan": {"S": [{"anything-but": ["Member", "Prepaid"]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"plan": {"S": [{"anything-but": {"prefix": "Pre"}}]}}}}, True),
        ({"dynamodb": {"NewImage": {"plan": {"S": [{"wildcard": "M*r"}]}}}}, True),
        # Numbers are strings in a stream record: "numeric" never matches them (as in AWS), equality does.
        ({"dynamodb": {"NewImage": {"balance_minutes": {"N": [{"numeric": ["<", 100]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"balance_minutes": {"N": ["90"]}}}}, True),
        ({"dynamodb": {"NewImage": {"balance_minutes": {"N": [90]}}}}, False),
        ({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 120]}]}}, True),  # a JSON number
        ({"dynamodb": {"SizeBytes": [{"numeric": [">=", 121]}]}}, False),
        ({"dynamodb": {"NewImage": {"low_balance_sent": [{"exists": False}]}}}, True),
        ({"dynamodb": {"NewImage": {"plan": [{"exists": True}]}}}, True),  # on an object: present
        ({"dynamodb": {"NewImage": {"plan": [{"exists": False}]}}}, False),
        ({"dynamodb": {"NewImage": {"missing": {"S": ["x"]}}}}, False),
        ({"dynamodb": {"NewImage": {"tags": {"L": {"S": ["a"]}}}}}, True),  # any element of an array
        ({"$or": [{"eventName": ["INSERT"]}, {"dynamodb": {"OldImage": {"balance_minutes": {"N": ["150"]}}}}]}, True),
    ],
)
def test_filter_semantics(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(compile_pattern(json.dumps(pattern)), _RECORD) is expected


@pytest.mark.parametrize(
    "text",
    [
        '{"eventName": "INSERT"}',  # a leaf must be a list
        '{"eventName": []}',
        "[]",
        "{}",
        "not json",
        '{"x": [{"numeric": ["<"]}]}',
        '{"x": [{"regex": "a.*"}]}',
        '{"x": [{"exists": "yes"}]}',
    ],
)
def test_invalid_filter_patterns_are_refused(text: str) -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern(text)


def test_a_pattern_must_be_a_json_string(fixture_template: dict[str, Any], dynamodb_local) -> None:
    template = _mapping(fixture_template, FilterCriteria={"Filters": [{"Pattern": {"eventName": ["INSERT"]}}]})
    specs = functions(template, {"EventsTable": "unused"}, root=FIXTURE)
    with pytest.raises(FilterPatternError, match="JSON string"):
        start_pollers(specs, dynamodb_local.client(), {"EventsTable": "unused"}, Path("unused"))
