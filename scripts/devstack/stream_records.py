"""DynamoDB stream records built from real items, in the shape Lambda delivers them to a consumer."""

from __future__ import annotations

import itertools
import time
from typing import Any

import boto3

_seq = itertools.count(10**20)


def raw_item(table: str, key: dict[str, Any]) -> dict:
    """The item as DynamoDB JSON (what a stream image holds)."""
    typed = {k: {"S": v} if isinstance(v, str) else {"N": str(v)} for k, v in key.items()}
    return boto3.client("dynamodb").get_item(TableName=table, Key=typed, ConsistentRead=True)["Item"]


def record(
    event_name: str, keys: dict, *, old: dict | None = None, new: dict | None = None, view: str = "NEW_AND_OLD_IMAGES"
) -> dict:
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": int(time.time()),
        "Keys": keys,
        "SequenceNumber": str(next(_seq)),
        "SizeBytes": 256,
        "StreamViewType": view,
    }
    if old is not None:
        change["OldImage"] = old
    if new is not None:
        change["NewImage"] = new
    return {
        "eventID": f"e{change['SequenceNumber']}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/local/stream/2026-11-30T00:00:00.000",
    }


def batch(*records: dict) -> dict:
    return {"Records": list(records)}
