"""Sending work to a queue (the month-end fan-out, SPEC M1): SQS, unless another adapter is installed for
the ``queue`` port (``hourbank.ports.adapters``: the local stack installs its own)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hourbank.ports import adapters

SQS_BATCH = 10  # SendMessageBatch's limit


def send(queue_url: str, bodies: Iterable[dict[str, Any]], *, client: Any = None) -> int:
    """Send each body as one message; returns how many were sent. Raises if any was refused."""
    items = [json.dumps(body, separators=(",", ":")) for body in bodies]
    if not queue_url:
        raise RuntimeError("no queue URL configured")
    installed = adapters.installed("queue")
    if client is None and installed is not None:
        return int(installed(queue_url, items))
    if client is None:
        import boto3  # lazily: only the planner sends

        client = boto3.client("sqs")
    for start in range(0, len(items), SQS_BATCH):
        chunk = items[start : start + SQS_BATCH]
        answer = client.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
        )
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} messages: {answer['Failed'][:3]}")
    return len(items)
