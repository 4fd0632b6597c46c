"""No input is a 500 (API.md "Errors"; issue 11): every malformed body is a 400 in API.md's shape, on
every route of the template - public and authenticated, with and without a token where the route allows
it - and on the Stripe webhook even when the signature is valid. Real HTTP through the local gateway,
which hands a body that is not UTF-8 to the function base64-encoded, as API Gateway does.

The routes come from template.yaml, so a route added later is covered without a line here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack.http_client import Reply, request
from devstack.lambda_client import routes
from tests.e2e.conftest import serve
from tests.integration.conftest import snapshot

pytestmark = pytest.mark.e2e

HOSTILE = {
    # name: (body bytes, content type)
    "not-utf8": (b'{"name": "\xff\xfe"}', "application/json"),
    "lone-byte": (b"\xff", "application/json"),
    "multipart-without-boundary": (b'{"hours": 2}', "multipart/form-data"),
    "multipart-with-boundary": (
        b'--x\r\nContent-Disposition: form-data; name="hours"\r\n\r\n2\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
    ),
    "form": (b"hours=2&kind=one_time", "application/x-www-form-urlencoded"),
    "nested-1000": (b"[" * 1000 + b"]" * 1000, "application/json"),
    "nested-object-1000": (b'{"a":' * 1000 + b"1" + b"}" * 1000, "application/json"),
    "int-5001-digits": (b'{"hours": ' + b"9" * 5001 + b"}", "application/json"),
    "float-overflow": (b'{"hours": 1e999}', "application/json"),
    "nan": (b'{"hours": NaN}', "application/json"),
    "lone-surrogate": (b'{"name": "\\ud800", "email": "a@b.co", "hours": 2}', "application/json"),
    # Issue 23: was accepted, the last value winning (another parser takes the first).
    "duplicate-key": (b'{"hours": 2, "hours": 200}', "application/json"),
}

# The webhook refuses an unsigned body before reading it: its signed cases are below.
ROUTES = sorted({(r.method, r.path) for r in routes() if r.path != "/webhooks/stripe"})


def _path(template: str) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda m: {"account_id": "acc_00000000000000000000000000", "month": "2026-11"}.get(m.group(1), "x_1"),
        template,
    )


@pytest.fixture(scope="module")
def gateway(dynamodb_local, tables) -> Iterator[Any]:
    """This module's own gateway on tables of its own: ``snapshot()`` reads every item of every table twice per
    test, so on empty tables instead of the session's (thousands of items by now) it costs milliseconds, not
    seconds. The same template, functions and gateway as the session's (``serve``), after the session's set-up
    (``tables``: outbox, queues, payment settings)."""
    from devstack.template import create_tables

    with serve(create_tables(dynamodb_local.client(), f"h{secrets.token_hex(2)}")) as served:
        yield served


@pytest.fixture(scope="module")
def http_reply(gateway) -> Callable[..., Reply]:
    def call(method: str, path: str, body: Any = None, token: str | None = None, headers: dict | None = None) -> Reply:
        return request(gateway.url, method, path, body, token, headers)

    return call


@pytest.fixture(scope="module")
def bearer(token) -> str:
    return token("billing", sub="hostile-billing")


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_malformed_body_is_400_on_every_route(http_reply, bearer, method, path, case):
    body, content_type = HOSTILE[case]
    before = snapshot()
    reply = http_reply(method, _path(path), body, token=bearer, headers={"Content-Type": content_type})
    assert reply.status == 400, (reply, reply.raw[:200])
    assert set(reply.body) == {"error"} and reply.body["error"]["message"].startswith("body"), reply
    assert snapshot() == before, "a refused request wrote something"


PUBLIC = [(m, p) for m, p in ROUTES if p.startswith("/orders")]


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize(("method", "path"), PUBLIC, ids=[f"{m} {p}" for m, p in PUBLIC])
def test_malformed_body_is_400_on_public_routes_without_a_token(http_reply, method, path, case):
    body, content_type = HOSTILE[case]
    reply = http_reply(method, _path(path), body, headers={"Content-Type": content_type})
    assert reply.status == 400, (reply, reply.raw[:200])
    assert set(reply.body) == {"error"}, reply


@pytest.mark.parametrize("case", [c for c in HOSTILE if HOSTILE[c][1] == "application/json"])
def test_correctly_signed_malformed_webhook_is_400(http_reply, case):
    """A valid signature proves who sent the bytes, not that they are a Stripe event."""
    from devstack.local_env import webhook_secret

    body, content_type = HOSTILE[case]
    before = snapshot()
    t = str(int(time.time()))  # Stripe's scheme over the exact bytes sent (they need not be UTF-8)
    signature = f"t={t},v1={hmac.new(webhook_secret().encode(), t.encode() + b'.' + body, hashlib.sha256).hexdigest()}"
    reply = http_reply(
        "POST", "/webhooks/stripe", body, headers={"Content-Type": content_type, "Stripe-Signature": signature}
    )
    assert reply.status == 400, (reply, reply.raw[:200])
    assert reply.body["error"]["code"] in ("invalid_payload", "invalid_signature"), reply
    assert snapshot() == before


def test_api_gateway_base64_body_that_does_not_decode_is_400(gateway):
    """API Gateway's own event shape, straight to each kind of function: isBase64Encoded with garbage."""
    from devstack import lambda_runtime

    specs = lambda_runtime.functions(strict=False)
    for name in ("AccountsApiFunction", "OrdersFunction", "StripeWebhookFunction"):
        route = next(r for r in routes() if r.function == name and r.method == "POST")
        from devstack.lambda_client import claims, http_event

        event = http_event(
            route,
            _path(route.path),
            {},
            "@@not base64@@",
            claims=claims("billing"),
            headers={"stripe-signature": "t=1,v1=00"},
        )
        event["isBase64Encoded"] = True
        result = lambda_runtime.invoke(specs[name], event, source="test")
        assert result["statusCode"] == 400, (name, result)


def test_nul_in_a_static_path_is_404_not_500(http_reply):
    for path in ("/index.html%00.js", "/%00", "/paid.html%0a", "/style.css%00"):
        reply = http_reply("GET", path)
        assert reply.status == 404, (path, reply)
