"""The local gateway as a client meets it: real HTTP, real JWTs checked as API Gateway's JWT authorizer
checks them, the template's real functions on DynamoDB Local - and what API Gateway answers itself
(401, 404, 405, 413, 500) without ever reaching a function.

A second gateway with two tiny functions of our own checks the payload-v2.0 event the gateway builds and
how it maps a function's answer back (there is no real function that echoes its event or raises).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack import gateway as local_gateway
from devstack import jwt_local, lambda_runtime
from devstack.http_client import request
from devstack.lambda_runtime import FunctionSpec
from devstack.template import load_template

pytestmark = pytest.mark.e2e


def new_account() -> dict:
    """A new customer: each its own address (SPEC O7: one e-mail, one account)."""
    return {"name": "Gateway Co", "email": f"it-{uuid.uuid4().hex[:12]}@gateway.example", "plan": "member"}


UNAUTHORIZED = {"message": "Unauthorized"}


# ------------------------------------------------------------------------------------------ helpers


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims_now(**extra) -> dict:
    issuer, audience = jwt_local.issuer_and_audience()
    now = int(time.time())
    return {
        "sub": "attacker",
        "cognito:groups": ["billing"],
        "iss": issuer,
        "aud": audience[0],
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        **extra,
    }


def unsigned(claims: dict, alg: str = "none") -> str:
    header = {"alg": alg, "typ": "JWT", "kid": jwt_local.signing_key().kid}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict) -> str:
    """The classic confusion: HMAC "signed" with the RSA public key an RS256 verifier holds."""
    key = jwt_local.signing_key()
    secret = json.dumps(key.jwks["keys"][0]).encode()
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def other_key_same_kid(claims: dict) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": jwt_local.signing_key().kid})


def raw_exchange(url: str, data: bytes, *, half_close: bool = True, timeout: float = 10.0) -> bytes:
    """Send bytes as they are and read whatever comes back until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def account_count(tables: dict[str, str]) -> int:
    return boto3.client("dynamodb").scan(TableName=tables["AccountsTable"], Select="COUNT", ConsistentRead=True)[
        "Count"
    ]


@pytest.fixture
def invocations(monkeypatch) -> list[str]:
    """Every function the gateway invokes during the test, by logical id."""
    seen: list[str] = []
    real = lambda_runtime.invoke

    def counting(spec, event, **kw):
        seen.append(spec.logical_id)
        return real(spec, event, **kw)

    monkeypatch.setattr(lambda_runtime, "invoke", counting)
    return seen


@pytest.fixture
def billing(token) -> str:
    return token("billing", sub="gw-billing")


@pytest.fixture
def account(http, billing) -> str:
    status, body = http("POST", "/accounts", new_account(), token=billing)
    assert status == 201, body
    return body["account_id"]


# ------------------------------------------------------------------------------ real functions, JWT


def test_valid_token_reaches_the_function(http, http_reply, billing, token, invocations):
    reply = http_reply("POST", "/accounts", new_account(), token=billing)
    assert reply.status == 201, reply
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["apigw-requestid"]
    assert invocations == ["AccountsApiFunction"]
    account_id = reply.body["account_id"]
    owner = token("customer", account_id=account_id)
    status, body = http("GET", f"/accounts/{account_id}", token=owner)
    assert status == 200 and body["account_id"] == account_id, body
    status, body = http("GET", f"/accounts/{account_id}", token=token("technician"))
    assert status == 200, body


def test_bearer_prefix_is_optional_as_in_api_gateway(http, account, billing):
    status, body = http("GET", f"/accounts/{account}", headers={"Authorization": billing})
    assert status == 200, body
    status, body = http("GET", f"/accounts/{account}", headers={"Authorization": f"bearer {billing}"})
    assert status == 200, body


