"""Domain errors. Domain code raises these and never imports the HTTP layer; the resolver in the
``api`` package alone maps them to HTTP statuses (API.md)."""

from __future__ import annotations

import json
from typing import Any


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    """API.md's error body, built here only: ``{"error": {"code", "message"}}`` (+ ``details`` when given)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_result(status: int, code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    """The same body as a Lambda proxy result, for answers given without the resolver (the webhook, and
    the resolver's refusals before it runs)."""
    return json_result(status, error_body(code, message, details))


def json_result(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A JSON body as a Lambda proxy result (API Gateway HTTP API, payload 2.0), for answers given without the
    resolver: the one place such a result is shaped."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class HourbankError(Exception):
    """Base of every refusal. ``code`` is the snake_case code clients see; ``message`` a sentence to act on."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class InvalidInput(HourbankError):
    code = "invalid_input"


class NotFound(HourbankError):
    code = "not_found"


class Forbidden(HourbankError):
    code = "forbidden"


class Unauthorized(HourbankError):
    code = "unauthorized"


class InsufficientCredit(HourbankError):
    """SPEC C4: the account's available balance does not cover the work; ``details`` says how much to top up."""

    code = "insufficient_credit"


class Conflict(HourbankError):
    """The request does not fit the object's state (e.g. an entry on a closed ticket, SPEC T7)."""

    code = "conflict"


class TicketClosed(Conflict):
    code = "ticket_closed"


class ServiceUnavailable(HourbankError):
    """The database (or another service we depend on) cannot be reached: an outage, not the caller's fault
    and not contention. The client may retry later."""

    code = "service_unavailable"


class Contention(HourbankError):
    """Too many concurrent writers on one item; the client may retry. Not expected in practice."""

    code = "contention"
