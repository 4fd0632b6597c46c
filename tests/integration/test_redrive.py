"""scripts/redrive.py (issue 16, docs/RUNBOOK.md): failed work goes back after a fix, once, however often the
script is run - a dead-letter queue to its source queue, and a stream function's on-failure records replayed
from the table's stream (DynamoDB Local's streams) through the function itself."""

from __future__ import annotations

import io
import json

import pytest

from hourbank.ports.settings import get_settings
from hourbank.store.models import InvoiceModel
from scripts import redrive
from scripts.localdev import lambda_runtime

pytestmark = pytest.mark.integration


def test_dead_letters_go_back_to_their_queue_once(tmp_path):
    dead, source = (tmp_path / "MonthEndFailures"), (tmp_path / "MonthEndQueue")
    for i in range(3):
        redrive.Queue(dead.as_uri()).send(json.dumps({"month": "2026-11", "account_ids": [f"acc_{i}"]}))
    out = io.StringIO()
    assert (
        redrive.redrive_queue(redrive.Queue(dead.as_uri()), redrive.Queue(source.as_uri()), dry_run=True, out=out) == 3
    )
    assert len(list(dead.glob("*.json"))) == 3, "a dry run moves nothing"
    assert redrive.redrive_queue(redrive.Queue(dead.as_uri()), redrive.Queue(source.as_uri()), out=out) == 3
    assert redrive.redrive_queue(redrive.Queue(dead.as_uri()), redrive.Queue(source.as_uri()), out=out) == 0
    pages = sorted(json.loads(p.read_text())["account_ids"][0] for p in source.glob("*.json"))
    assert pages == ["acc_0", "acc_1", "acc_2"] and not list(dead.glob("*.json"))


def test_a_failed_stream_batch_is_replayed_from_the_stream_through_the_function(
    dynamodb_local, tables, tmp_path, make_account
):
    """What Lambda writes to InvoicingFailures is where the batch was; the script reads the records again and
    invokes InvoicingFunction with them; a second run finds nothing to do."""
    account = make_account("member")
    invoice = InvoiceModel(
        account,
        "inv_redrive01",
        kind="month_end",
        status="draft",
        minutes=60,
        amount_minor=15_000,
        currency="USD",
        description="Support time",
        reason="month end",
        created_at="2026-11-30T10:00:00+00:00",
    )
    invoice.save()
    streams = redrive.raw_streams_client(dynamodb_local.endpoint)
    arn = dynamodb_local.client().describe_table(TableName=get_settings().invoices_table)["Table"]["LatestStreamArn"]
    found = None
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        while it and found is None:
            page = streams.get_records(ShardIterator=it)
            for rec in page["Records"]:
                if rec["dynamodb"]["Keys"]["invoice_id"]["S"] == "inv_redrive01":
                    found = (shard["ShardId"], rec["dynamodb"]["SequenceNumber"])
            it = page.get("NextShardIterator") if page["Records"] else None
    assert found is not None
    failures = tmp_path / "InvoicingFailures"
    # The on-failure record Lambda sends for a DynamoDB stream source (AWS Lambda developer guide).
    redrive.Queue(failures.as_uri()).send(
        json.dumps(
            {
                "requestContext": {
                    "requestId": "r1",
                    "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:x",
                    "condition": "RetryAttemptsExhausted",
                    "approximateInvokeCount": 9,
                },
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "version": "1.0",
                "timestamp": "2026-11-30T10:05:00.000Z",
                "DDBStreamBatchInfo": {
                    "shardId": found[0],
                    "startSequenceNumber": found[1],
                    "endSequenceNumber": found[1],
                    "approximateArrivalOfFirstRecord": "2026-11-30T10:00:00Z",
                    "approximateArrivalOfLastRecord": "2026-11-30T10:00:00Z",
                    "batchSize": 1,
                    "streamArn": arn,
                },
            }
        )
    )
    spec = lambda_runtime.functions(strict=False)["InvoicingFunction"]
    seen: list[dict] = []

    def invoke(event: dict) -> dict:
        seen.append(json.loads(json.dumps(event)))  # as it would travel to Lambda
        return lambda_runtime.invoke(spec, seen[-1], source="redrive")

    out = io.StringIO()
    assert redrive.replay_stream(redrive.Queue(failures.as_uri()), invoke, streams, out=out) == (1, 0), out.getvalue()
    fresh = InvoiceModel.get(account, "inv_redrive01", consistent_read=True)
    assert fresh.status == "open" and fresh.stripe_invoice_id
    assert [r["dynamodb"]["Keys"]["invoice_id"]["S"] for r in seen[0]["Records"]] == ["inv_redrive01"]
    assert seen[0]["Records"][0]["eventSourceARN"] == arn
    assert redrive.replay_stream(redrive.Queue(failures.as_uri()), invoke, streams, out=out) == (0, 0)
    assert len(seen) == 1
