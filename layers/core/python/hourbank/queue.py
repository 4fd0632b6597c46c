"""Sending work to a queue (the month-end fan-out, SPEC M1): SQS in AWS; on the local stack a directory
(``file://`` URL), one JSON file per message, which the stack's queue poller delivers to the consumer."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

SQS_BATCH = 10  # SendMessageBatch's limit


def send(queue_url: str, bodies: Iterable[dict[str, Any]], *, client: Any = None) -> int:
    """Send each body as one message; returns how many were sent. Raises if any was refused."""
    items = [json.dumps(body, separators=(",", ":")) for body in bodies]
    if not queue_url:
        raise RuntimeError("no queue URL configured")
    if queue_url.startswith("file:"):
        return _to_directory(Path(url2pathname(urlparse(queue_url).path)), items)
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


def _to_directory(directory: Path, items: list[str]) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for body in items:
        name = f"{uuid.uuid1().hex}.json"  # time-ordered: the poller delivers oldest first
        tmp = directory / f".{name}.tmp"
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, directory / name)  # a message appears whole or not at all
    return len(items)
