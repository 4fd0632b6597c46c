"""Drive the API functions the way API Gateway does: route by the template's HttpApi events, build the
payload-v2.0 event with verified JWT claims, invoke the handler in-process, decode the response.

Routing comes from template.yaml, so a route the template does not declare cannot pass a test.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.template import load_template

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Route:
    method: str
    path: str
    pattern: re.Pattern
    function: str
    code_uri: str
    handler: str


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


def routes(template: dict | None = None) -> list[Route]:
    template = template or load_template()
    out = []
    for name, res in template["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            path = event["Properties"]["Path"]
            regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
            out.append(
                Route(
                    event["Properties"]["Method"].upper(),
                    path,
                    re.compile(regex),
                    name,
                    props["CodeUri"],
                    props.get("Handler", "app.lambda_handler"),
                )
            )
    return out


_specs: dict | None = None


def spec_of(route: Route):
    """The function behind a route, run through the local stack's runtime: each concurrent call gets an
    execution environment of its own, as in Lambda (one request at a time per environment)."""
    global _specs
    if _specs is None:
        from devstack.lambda_runtime import functions

        _specs = functions(strict=False)
    return _specs[route.function]


def invoke(route: Route, event: dict) -> dict:
    from devstack.lambda_runtime import InvocationError
    from devstack.lambda_runtime import invoke as run

    try:
        return run(spec_of(route), event, source="test")
    except InvocationError as exc:
        raise exc.cause from None  # a test sees the handler's own exception, as a 500 would hide it


def claims(role: str, account_id: str | None = None, sub: str | None = None, name: str | None = None) -> dict:
    """Verified claims as the JWT authorizer passes them. Staff carry a ``name`` (SPEC W2): ``name`` or one
    made from the subject."""
    groups = {"technician": "technicians", "billing": "billing", "customer": "customers"}[role]
    out = {"sub": sub or f"{role}-{uuid.uuid4().hex[:8]}", "cognito:groups": f"[{groups}]"}
    if role != "customer":
        out["name"] = name or f"{role.title()} {out['sub']}"
    if account_id:
        out["custom:account_id"] = account_id
    return out


def http_event(
    route: Route,
    path: str,
    params: dict,
    body: str | None,
    *,
    claims: dict | None = None,
    headers: dict | None = None,
    query: dict | None = None,
) -> dict:
    """An API Gateway HTTP API payload-v2.0 event, as the JWT authorizer passes it to the function."""
    method = route.method
    return {
        "version": "2.0",
        "routeKey": f"{method} {route.path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "queryStringParameters": query or None,
        "headers": {"content-type": "application/json", **(headers or {})},
        "pathParameters": params or None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": f"{method} {route.path}",
            "stage": "$default",
            "time": "22/Nov/2026:10:00:00 +0000",
            "timeEpoch": 0,
            "authorizer": {"jwt": {"claims": claims or {}, "scopes": None}},
        },
        "body": body,
        "isBase64Encoded": False,
    }


class LambdaClient:
    """``client.post("/tickets", {...}, as_=claims("technician"))`` -> Reply."""

    def __init__(self) -> None:
        self.routes = routes()

    def match(self, method: str, path: str) -> tuple[Route, dict]:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        raise AssertionError(f"template has no route {method} {path}")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        as_: dict | None = None,
        headers: dict | None = None,
        raw_body: str | None = None,
        query: dict | None = None,
    ) -> Reply:
        route, params = self.match(method, path)
        text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        event = http_event(route, path, params, text, claims=as_, headers=headers, query=query)
        response = invoke(route, event)
        raw = response.get("body")
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw
        return Reply(response["statusCode"], decoded, response.get("headers") or {})

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)