BAD_TOKENS = {
    "missing": lambda: None,
    "empty bearer": lambda: "",
    "malformed": lambda: "not-a-jwt",
    "three garbage parts": lambda: "abc.def.ghi",
    "expired": lambda: jwt_local.mint("billing", now=time.time() - 7200, ttl_s=3600),
    "expired beyond the leeway": lambda: jwt_local.mint("billing", now=time.time() - 70, ttl_s=60),
    "not valid yet": lambda: jwt_local.mint("billing", extra={"nbf": int(time.time()) + 600}),
    "issued in the future": lambda: jwt_local.mint("billing", now=time.time() + 600),
    "signed by another key, same kid": lambda: other_key_same_kid(claims_now()),
    "signed by another key, its own kid": lambda: jwt.encode(
        claims_now(),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": "someone-else"},
    ),
    "alg none": lambda: unsigned(claims_now()),
    "alg none, signature kept": lambda: unsigned(claims_now()) + jwt_local.mint("billing").rsplit(".", 1)[1],
    "HS256 with the public key": lambda: hs256_with_public_key(claims_now()),
    "wrong audience": lambda: jwt_local.mint("billing", audience="some-other-client"),
    "wrong issuer": lambda: jwt_local.mint(
        "billing", issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse"
    ),
    "payload tampered": lambda: (
        lambda h, p, s: ".".join(
            [
                h,
                b64url(
                    json.dumps(
                        {**json.loads(base64.urlsafe_b64decode(p + "==")), "cognito:groups": ["billing", "technicians"]}
                    ).encode()
                ),
                s,
            ]
        )
    )(*jwt_local.mint("customer", account_id="acc_x").split(".")),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_token_is_401_and_the_function_never_runs(case, http_reply, tables, invocations, gateway_url):
    bad = BAD_TOKENS[case]()
    before = account_count(tables)
    headers = {} if bad is None else {"Authorization": f"Bearer {bad}"}
    reply = http_reply("POST", "/accounts", new_account(), headers=headers)
    assert reply.status == 401, reply
    assert reply.body == UNAUTHORIZED
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert invocations == [], "the gateway let a bad token reach the function"
    assert account_count(tables) == before, "a refused request wrote something"


def test_401_says_why_like_api_gateway(http_reply):
    reply = http_reply("GET", "/accounts/acc_x", token=jwt_local.mint("billing", audience="nope"))
    assert reply.status == 401
    assert reply.headers["www-authenticate"] == (
        'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"'
    )
    expired = http_reply("GET", "/accounts/acc_x", token=jwt_local.mint("billing", now=time.time() - 4000))
    assert 'error_description="the token has expired"' in expired.headers["www-authenticate"]


def test_customer_of_another_account_gets_404(http, account, billing, token):
    status, other = http("POST", "/accounts", {**new_account(), "name": "Other"}, token=billing)
    assert status == 201, other
    intruder = token("customer", account_id=other["account_id"])
    status, body = http("GET", f"/accounts/{account}", token=intruder)
    assert status == 404, body
    assert body["error"]["code"] == "not_found"
    status, body = http("GET", f"/accounts/{account}/ledger", token=intruder)
    assert status == 404, body


def test_customer_cannot_claim_staff_groups_through_headers(http, account, token):
    """Identity comes from the verified token only; a header the caller sets changes nothing."""
    customer = token("customer", account_id=account)
    status, body = http(
        "POST",
        f"/accounts/{account}/adjustments",
        {"minutes": 600, "kind": "grant", "reason": "free time"},
        token=customer,
        headers={"X-Cognito-Groups": "billing", "X-Amzn-Oidc-Data": "billing"},
    )
    assert status == 403, body


# --------------------------------------------------------------------- what the gateway answers itself


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/accounts/a/b/c/d"),
        ("POST", "/accounts/"),
        ("GET", "/accounts//ledger"),
        ("GET", "/accounts/x/"),
    ],
)
def test_unknown_route_is_404_json_before_any_token_check(method, path, http_reply, invocations):
    reply = http_reply(method, path)
    assert reply.status == 404, reply
    assert reply.body == {"message": "Not Found"}
    assert reply.headers["content-type"] == "application/json"
    assert invocations == []


