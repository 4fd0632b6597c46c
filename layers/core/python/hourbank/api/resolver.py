"""HTTP plumbing shared by the API functions: the resolver, the one error map, identity from claims.

Domain code never builds a response; this module turns domain errors into API.md's error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from hourbank.api.patterns import CURRENCY_PATTERN
from hourbank.edge.request_body import read_body
from hourbank.kernel import errors, ids
from hourbank.kernel.identity import Actor, actor_from_claims
from hourbank.store.outage import KEY_REFUSED, is_outage, key_refused, unavailable
from hourbank.store.transactions import ensure_bound

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

STATUS: dict[type[errors.HourbankError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthorized: 401,
    errors.InsufficientCredit: 402,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Contention: 503,
    errors.ServiceUnavailable: 503,
}


def error_response(status: int, code: str, message: str, details: dict | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=errors.error_body(code, message, details)
    )


def _status_of(exc: errors.HourbankError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


# Pydantic's own words ("String should match pattern '^[A-Z]{3}$'", "Value error, …", "Input should be …")
# are for programmers; a 400 says which field and what to enter (API.md "Errors"). One table, by error type.
_PATTERN_HINTS = {
    CURRENCY_PATTERN: "enter a three-letter currency code like USD",
    **{pattern: f"is not an id of {'an' if kind[0] in 'aeiou' else 'a'} {kind}" for pattern, kind in ids.KINDS.items()},
}
_PATH_KINDS = {
    "account_id": "account",
    "ticket_id": "ticket",
    "entry_id": "time entry",
    "visit_id": "visit",
    "order_id": "order",
    "review_id": "review",
    "mail_id": "mail",
}
_WHOLE = "must be a whole number, like 30 (a JSON number, not text)"
_NUMBER = "must be a number, like 2 or 2.5 (a JSON number, not text)"
_TIME = "must be a date and time with its UTC offset, like 2026-11-23T09:00:00-05:00"
_MESSAGES: dict[str, Any] = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "string_type": "must be text",
    "string_too_short": lambda c: (
        "must not be empty" if c.get("min_length", 1) <= 1 else f"must be at least {c['min_length']} characters"
    ),
    "string_too_long": lambda c: f"must be at most {c.get('max_length')} characters",
    "string_pattern_mismatch": lambda c: _PATTERN_HINTS.get(c.get("pattern"), "is not in the expected format"),
    "literal_error": lambda c: "must be one of " + str(c.get("expected", "")).replace("'", ""),
    "enum": lambda c: "must be one of " + str(c.get("expected", "")).replace("'", ""),
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": _NUMBER,
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "greater_than": lambda c: f"must be more than {c.get('gt')}",
    "greater_than_equal": lambda c: f"must be {c.get('ge')} or more",
    "less_than": lambda c: f"must be less than {c.get('lt')}",
    "less_than_equal": lambda c: f"must be {c.get('le')} or less",
    "datetime_type": _TIME,
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "timezone_aware": "must carry a UTC offset, e.g. 2026-11-23T09:00:00-05:00",
    "value_error": lambda c: str(c.get("error", "is not valid")),
    "model_type": "send a JSON object with this request's fields",
    "model_attributes_type": "send a JSON object with this request's fields",
    "dict_type": "send a JSON object with this request's fields",
}


def _describe(error: dict) -> str:
    """A pydantic error as "field: what to enter", the way API.md asks for 400s."""
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    if error.get("type") == "json_invalid":
        return f"body: not valid JSON ({error.get('ctx', {}).get('error', 'decode error')})"
    field = ".".join(loc) or "body"
    message = _MESSAGES.get(error.get("type", ""), "is not valid")
    text = message(error.get("ctx") or {}) if callable(message) else message
    if error.get("loc", ("body",))[0] != "body":  # a query or path value is text by nature
        text = text.replace(" (a JSON number, not text)", "")
    return f"{field}: {text}"


class RequestState:
    """The request an execution environment is answering: its event and context, the resolver answering it
    (``kept``), and whether it is a SnapStart priming request. Lambda runs one request at a time per
    environment, one environment per process, so one object per process is exact."""

    event: Any = None
    context: Any = None
    resolver: Resolver | None = None
    priming: bool = False


_request: Any = RequestState()
T = TypeVar("T")


def use_request_state(state: Any) -> None:
    """Keep the current request in ``state`` from now on. Only for a runtime that runs several environments
    in one process: the local stack's in-process mode (``scripts/devstack/lambda_runtime.py``) gives each of
    its threads its own, with a ``threading.local``."""
    global _request
    _request = state


class Resolver(APIGatewayHttpResolver):
    """Authenticates before anything else: Powertools validates the body before any middleware runs,
    and a caller without identity must get 401, not a 400 that describes our fields (API.md).

    The current event and context are read from ``_request`` (``RequestState``), not from the ``BaseRouter``
    class where Powertools keeps them: in Lambda the two are the same thing, and a runtime that answers
    several environments' requests in one process can then keep them apart (``use_request_state``).

    ``public=True`` is for routes API Gateway does not authorize (``Auth: NONE``): the handler decides
    what an anonymous caller may do (``optional_actor``)."""

    def __init__(self, *, public: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.public = public
        # What this execution environment keeps between its requests (a Stripe client, say): one resolver is
        # built per environment (the handler module's import), so this lives and dies with it (``kept``).
        self.environment: dict[str, Any] = {}

    @property  # type: ignore[override]
    def current_event(self) -> Any:
        return _request.event

    @current_event.setter
    def current_event(self, value: Any) -> None:
        _request.event = value

    @property  # type: ignore[override]
    def lambda_context(self) -> Any:
        return getattr(_request, "context", None)  # a threading.local starts empty in each thread

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        _request.context = value

    def get_openapi_json_schema(self, *args: Any, **kwargs: Any) -> str:
        """Powertools documents a 422 on every operation when validation is on; this API answers a request
        that fails validation with 400 (``_invalid`` below) and never 422, so the document says so."""
        doc = json.loads(super().get_openapi_json_schema(*args, **kwargs))
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):  # 422s, never sent
            doc.get("components", {}).get("schemas", {}).pop(name, None)
        return json.dumps(doc)

    def resolve(self, event: dict, context: Any) -> dict:  # type: ignore[override]  # Lambda gives a dict
        claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims")
        if not self.public and actor_from_claims(claims) is None:
            return errors.error_result(401, "unauthorized", "a valid bearer token is required")
        try:  # the request edge: a malformed body is a 400 before anything parses it (hourbank.edge.request_body)
            event = read_body(event)
        except errors.InvalidInput as exc:
            return errors.error_result(400, exc.code, exc.message)
        _request.event = self._to_proxy_event(event)
        _request.context = context
        _request.resolver = self
        return super().resolve(event, context)


def make_resolver(*, public: bool = False) -> APIGatewayHttpResolver:
    app = Resolver(enable_validation=True, public=public)

    @app.exception_handler(errors.HourbankError)
    def _domain_error(exc: errors.HourbankError) -> Response:
        return error_response(_status_of(exc), exc.code, exc.message, exc.details)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_exc: Exception) -> Response:
        # The request edge refuses other types first; should Powertools still refuse one, it is API.md's 400.
        return error_response(400, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)")

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        path = [e["loc"][-1] for e in exc.errors() if e.get("loc", ("body",))[0] == "path"]
        if path:
            # An id in the path that is not of its kind's shape (hourbank.kernel.ids) names nothing that can exist:
            # 404, as for an id of the right shape that names nothing (issue 23).
            kind = _PATH_KINDS.get(str(path[0]), "object")
            return error_response(404, "not_found", f"{kind} not found ({path[0]} is not the id of one)")
        problems = [_describe(e) for e in exc.errors()]
        return error_response(
            400, "invalid_input", "; ".join(problems) or "the request is not valid", {"fields": problems}
        )

    @app.exception_handler(Exception)
    def _outage(exc: Exception) -> Response:
        """DynamoDB not reached, or throttled past botocore's retries: 503 ``service_unavailable``, never a
        bare 500 or a misleading ``contention``. A key DynamoDB refuses for its size is the caller's input
        (an id the edge did not check): 400. Anything else is a bug and stays one (500), traceback logged."""
        if key_refused(exc):
            return error_response(400, errors.InvalidInput.code, KEY_REFUSED)
        if not is_outage(exc):
            raise exc
        refusal = unavailable()
        return error_response(503, refusal.code, refusal.message)

    @app.not_found
    def _no_route(_exc: Exception) -> Response:
        return error_response(404, "not_found", "no such route")

    from hourbank.api.priming import prime
    from hourbank.edge import snapstart

    snapstart.register(lambda: prime(app, _request))  # SnapStart: every route once before the snapshot (no I/O)
    return app


def _refuse_priming() -> None:
    """A SnapStart priming request (``hourbank.api.priming``) stops here, before any domain code or database."""
    if getattr(_request, "priming", False):
        raise errors.Unauthorized("a priming request reaches no domain code")


def kept(name: str, build: Callable[[], T]) -> T:
    """``build()`` once per execution environment, kept by the resolver answering the current request (routes
    live in shared modules; the resolver is the environment's own, so a retired environment forgets it)."""
    environment = _request.resolver.environment
    if name not in environment:
        environment[name] = build()
    return environment[name]


def current_actor(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> Actor:
    """The caller, from the claims API Gateway verified. A missing identity is a 401, never a guess."""
    _refuse_priming()
    ensure_bound()
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    actor = actor_from_claims(claims)
    if actor is None:
        raise errors.Unauthorized("a valid bearer token is required")
    return actor


def optional_actor(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> Actor | None:
    """On a public route: the caller of a valid bearer token, None without a token, 401 for a bad one."""
    from hourbank.edge.bearer_tokens import actor_from_header
    from hourbank.ports.settings import get_settings

    _refuse_priming()
    ensure_bound()
    return actor_from_header(app.current_event.headers.get("authorization"), get_settings().payments)
