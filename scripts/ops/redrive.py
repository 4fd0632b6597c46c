"""Redrive failed work after the cause is fixed (docs/RUNBOOK.md). Idempotent: run it again at any time.

python -m ops.redrive queue --from DLQ_URL --to SOURCE_URL [--dry-run]
    Every message of a dead-letter queue (MonthEndFailures) back to its source queue (MonthEndQueue):
    each is sent, then deleted, so a crash in between delivers one page twice - harmless, the worker
    skips accounts already closed (SPEC M2). In AWS, `aws sqs start-message-move-task --source-arn
    DLQ_ARN` does the same; this script also works on the local stack's queues (file:// URLs).

python -m ops.redrive stream --from FAILURES_URL --function FUNCTION_NAME [--dry-run]
    A stream function's on-failure queue (BalanceWatchFailures, InvoicingFailures) holds only where the
    failed batch was (shard, first and last sequence number), not the records. For each message the
    records are read again from the table's stream (kept 24 hours) and the function is invoked with them,
    as the event source mapping would; the message is deleted only when every record was handled. Both
    functions are idempotent per record (one invoice per crossing, one Stripe invoice per invoice).
    Records older than the stream's 24 hours are gone: the message is kept and reported, and the runbook
    says what to do instead.

python -m ops.redrive async --from FAILURES_URL [--function FUNCTION_NAME] [--dry-run]
    The on-failure queue of asynchronous invocations (ScheduledRunFailures: the month-end planner, the
    response warnings, the visit expiry) holds Lambda's on-failure record with the run's event
    (``requestPayload``). Each is invoked again with that event - on the function it names
    (``requestContext.functionArn``) unless ``--function`` is given - and deleted only if it succeeded.
    Each of those functions is idempotent per run (SPEC M2; one warning per ticket; an expired visit once).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

# -- queues: SQS, or the local stack's directories --------------------------------------------------------


class Queue:
    """Receive, send, delete on an SQS queue URL or a local ``file://`` directory queue."""

    def __init__(self, url: str, client: Any = None) -> None:
        self.url = url
        self.local = Path(url2pathname(urlparse(url).path)) if url.startswith("file:") else None
        if self.local is None and client is None:
            import boto3

            client = boto3.client("sqs")
        self.client = client

    def messages(self) -> Iterator[tuple[str, str]]:
        """(receipt, body) of every message, each once in this run."""
        if self.local is not None:
            for path in sorted(self.local.glob("*.json")) if self.local.is_dir() else []:
                yield str(path), path.read_text(encoding="utf-8")
            return
        seen: set[str] = set()
        while True:
            got = (
                self.client.receive_message(
                    QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=300
                ).get("Messages")
                or []
            )
            fresh = [m for m in got if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                yield message["ReceiptHandle"], message["Body"]

    def send(self, body: str) -> None:
        if self.local is not None:
            from devstack.adapters import send_to_directory

            send_to_directory(self.url, [body])
            return
        self.client.send_message(QueueUrl=self.url, MessageBody=body)

    def delete(self, receipt: str) -> None:
        if self.local is not None:
            Path(receipt).unlink(missing_ok=True)
            return
        self.client.delete_message(QueueUrl=self.url, ReceiptHandle=receipt)


def redrive_queue(dead: Queue, source: Queue, *, dry_run: bool = False, out=sys.stdout) -> int:
    moved = 0
    for receipt, body in dead.messages():
        if not dry_run:
            source.send(body)
            dead.delete(receipt)  # only after the send: a crash in between redelivers, never loses
        moved += 1
    print(f"{'would move' if dry_run else 'moved'} {moved} message(s) to {source.url}", file=out)
    return moved


# -- stream on-failure records ---------------------------------------------------------------------------


def stream_records(info: dict, streams: Any) -> list[dict]:
    """The records of one failed batch, read again from the stream, as Lambda delivers them."""
    first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    out: list[dict] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for rec in page.get("Records") or []:
            seq = int(rec["dynamodb"]["SequenceNumber"])
            if seq > last:
                return out
            if seq >= first:
                out.append({**rec, "eventSourceARN": info["streamArn"]})
        if not page.get("Records") or len(out) >= int(info.get("batchSize") or 10_000):
            break
        iterator = page.get("NextShardIterator")
    return out


def replay_stream(
    failures: Queue, invoke: Callable[[dict], dict], streams: Any, *, dry_run: bool = False, out=sys.stdout
) -> tuple[int, int]:
    """(batches replayed, batches kept). ``invoke(event) -> the function's response``, raising if it failed."""
    done = kept = 0
    for receipt, body in failures.messages():
        info = json.loads(body).get("DDBStreamBatchInfo") or {}
        try:
            records = stream_records(info, streams)
        except Exception as exc:  # TrimmedDataAccessException, ExpiredIteratorException: past 24 hours
            print(
                f"kept {info.get('shardId')}:{info.get('startSequenceNumber')}: {type(exc).__name__}: {exc}", file=out
            )
            kept += 1
            continue
        if not records:
            print(
                f"kept {info.get('shardId')}:{info.get('startSequenceNumber')}: no records left in the stream", file=out
            )
            kept += 1
            continue
        if dry_run:
            print(f"would replay {len(records)} record(s) from {info['shardId']}", file=out)
            done += 1
            continue
        answer = invoke({"Records": records}) or {}
        if answer.get("batchItemFailures"):
            print(
                f"kept {info['shardId']}:{info['startSequenceNumber']}: "
                f"{len(answer['batchItemFailures'])} record(s) failed again",
                file=out,
            )
            kept += 1
            continue
        failures.delete(receipt)
        done += 1
    print(f"replayed {done} batch(es), kept {kept}", file=out)
    return done, kept


# -- asynchronous invocations' on-failure records ------------------------------------------------------


def function_of(record: dict) -> str:
    """The function an on-failure record names: ``arn:aws:lambda:region:account:function:NAME[:qualifier]``."""
    arn = str((record.get("requestContext") or {}).get("functionArn") or "")
    parts = arn.split(":")
    if len(parts) < 7 or parts[5] != "function":
        raise ValueError(f"not a function ARN: {arn!r}")
    return parts[6]


def replay_async(
    failures: Queue, invoker: Callable[[str], Callable[[dict], Any]], *, dry_run: bool = False, out=sys.stdout
) -> tuple[int, int]:
    """(runs replayed, runs kept). ``invoker(function name)`` gives an ``invoke(event)`` that raises if the
    function failed; a run that fails again stays in the queue (and says why)."""
    done = kept = 0
    for receipt, body in failures.messages():
        record = json.loads(body)
        function = function_of(record)
        if "requestPayload" not in record:
            print(f"kept a message for {function}: no requestPayload", file=out)
            kept += 1
            continue
        if dry_run:
            print(f"would invoke {function} again", file=out)
            done += 1
            continue
        try:
            invoker(function)(record["requestPayload"])
        except Exception as exc:
            print(f"kept a run of {function}: it failed again: {type(exc).__name__}: {exc}", file=out)
            kept += 1
            continue
        failures.delete(receipt)
        done += 1
    print(f"replayed {done} run(s), kept {kept}", file=out)
    return done, kept


def raw_streams_client(endpoint_url: str | None = None) -> Any:
    """A dynamodbstreams client that keeps timestamps and binaries as the wire has them (epoch numbers,
    base64), as Lambda's events carry them - so the records are re-sent exactly as Lambda sent them."""
    import botocore.session

    session = botocore.session.Session()
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=lambda v: v, blob_parser=lambda v: v
    )
    return session.create_client(
        "dynamodbstreams", endpoint_url=endpoint_url, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    )


