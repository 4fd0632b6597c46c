"""Amazon SES receiving on one machine (SPEC E1; API.md "Mail, locally"): a ``.eml`` file put in ``.local/inbox/``
is received within a second or two, the way SES → S3 → Lambda delivers it in AWS.

A watcher polls the folder. For each whole ``.eml`` (names starting with ``.`` or ending ``.tmp`` are files still
being written: write to one and rename it), it does what SES's S3 action and S3's event notification do:

* the mail is put into the local S3 stand-in (``adapters.LocalObjects``) as an object of the template's bucket,
  under the receipt rule's prefix (``inbound/``) and a key of its own, as SES names one;
* every function with an ``S3`` event on that bucket whose key filter matches is invoked with the event S3 sends
  (``Records[].s3.bucket/object``, the key URL-encoded) through ``lambda_runtime.invoke``: in a worker process of
  its own with only its template variables (``make dev``), as for every other event source here;
* S3 invokes asynchronously: a failed invocation is retried twice (Lambda's default for asynchronous calls), then
  the file is moved to ``failed/`` beside the error, as the function's on-failure destination would keep it;
* a file received is moved to ``processed/`` (never deleted): what was received stays there to look at.

Up to ``concurrency`` mails are received at once (Lambda scales an asynchronous source out the same way).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from devstack import lambda_runtime
from devstack.lambda_runtime import FunctionSpec
from devstack.refs import local_refs
from devstack.template import REPO_ROOT, load_template

log = logging.getLogger("localstack")
DEFAULT_INBOX = REPO_ROOT / ".local" / "inbox"
ASYNC_RETRIES = 2  # Lambda's default MaximumRetryAttempts for an asynchronous invocation


def inbox_dir() -> Path:
    """``HOURBANK_INBOX_DIR`` of the stack's or test's process, else ``.local/inbox``."""
    return Path(os.environ.get("HOURBANK_INBOX_DIR", "").strip() or DEFAULT_INBOX)


@dataclass(frozen=True)
class Target:
    """A function's S3 event: the bucket it watches (its local name) and the key prefix of its filter."""

    spec: FunctionSpec
    bucket: str
    prefix: str
    retries: int


def targets(specs: Mapping[str, FunctionSpec], template: Mapping[str, Any] | None = None) -> list[Target]:
    template = load_template() if template is None else template
    refs = local_refs(template, {})
    resources = template.get("Resources") or {}
    out = []
    for spec in specs.values():
        props = (resources.get(spec.logical_id) or {}).get("Properties") or {}
        retries = int((props.get("EventInvokeConfig") or {}).get("MaximumRetryAttempts", ASYNC_RETRIES))
        for event in spec.events.values():
            if event.get("Type") != "S3":
                continue
            source = event.get("Properties") or {}
            bucket = str((source.get("Bucket") or {}).get("Ref"))
            rules = ((source.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            prefix = next((r.get("Value", "") for r in rules if r.get("Name") == "prefix"), "")
            out.append(Target(spec, refs[bucket], prefix, retries))
    return out


def s3_event(bucket: str, key: str, body: bytes, at: datetime) -> dict:
    """The event S3 sends for a new object (event notification structure, version 2.1)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:SES"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": "local"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "MailStored",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "LOCAL"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": len(body),
                        "eTag": hashlib.md5(body).hexdigest(),
                        "sequencer": f"{time.time_ns():X}",
                    },
                },
            }
        ]
    }


@dataclass
class MailInbox:
    """The watcher: ``start``/``stop``; ``received`` and ``failed`` count files; ``drain`` waits for the folder."""

    targets: list[Target]
    directory: Path
    objects: Any
    concurrency: int = 4
    interval_s: float = 0.1
    received: int = 0
    failed: int = 0
    _busy: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="ses-inbox")
        self._thread = threading.Thread(target=self._run, name="ses-inbox", daemon=True)

    def start(self) -> MailInbox:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting()) + len(self._busy)

    def drain(self, timeout_s: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            time.sleep(0.05)
        return False

    def _waiting(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(
            p
            for p in self.directory.iterdir()
            if p.is_file() and p.suffix.lower() == ".eml" and not p.name.startswith(".") and p.name not in self._busy
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    batch = self._waiting()
                    self._busy.update(p.name for p in batch)
                for path in batch:
                    self._pool.submit(self._receive, path)
            except Exception:  # keep watching; the log says what broke
                log.exception("inbox: watcher error")
            self._stop.wait(self.interval_s)

    def _receive(self, path: Path) -> None:
        try:
            body = path.read_bytes()
            key_id = uuid.uuid4().hex
            error = None
            for target in self.targets:
                key = f"{target.prefix}{key_id}"
                self.objects.put(target.bucket, key, body, "message/rfc822")  # what SES's S3 action writes
                error = self._invoke(target, key, body) or error
            self._move(path, "failed" if error else "processed", error)
        finally:
            with self._lock:
                self._busy.discard(path.name)

    def _invoke(self, target: Target, key: str, body: bytes) -> str | None:
        event = s3_event(target.bucket, key, body, datetime.now(UTC))
        error = None
        for attempt in range(target.retries + 1):
            try:
                lambda_runtime.invoke(target.spec, event, source="s3:inbox")
                return None
            except lambda_runtime.InvocationError as exc:
                log.warning("inbox: %s failed (attempt %d): %s", key, attempt + 1, exc)
                error = str(exc)
        return error

    def _move(self, path: Path, where: str, error: str | None) -> None:
        folder = self.directory / where
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = folder / f"{stamp}-{uuid.uuid4().hex[:6]}-{path.name}"
        shutil.move(str(path), target)
        if error:
            target.with_suffix(".error.txt").write_text(error + "\n", encoding="utf-8")
            self.failed += 1
        else:
            self.received += 1


def start(specs: Mapping[str, FunctionSpec], *, directory: Path | None = None, concurrency: int = 4) -> MailInbox:
    from devstack.adapters import LocalObjects, exports_dir

    return MailInbox(
        targets(specs), directory or inbox_dir(), LocalObjects(exports_dir()), concurrency=concurrency
    ).start()
