"""Is this failure the database (or network) being unavailable for a moment, rather than a bug?

Such a failure - throttling left after botocore's own retries, an internal error, a timeout, a dropped
connection - is answered 503 ``service_unavailable`` (API.md): the caller may retry the same request
(retries are safe: money requests carry idempotency keys, closes and webhook events are idempotent). Any
other exception is still a bug and stays a function error. ``contention`` (refused conditions, 40 tries)
is a different answer: ``store.with_retries``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hourbank.kernel.errors import ServiceUnavailable

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "LimitExceededException",
    }
)


def _chain(exc: BaseException | None):
    """``exc`` and every exception it wraps (pynamodb's ``cause``, ``__cause__``, ``__context__``), once each."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__


def unreachable(exc: BaseException | None) -> bool:
    """True if the database was not reached at all: a refused, timed-out or dropped connection. The store
    answers this at once (``unavailable()``); a refused condition or a conflict is contention instead."""
    from botocore.exceptions import ConnectionError, HTTPClientError

    return any(isinstance(e, ConnectionError | HTTPClientError) for e in _chain(exc))


def is_outage(exc: BaseException | None) -> bool:
    """True if ``exc`` means the database (or network) is unavailable for a moment: not reached, or
    throttled / failing internally after botocore's own retries."""
    from botocore.exceptions import ClientError

    if unreachable(exc):
        return True
    for e in _chain(exc):
        code = getattr(e, "cause_response_code", None)
        if isinstance(e, ClientError):
            code = (e.response.get("Error") or {}).get("Code")
        if code in RETRYABLE_CODES:
            return True
    return False


def unavailable() -> ServiceUnavailable:
    """API.md's 503 ``service_unavailable``: the service failed, not the caller; the same request may be retried."""
    from hourbank.kernel.errors import ServiceUnavailable

    return ServiceUnavailable("the database cannot be reached just now; please retry in a minute")