def test_known_path_wrong_method_is_405_with_allow(http_reply, billing, invocations):
    reply = http_reply("DELETE", "/accounts", token=billing)
    assert reply.status == 405, reply
    assert reply.body == {"message": "Method Not Allowed"}
    assert set(reply.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}  # GET: issue 12's search
    reply = http_reply("PUT", "/tickets/tkt_1/close", {"x": 1}, token=billing)
    assert (reply.status, reply.headers["allow"]) == (405, "POST")
    reply = http_reply("PATCH", "/accounts/acc_1", token=billing)
    assert (reply.status, reply.headers["allow"]) == (405, "GET")
    assert invocations == []


def test_body_over_6_mb_is_413_before_it_is_read(gateway_url, billing, invocations):
    head = (
        f"POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {billing}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {local_gateway.MAX_BODY + 1}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    answer = raw_exchange(gateway_url, head)  # the 6 MB never come: the answer must not wait for them
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert answer.endswith(b'{"message":"Request Entity Too Large"}')
    assert time.monotonic() - started < 5
    assert invocations == []


def test_body_over_6_mb_sent_in_full_is_413(http_reply, billing, invocations):
    reply = http_reply("POST", "/accounts", b"x" * (local_gateway.MAX_BODY + 1), token=billing)
    assert reply.status == 413, reply
    assert reply.body == {"message": "Request Entity Too Large"}
    assert invocations == []


def test_body_of_exactly_6_mb_reaches_the_function(http_reply, billing, invocations):
    body = b'{"name": "' + b"x" * (local_gateway.MAX_BODY - 12) + b'"}'
    assert len(body) == local_gateway.MAX_BODY
    reply = http_reply("POST", "/accounts", body, token=billing)
    assert reply.status == 400, reply  # the function's validation, not the gateway's limit
    assert invocations == ["AccountsApiFunction"]


def test_expect_100_continue_is_answered_only_when_the_body_is_wanted(gateway_url, billing, invocations):
    host, port = gateway_url.removeprefix("http://").split(":")
    too_big = (
        f"POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {billing}\r\nExpect: 100-continue\r\n"
        f"Content-Type: application/json\r\nContent-Length: {local_gateway.MAX_BODY + 1}\r\n\r\n"
    ).encode()
    assert raw_exchange(gateway_url, too_big).startswith(b"HTTP/1.1 413 ")  # no "100 Continue" first
    payload = json.dumps(new_account()).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {billing}\r\n"
                "Expect: 100-continue\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n"
            ).encode()
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(payload)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
    assert invocations == ["AccountsApiFunction"]


