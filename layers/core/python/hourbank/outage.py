"""Is this failure the database (or network) being unavailable for a moment, rather than a bug?

Such a failure - throttling left after botocore's own retries, an internal error, a timeout, a dropped
connection - is answered 503 ``service_unavailable`` (API.md): the caller may retry the same request
(retries are safe: money requests carry idempotency keys, closes and webhook events are idempotent). Any
other exception is still a bug and stays a function error. ``contention`` (refused conditions, 40 tries)
is a different answer: ``store.with_retries``.
"""

from __future__ import annotations

RETRYABLE_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
    "TransactionConflictException", "TransactionInProgressException", "LimitExceededException",
})


def is_outage(exc: BaseException | None) -> bool:
    """True if ``exc``, or an exception it wraps (pynamodb's ``cause``, ``__cause__``), is transient."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionError | HTTPClientError):  # timeouts, refused or dropped connections
            return True
        code = getattr(exc, "cause_response_code", None)
        if isinstance(exc, ClientError):
            code = (exc.response.get("Error") or {}).get("Code")
        if code in RETRYABLE_CODES:
            return True
        exc = getattr(exc, "cause", None) or exc.__cause__
    return False
