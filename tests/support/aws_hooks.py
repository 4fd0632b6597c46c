"""Hooks on every botocore client of the test process, whoever made it (pynamodb, boto3, Powertools).

botocore registers ``botocore.handlers.BUILTIN_HANDLERS`` on each new session, and every client copies
its session's event system (moto plugs in the same way). ``install()`` appends one dispatcher per event
name; tests then add and remove handlers at run time with ``handler(...)``. Handlers see the event's
keyword arguments as botocore passes them, plus ``function``: the logical id of the template function
whose handler is running (``devstack.lambda_runtime.CURRENT_FUNCTION``), or None for a test's own
set-up calls.

* ``provide-client-params.<service>.<operation>``: ``params`` are the API parameters (TableName, ...);
* ``before-send.<service>.<operation>``: returning an ``botocore.awsrequest.AWSResponse`` answers the call
  without sending it (fault injection at the HTTP-client level).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Handler = Callable[..., Any]

EVENTS = ("provide-client-params", "before-send")
_handlers: dict[str, list[Handler]] = {name: [] for name in EVENTS}
_lock = threading.Lock()
_installed = False


def _dispatcher(event_name: str) -> Handler:
    def dispatch(**kwargs: Any) -> Any:
        handlers = _handlers[event_name]
        if not handlers:
            return None
        from devstack.lambda_runtime import CURRENT_FUNCTION

        kwargs.setdefault("function", CURRENT_FUNCTION.get())
        for handle in list(handlers):
            answer = handle(**kwargs)
            if answer is not None:
                return answer
        return None

    dispatch.__name__ = f"hourbank_tests_{event_name.replace('-', '_')}"
    return dispatch


def install() -> None:
    """Once per process, before any botocore session exists (the root conftest calls it at import)."""
    global _installed
    with _lock:
        if _installed:
            return
        from botocore.handlers import BUILTIN_HANDLERS

        for name in EVENTS:
            BUILTIN_HANDLERS.append((name, _dispatcher(name)))
        _installed = True


@contextmanager
def handler(event: str, handle: Handler) -> Iterator[Handler]:
    """Run ``handle`` on ``event`` ("provide-client-params" or "before-send") inside the block."""
    if event not in _handlers:
        raise ValueError(f"unknown event {event!r}; one of {EVENTS}")
    install()
    with _lock:
        _handlers[event] = [*_handlers[event], handle]
    try:
        yield handle
    finally:
        with _lock:
            _handlers[event] = [h for h in _handlers[event] if h is not handle]


def add(event: str, handle: Handler) -> None:
    """Keep ``handle`` for the rest of the process (the session-wide recorder)."""
    install()
    with _lock:
        _handlers[event] = [*_handlers[event], handle]
