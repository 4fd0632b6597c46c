"""X-Ray subsegments for the calls a request makes (issue 16): every botocore call (DynamoDB, SQS, SES, SSM)
and every ``http.client`` request (stripe's HTTP client), under the segment Lambda opens for each
invocation (``Tracing: Active`` in template.yaml).

``enable()`` runs once per execution environment, on the first request (``store.bind``), never at import:
the X-Ray SDK is loaded only in Lambda with tracing on, so cold imports, the local stack and the tests do
not pay for it (``docs/BENCHMARKS.md``, issue 16, has the cost).
"""

from __future__ import annotations

import os
import threading

PATCHED = ("botocore", "httplib")
_lock = threading.Lock()
_done: list[bool] = []


def wanted() -> bool:
    """In Lambda (LAMBDA_TASK_ROOT; not SAM local), unless POWERTOOLS_TRACE_DISABLED says otherwise."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true"):
        return False
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not os.environ.get("AWS_SAM_LOCAL")


def enable() -> bool:
    """Patch botocore and http.client for X-Ray, once. Returns whether tracing is on."""
    with _lock:
        if _done:
            return _done[0]
        on = wanted()
        if on:
            from aws_lambda_powertools import Tracer

            Tracer(patch_modules=PATCHED)
        _done.append(on)
        return on
