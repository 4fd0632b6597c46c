"""SQS event sources on one machine: every ``AWS::SQS::Queue`` of the template is a directory (its local
URL is ``file://<dir>``, see ``refs.local_refs``), one JSON file per message (written by the
local ``queue`` adapter, ``adapters.send_to_directory``), and every function event ``Type: SQS`` gets a
poller that delivers them the way Lambda's SQS event source mapping does:

* up to ``BatchSize`` messages per invocation, oldest first, in SQS's record shape
  (``messageId``, ``receiptHandle``, ``body``, ``attributes.ApproximateReceiveCount``, ...);
* the handler returns → the messages are deleted, except those named in ``batchItemFailures``
  (``FunctionResponseTypes: [ReportBatchItemFailures]``); it raises → none are deleted;
* a message not deleted comes back after ``retry_delay_s`` (the visibility timeout, shortened locally) and,
  once received ``maxReceiveCount`` times (the queue's ``RedrivePolicy``), moves to the dead-letter
  queue's directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from devstack import lambda_runtime
from devstack.lambda_runtime import FunctionSpec
from devstack.refs import local_refs
from devstack.template import load_template

log = logging.getLogger("localstack")


def queue_dir(url: str) -> Path:
    return Path(url2pathname(urlparse(url).path))


@dataclass
class QueuePoller:
    spec: FunctionSpec
    queue: str  # logical id
    directory: Path
    batch_size: int
    dead_letters: Path | None
    max_receive: int
    retry_delay_s: float = 1.0
    interval_s: float = 0.1
    received: dict[str, int] = field(default_factory=dict)
    hidden_until: dict[str, float] = field(default_factory=dict)
    delivered: int = 0
    failed: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{self.queue}", daemon=True)

    def start(self) -> QueuePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def pending(self) -> int:
        return len(list(self.directory.glob("*.json"))) if self.directory.exists() else 0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(self.interval_s)
            except Exception:  # keep polling; the log says what broke
                log.exception("queue %s: poller error", self.queue)
                self._stop.wait(1.0)

    def poll_once(self) -> int:
        """Deliver one batch; returns how many messages it held."""
        if not self.directory.exists():
            return 0
        now = time.monotonic()
        files = sorted(p for p in self.directory.glob("*.json") if self.hidden_until.get(p.name, 0) <= now)
        batch = files[: self.batch_size]
        if not batch:
            return 0
        records = []
        for path in batch:
            self.received[path.name] = self.received.get(path.name, 0) + 1
            body = path.read_text(encoding="utf-8")
            records.append(
                {
                    "messageId": path.stem,
                    "receiptHandle": f"{path.stem}#{self.received[path.name]}",
                    "body": body,
                    "attributes": {
                        "ApproximateReceiveCount": str(self.received[path.name]),
                        "SentTimestamp": str(int(path.stat().st_mtime * 1000)),
                        "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                    },
                    "messageAttributes": {},
                    "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:us-east-1:000000000000:{self.queue}",
                    "awsRegion": "us-east-1",
                }
            )
        try:
            result = lambda_runtime.invoke(self.spec, {"Records": records}, source=f"sqs:{self.queue}")
            failed = (
                {f.get("itemIdentifier") for f in (result or {}).get("batchItemFailures") or []}
                if isinstance(result, dict)
                else set()
            )
        except lambda_runtime.InvocationError:
            failed = {r["messageId"] for r in records}
        for path in batch:
            if path.stem in failed:
                self.failed += 1
                self._retry_or_dead_letter(path)
            else:
                self.delivered += 1
                path.unlink(missing_ok=True)
                self.received.pop(path.name, None)
        return len(batch)

    def _retry_or_dead_letter(self, path: Path) -> None:
        if self.received.get(path.name, 0) >= self.max_receive and self.dead_letters is not None:
            self.dead_letters.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), self.dead_letters / path.name)
            self.received.pop(path.name, None)
            log.warning("queue %s: message %s moved to the dead-letter queue", self.queue, path.stem)
            return
        self.hidden_until[path.name] = time.monotonic() + self.retry_delay_s


class QueuePollers:
    def __init__(self, pollers: list[QueuePoller]) -> None:
        self.pollers = pollers

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Wait until every queue is empty (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(p.pending() == 0 for p in self.pollers):
                return True
            time.sleep(0.05)
        return False


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            arg = value["Fn::GetAtt"]
            return str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
    return None


def pollers(
    specs: Mapping[str, FunctionSpec], template: Mapping[str, Any] | None = None, *, retry_delay_s: float = 1.0
) -> list[QueuePoller]:
    template = load_template() if template is None else template
    resources = template.get("Resources") or {}
    refs = local_refs(template, {})
    out = []
    for spec in specs.values():
        for event in spec.events.values():
            if event.get("Type") != "SQS":
                continue
            props = event.get("Properties") or {}
            name = _ref(props.get("Queue"))
            if name is None or name not in resources:
                raise ValueError(f"{spec.logical_id}: SQS event needs !GetAtt <Queue>.Arn of this template")
            redrive = (resources[name].get("Properties") or {}).get("RedrivePolicy") or {}
            dlq = _ref(redrive.get("deadLetterTargetArn"))
            out.append(
                QueuePoller(
                    spec,
                    name,
                    queue_dir(refs[name]),
                    int(props.get("BatchSize", 10)),
                    queue_dir(refs[dlq]) if dlq else None,
                    int(redrive.get("maxReceiveCount", 3)),
                    retry_delay_s=retry_delay_s,
                )
            )
    return out


def start_pollers(
    specs: Mapping[str, FunctionSpec], template: Mapping[str, Any] | None = None, *, retry_delay_s: float = 1.0
) -> QueuePollers:
    return QueuePollers([p.start() for p in pollers(specs, template, retry_delay_s=retry_delay_s)])


def dead_letters(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))] if directory.exists() else []