def test_chunked_body_over_6_mb_is_413(gateway_url, billing, invocations):
    chunk = b"x" * (1 << 20)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(7)) + b"0\r\n\r\n"
    head = (
        f"POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {billing}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    answer = raw_exchange(gateway_url, head + body)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert invocations == []


def test_chunked_body_reaches_the_function(gateway_url, billing):
    payload = json.dumps(new_account()).encode()
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
    head = (
        f"POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {billing}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    answer = raw_exchange(gateway_url, head + body)
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:300]


GARBAGE = {  # what is sent -> the status that must come back (None: nothing, the client sent nothing)
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "too many words": (b"GET / HTTP/1.1 extra words\r\n\r\n", 400),
    "bad version": (b"GET /accounts HTTP/9.9\r\n\r\n", 505),
    "binary": (bytes(range(256)) * 4, 400),
    "tls client hello": (bytes.fromhex("16030100c4010000c00303") + bytes(190), 400),
    "request line, no headers, no end": (b"GET /accounts/acc_1 HTTP/1.1\r\n", 401),
    "header without colon": (b"GET /accounts/acc_1 HTTP/1.1\r\nthis is not a header\r\n\r\n", 401),
    "bad content-length": (b"POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
    "two content-lengths": (
        b"POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        400,
    ),
    "bad chunk size, no token": (
        b"POST /accounts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        401,
    ),
    "request line too long": (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    "too many headers": (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
    "truncated body, no token": (b'POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"na', 401),
    "nothing at all": (b"", None),
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_malformed_requests_do_not_hurt_the_server(case, gateway_url, http, account, billing, invocations):
    data, expected = GARBAGE[case]
    answer = raw_exchange(gateway_url, data)
    if expected is None:
        assert answer == b""
    else:
        assert answer.startswith(b"HTTP/1.1 %d " % expected), answer[:200]
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"content-type: application/json" in head.lower()
        assert set(json.loads(body)) == {"message"}
    assert invocations == []
    status, body = http("GET", f"/accounts/{account}", token=billing)
    assert status == 200, body


@pytest.mark.parametrize("case", ["bad chunk size", "truncated body"])
def test_broken_bodies_with_a_valid_token(case, gateway_url, http, account, billing, invocations):
    head = f"POST /accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {billing}\r\n".encode()
    data = {
        "bad chunk size": head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
        "truncated body": head + b'Content-Length: 100\r\n\r\n{"na',
    }[case]
    answer = raw_exchange(gateway_url, data)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert invocations == []
    status, body = http("GET", f"/accounts/{account}", token=billing)
    assert status == 200, body


def test_a_client_that_hangs_up_mid_request_does_not_block_others(gateway_url, http, account, billing):
    sockets = []
    host, port = gateway_url.removeprefix("http://").split(":")
    for _ in range(5):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(b"POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        sockets.append(sock)
    try:
        status, body = http("GET", f"/accounts/{account}", token=billing)
        assert status == 200, body
    finally:
        for sock in sockets:
            sock.close()


def test_keep_alive_serves_several_requests_on_one_connection(gateway_url, account, billing):
    import http.client

    host, port = gateway_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", f"/accounts/{account}", headers={"Authorization": f"Bearer {billing}"})
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["account_id"] == account
        conn.request("GET", "/nowhere")
        response = conn.getresponse()
        assert (response.status, response.read()) == (404, b'{"message":"Not Found"}')
    finally:
        conn.close()


def test_twenty_concurrent_requests_are_all_served_each_with_its_own_identity(http, billing, token):
    """Ten customers at once, each reading their own account (200) and their neighbour's (404): a gateway
    that mixed up requests (or claims) between threads would show up here."""
    accounts = []
    for n in range(10):
        status, body = http("POST", "/accounts", {**new_account(), "name": f"Tenant {n}"}, token=billing)
        assert status == 201, body
        accounts.append(body["account_id"])
    start = threading.Barrier(20)

    def call(n: int) -> tuple[int, int, dict]:
        mine = accounts[n // 2]
        target = mine if n % 2 == 0 else accounts[(n // 2 + 1) % 10]
        start.wait()
        status, body = http("GET", f"/accounts/{target}", token=token("customer", account_id=mine))
        return n, status, body

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(call, range(20)))
    for n, status, body in results:
        if n % 2 == 0:
            assert status == 200 and body["account_id"] == accounts[n // 2], (n, status, body)
        else:
            assert status == 404, (n, status, body)


# ------------------------------------------------------- the event and the response, with our own functions

ECHO = """
import base64, json

def handler(event, context):
    path = event["rawPath"]
    if path.startswith("/boom"):
        raise RuntimeError("boom")
    if path == "/plain":
        return {"hello": "world"}
    if path == "/text":
        return "just a string"
    if path == "/bad-status":
        return {"statusCode": "teapot"}
    if path in ("/huge", "/large"):  # over, and just under, Lambda's 6 MB response (6,291,456 bytes)
        size = 6 * 1024 * 1024 - (0 if path == "/huge" else 1000)
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "x" * size}
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True,
                "body": base64.b64encode(bytes(range(256))).decode()}
    if path == "/cookies":
        return {"statusCode": 302, "headers": {"Location": "/plain", "X-One": "1"}, "cookies": ["a=1; Path=/", "b=2"],
                "multiValueHeaders": {"X-Many": ["x", "y"]}, "body": ""}
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"event": event, "context": {"function_name": context.function_name,
                                "remaining": context.get_remaining_time_in_millis()}})}
"""


@pytest.fixture(scope="module")
def echo(tmp_path_factory):
    code = tmp_path_factory.mktemp("echo_fn")
    (code / "app.py").write_text(textwrap.dedent(ECHO))
    api = {"Ref": "HttpApi"}
    public = {"Authorizer": "NONE"}
    spec = FunctionSpec(
        logical_id=f"GatewayEchoFunction{id(code)}",
        code_uri=Path(code),
        handler="app.handler",
        timeout_s=3,
        memory_mb=128,
        environment={},
        events={
            "Item": {
                "Type": "HttpApi",
                "Properties": {"ApiId": api, "Method": "POST", "Path": "/things/{thing_id}/parts/{part}"},
            },
            "Public": {
                "Type": "HttpApi",
                "Properties": {"ApiId": api, "Method": "GET", "Path": "/public", "Auth": public},
            },
            "Any": {
                "Type": "HttpApi",
                "Properties": {"ApiId": api, "Method": "ANY", "Path": "/any/{rest+}", "Auth": public},
            },
            "Literal": {
                "Type": "HttpApi",
                "Properties": {"ApiId": api, "Method": "GET", "Path": "/any/exact", "Auth": public},
            },
            **{
                name: {
                    "Type": "HttpApi",
                    "Properties": {"ApiId": api, "Method": "GET", "Path": f"/{name}", "Auth": public},
                }
                for name in ("boom", "plain", "text", "bad-status", "binary", "cookies", "huge", "large")
            },
        },
    )
    served = local_gateway.start({spec.logical_id: spec}, port=0, template=load_template())
    yield served.url
    served.stop()


def test_event_is_payload_v2_as_api_gateway_builds_it(echo):
    tok = jwt_local.mint("billing", sub="echo-billing")
    reply = request(
        echo,
        "POST",
        "/things/a%20b/parts/p%2Fq?x=1&x=2&y=&z=%C3%A9",
        b'{"k": "v"}',
        token=tok,
        headers={"X-Dup": "one", "Cookie": "c1=v1; c2=v2", "User-Agent": "pytest-e2e"},
    )
    assert reply.status == 200, reply
    event = reply.body["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /things/{thing_id}/parts/{part}"
    assert event["rawPath"] == "/things/a%20b/parts/p%2Fq"
    assert event["rawQueryString"] == "x=1&x=2&y=&z=%C3%A9"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "", "z": "é"}
    assert event["pathParameters"] == {"thing_id": "a b", "part": "p/q"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert "cookie" not in headers
    assert headers["x-dup"] == "one" and headers["user-agent"] == "pytest-e2e"
    assert headers["authorization"] == f"Bearer {tok}"  # passed on, as API Gateway does
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/things/a%20b/parts/p%2Fq",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest-e2e",
    }
    assert ctx["routeKey"] == event["routeKey"] and ctx["stage"] == "$default" and ctx["apiId"] == "local"
    assert ctx["requestId"] == reply.headers["apigw-requestid"]
    assert abs(ctx["timeEpoch"] / 1000 - time.time()) < 60
    time.strptime(ctx["time"], "%d/%b/%Y:%H:%M:%S +0000")
    claims = ctx["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "echo-billing"
    assert claims["cognito:groups"] == "[billing]"  # flattened as API Gateway flattens list claims
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["token_use"] == "id" and claims["exp"].isdigit()
    assert ctx["authorizer"]["jwt"]["scopes"] is None
    assert reply.body["context"]["function_name"].startswith("GatewayEchoFunction")
    assert 0 < reply.body["context"]["remaining"] <= 3000


def test_repeated_headers_are_joined_with_commas(echo):
    tok = jwt_local.mint("technician")
    answer = raw_exchange(
        echo,
        (
            "POST /things/t/parts/p HTTP/1.1\r\nHost: local\r\nConnection: close\r\n"
            f"Authorization: Bearer {tok}\r\nX-Multi: a\r\nx-multi: b\r\nContent-Length: 0\r\n\r\n"
        ).encode(),
    )
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["event"]["headers"]["x-multi"] == "a,b"
    assert "body" not in body["event"] and "queryStringParameters" not in body["event"]


def test_binary_request_body_is_base64(echo):
    tok = jwt_local.mint("technician")
    data = bytes(range(256))
    reply = request(
        echo, "POST", "/things/t/parts/p", data, token=tok, headers={"Content-Type": "application/octet-stream"}
    )
    event = reply.body["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    reply = request(
        echo, "POST", "/things/t/parts/p", "ünïcode", token=tok, headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    assert reply.body["event"]["body"] == "ünïcode" and reply.body["event"]["isBase64Encoded"] is False


def test_public_route_has_no_authorizer_and_needs_no_token(echo):
    reply = request(echo, "GET", "/public")
    assert reply.status == 200, reply
    assert "authorizer" not in reply.body["event"]["requestContext"]
    assert request(echo, "POST", "/things/t/parts/p").status == 401  # the default authorizer still applies


def test_any_method_and_greedy_path_and_the_most_specific_route_wins(echo):
    reply = request(echo, "DELETE", "/any/deep/er/path")
    assert reply.status == 200, reply
    assert reply.body["event"]["routeKey"] == "ANY /any/{rest+}"
    assert reply.body["event"]["pathParameters"] == {"rest": "deep/er/path"}
    assert request(echo, "GET", "/any/exact").body["event"]["routeKey"] == "GET /any/exact"
    assert request(echo, "POST", "/any/exact").body["event"]["routeKey"] == "ANY /any/{rest+}"


def test_response_mapping(echo):
    plain = request(echo, "GET", "/plain")
    assert (plain.status, plain.body, plain.headers["content-type"]) == (200, {"hello": "world"}, "application/json")
    text = request(echo, "GET", "/text")
    assert (text.status, text.body) == (200, "just a string")
    binary = request(echo, "GET", "/binary")
    assert (binary.status, binary.raw, binary.headers["content-type"]) == (200, bytes(range(256)), "image/png")
    bad = request(echo, "GET", "/bad-status")
    assert (bad.status, bad.body) == (500, {"message": "Internal Server Error"})


def test_an_answer_over_lambdas_6_mb_is_a_500_as_in_aws(echo):
    """Lambda refuses a response payload over 6 MB (issue 23: a large statement worked locally, failed in AWS)."""
    assert request(echo, "GET", "/huge").status == 500
    large = request(echo, "GET", "/large")
    assert large.status == 200 and len(large.raw) == 6 * 1024 * 1024 - 1000


def test_cookies_and_multi_value_headers(echo):
    host, port = echo.removeprefix("http://").split(":")
    import http.client

    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/cookies")
        response = conn.getresponse()
        response.read()
        assert response.status == 302
        assert response.msg.get_all("Set-Cookie") == ["a=1; Path=/", "b=2"]
        assert response.msg.get_all("X-Many") == ["x", "y"]
        assert response.getheader("Location") == "/plain" and response.getheader("X-One") == "1"
    finally:
        conn.close()


def test_function_error_is_500_and_the_server_keeps_serving(echo):
    for _ in range(3):
        reply = request(echo, "GET", "/boom")
        assert (reply.status, reply.body) == (500, {"message": "Internal Server Error"})
    assert request(echo, "GET", "/plain").status == 200


def test_each_request_logs_one_line(echo, caplog):
    caplog.set_level("INFO", logger="localstack")
    request(echo, "GET", "/nowhere")
    request(echo, "GET", "/plain")
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "localstack" and r.getMessage().startswith(("GET /nowhere ", "GET /plain "))
    ]
    assert len(lines) == 2, lines
    assert lines[0].startswith("GET /nowhere 404 ") and lines[0].endswith("ms")
    assert lines[1].startswith("GET /plain 200 ")


def test_stop_frees_the_port():
    served = local_gateway.start({}, port=0, template=load_template())
    url = served.url
    assert request(url, "GET", "/").status == 404
    served.stop()
    with pytest.raises(OSError):
        request(url, "GET", "/")