def lambda_invoker(function_name: str) -> Callable[[dict], dict]:
    import boto3

    client = boto3.client("lambda")

    def invoke(event: dict) -> dict:
        answer = client.invoke(
            FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise RuntimeError(f"{function_name} failed: {payload}")
        return payload or {}

    return invoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("queue", help="dead-letter queue -> its source queue")
    q.add_argument("--from", dest="source", required=True, help="the dead-letter queue URL")
    q.add_argument("--to", dest="target", required=True, help="the queue its messages came from")
    q.add_argument("--dry-run", action="store_true")
    s = sub.add_parser("stream", help="a stream function's on-failure queue -> the function, records re-read")
    s.add_argument("--from", dest="source", required=True, help="the on-failure queue URL")
    s.add_argument("--function", required=True, help="the function's name (the stack's physical name)")
    s.add_argument("--dry-run", action="store_true")
    a = sub.add_parser("async", help="asynchronous invocations' on-failure queue -> the function, same event")
    a.add_argument("--from", dest="source", required=True, help="the on-failure queue URL (ScheduledRunFailures)")
    a.add_argument("--function", help="the function's name (default: the one each record names)")
    a.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "queue":
        redrive_queue(Queue(args.source), Queue(args.target), dry_run=args.dry_run)
        return 0
    if args.command == "async":
        fixed = args.function
        _, kept = replay_async(Queue(args.source), lambda name: lambda_invoker(fixed or name), dry_run=args.dry_run)
        return 1 if kept else 0
    _, kept = replay_stream(
        Queue(args.source), lambda_invoker(args.function), raw_streams_client(), dry_run=args.dry_run
    )
    return 1 if kept else 0


if __name__ == "__main__":
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sys.exit(main())
