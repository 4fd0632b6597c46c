"""The local sign-in answers as an OIDC provider (issue 20 item 7), so the web app's oidc-client-ts runs the
same code locally as against the user pool: discovery names the endpoints, the code flow needs PKCE, and a
refreshed ID token is the same sign-in (same ``sub`` and ``auth_time``: the library refuses one that changed)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from devstack.jwt_local import issuer_and_audience
from devstack.local_auth import CLIENT_ID, LocalAuth

pytestmark = pytest.mark.unit

SITE = "http://127.0.0.1:3999"
VERIFIER = "v" * 50


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def serve(auth: LocalAuth, method: str, path: str, query: str = "", body: dict | None = None):
    data = urlencode(body).encode() if body is not None else None
    reply = auth.serve(method, path.strip("/").split("/"), query, lambda: data)
    assert reply is not None, path
    return reply


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_discovery_names_this_sites_endpoints_and_the_local_issuer():
    status, headers, body = serve(LocalAuth(lambda: SITE), "GET", "/local-auth/.well-known/openid-configuration")
    doc = json.loads(body)
    assert status == 200 and ("Content-Type", "application/json") in headers
    assert doc["issuer"] == issuer_and_audience()[0]  # what the local tokens carry
    assert doc["authorization_endpoint"] == f"{SITE}/local-auth/oauth2/authorize"
    assert doc["token_endpoint"] == f"{SITE}/local-auth/oauth2/token"
    assert doc["end_session_endpoint"] == f"{SITE}/local-auth/logout"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    status, _, jwks = serve(LocalAuth(lambda: SITE), "GET", "/local-auth/.well-known/jwks.json")
    assert status == 200 and json.loads(jwks)["keys"][0]["kty"] == "RSA"


def test_a_refreshed_id_token_keeps_the_sign_ins_subject_and_auth_time(monkeypatch):
    auth = LocalAuth(lambda: SITE)
    status, headers, _ = serve(
        auth,
        "POST",
        "/local-auth/oauth2/authorize",
        body={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": f"{SITE}/portal/",
            "state": "s1",
            "code_challenge": challenge(VERIFIER),
            "code_challenge_method": "S256",
            "role": "customer",
            "account": "acc_oidc",
        },
    )
    assert status == 302
    code = parse_qs(urlsplit(dict(headers)["Location"]).query)["code"][0]
    token = {"client_id": CLIENT_ID, "redirect_uri": f"{SITE}/portal/", "grant_type": "authorization_code"}
    assert (
        serve(auth, "POST", "/local-auth/oauth2/token", body={**token, "code": code, "code_verifier": "x" * 50})[0]
        == 400
    )  # the verifier must match the challenge
    # A new code (the wrong verifier used the last one up, as Cognito's codes are one use).
    status, headers, _ = serve(
        auth,
        "POST",
        "/local-auth/oauth2/authorize",
        body={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": f"{SITE}/portal/",
            "state": "s2",
            "code_challenge": challenge(VERIFIER),
            "code_challenge_method": "S256",
            "role": "customer",
            "account": "acc_oidc",
        },
    )
    code = parse_qs(urlsplit(dict(headers)["Location"]).query)["code"][0]
    status, _, body = serve(
        auth, "POST", "/local-auth/oauth2/token", body={**token, "code": code, "code_verifier": VERIFIER}
    )
    assert status == 200
    first = json.loads(body)
    signed_in = claims(first["id_token"])
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)  # two minutes later
    status, _, body = serve(
        auth,
        "POST",
        "/local-auth/oauth2/token",
        body={"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert status == 200
    renewed = claims(json.loads(body)["id_token"])
    assert renewed["sub"] == signed_in["sub"] and renewed["custom:account_id"] == "acc_oidc"
    assert renewed["auth_time"] == signed_in["auth_time"]
