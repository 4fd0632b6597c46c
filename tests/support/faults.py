"""Faults injected at the HTTP-client level (issue 16), never by patching domain code.

* ``DynamoFaults``: a botocore ``before-send`` handler (``aws_hooks``) that answers a share of the DynamoDB
  calls made by template functions with what DynamoDB answers under stress - ThrottlingException,
  ProvisionedThroughputExceededException, InternalServerError (HTTP 500), a TransactionCanceledException
  whose reasons are TransactionConflict - or raises a read timeout, before anything is sent. botocore's
  retry handler, pynamodb and the application then see exactly what they would see from AWS.
* ``FaultyStripe``: a stripe ``HTTPClient`` (stripe's pluggable transport) in front of a fake Stripe that
  answers a share of requests 429 or 5xx or raises a connection timeout, and honours Idempotency-Key as
  Stripe does (a replayed POST returns the first answer and creates nothing).
"""

from __future__ import annotations

import io
import json
import random
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DYNAMO_KINDS = ("throttling", "provisioned", "internal", "conflict", "timeout")
_ERRORS = {
    "throttling": (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    "provisioned": (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    "internal": (500, "InternalServerError", "Internal server error"),
}


class _Raw(io.BytesIO):
    """What botocore's AWSResponse reads a body from."""

    def stream(self, **_: Any):
        yield self.getvalue()


class DynamoFaults:
    """Answer ``share`` of the DynamoDB calls made inside a function's handler with a fault (seeded)."""

    def __init__(
        self, share: float, *, seed: int = 16, kinds: tuple[str, ...] = DYNAMO_KINDS, only: set[str] | None = None
    ) -> None:
        self.share, self.kinds, self.only = share, kinds, only
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter = Counter()  # by operation
        self.injected: Counter = Counter()  # by kind

    def __call__(self, *, request: Any, event_name: str, function: str | None = None, **_: Any) -> Any:
        if function is None or not event_name.startswith("before-send.dynamodb."):
            return None
        operation = event_name.rsplit(".", 1)[1]
        if self.only is not None and operation not in self.only:
            return None
        with self._lock:
            self.calls[operation] += 1
            if self._rng.random() >= self.share:
                return None
            kinds = [k for k in self.kinds if k != "conflict" or operation == "TransactWriteItems"]
            kind = self._rng.choice(kinds)
            self.injected[kind] += 1
        if kind == "timeout":
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url=request.url)
        if kind == "conflict":
            items = len(json.loads(request.body or b"{}").get("TransactItems") or [])
            body = {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                f"[{', '.join(['TransactionConflict'] * items)}]",
                "CancellationReasons": [
                    {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                ]
                * items,
            }
            return self._answer(request, 400, body)
        status, code, message = _ERRORS[kind]
        return self._answer(request, status, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})

    @staticmethod
    def _answer(request: Any, status: int, body: dict) -> Any:
        from botocore.awsrequest import AWSResponse

        raw = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-RequestId": "fault-injected",
            "Content-Length": str(len(raw)),
        }
        return AWSResponse(request.url, status, headers, _Raw(raw))

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())


class FaultyStripe:
    """A stripe HTTPClient: a fake Stripe (``answer(method, path, form) -> JSON``) behind ``share`` of
    faults: 429, 500, 503 or a timeout. Replays by Idempotency-Key return the first answer, so ``created``
    counts what Stripe would really have created."""

    name = "faulty"

    def __init__(self, answer: Any, share: float, *, seed: int = 16) -> None:
        import stripe

        class _Client(stripe.HTTPClient):
            name = "faulty"

            def request(inner, method, url, headers, post_data=None, *, _usage=None):
                return self._request(method, url, headers, post_data)

            def request_stream(inner, *a, **k):  # pragma: no cover
                raise AssertionError("no streaming")

            def close(inner):
                pass

        self.client = _Client()
        self.answer, self.share = answer, share
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.requests = 0
        self.injected: Counter = Counter()
        self.created: Counter = Counter()  # (method, path) of requests that changed something at "Stripe"
        self._replies: dict[str, tuple[str, int, dict]] = {}

    def _request(self, method: str, url: str, headers: dict, post_data: Any) -> tuple[str, int, dict]:
        import stripe

        path = urlsplit(url).path
        with self._lock:
            self.requests += 1
            fault = self._rng.choice(("429", "500", "503", "timeout")) if self._rng.random() < self.share else None
            if fault:
                self.injected[fault] += 1
        if fault == "timeout":
            raise stripe.APIConnectionError("Request timed out (injected)", should_retry=True)
        if fault:
            code = int(fault)
            body = {
                "error": {
                    "type": "api_error" if code >= 500 else "invalid_request_error",
                    "code": "rate_limit" if code == 429 else None,
                    "message": f"injected {code}",
                }
            }
            return json.dumps(body), code, {"Request-Id": "req_fault"}
        key = (headers or {}).get("Idempotency-Key")
        with self._lock:
            if key and key in self._replies:
                return self._replies[key]
            body = self.answer(method.upper(), path, dict(parse_qsl(post_data or "")))
            reply = (json.dumps(body), 200, {"Request-Id": f"req_{self.requests}", "Idempotent-Replayed": "false"})
            if method.upper() == "POST":
                self.created[(method.upper(), path)] += 1
            if key:
                self._replies[key] = reply
            return reply
