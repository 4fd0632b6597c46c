"""The local stand-in for Cognito and API Gateway's JWT authorizer (scripts/localdev/jwt_local.py): the key
is made once, safely; tokens look like Cognito ID tokens; verify accepts exactly what API Gateway accepts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from scripts.localdev import jwt_local
from scripts.localdev.jwt_local import InvalidToken, gateway_claims, mint, verify
from scripts.localdev.template import load_template

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_795_000_000  # a fixed instant, so expiry tests never race the clock
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/local_hourbank"
AUDIENCE = "local-web-client"


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "dev-jwt"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segments(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    return (json.loads(base64.urlsafe_b64decode(header + "==")), json.loads(base64.urlsafe_b64decode(payload + "==")))


def forge(header: dict, claims: dict, signature: bytes = b"") -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}.{b64url(signature)}"


def good_claims(**extra) -> dict:
    return {
        "sub": "u",
        "cognito:groups": ["billing"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": NOW,
        "exp": NOW + 3600,
        **extra,
    }


# ------------------------------------------------------------------------------------------- the key


def test_key_is_made_once_private_and_published_with_a_kid(keys):
    key = jwt_local.signing_key(keys)
    assert stat.S_IMODE(os.stat(keys / "private.pem").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    assert key.private_key.key_size == 2048
    jwks = json.loads((keys / "jwks.json").read_text())
    assert [k["kid"] for k in jwks["keys"]] == [key.kid]
    assert jwks["keys"][0]["alg"] == "RS256" and jwks["keys"][0]["kty"] == "RSA"
    assert "d" not in jwks["keys"][0], "the JWKS must hold the public half only"
    assert sorted(p.name for p in keys.iterdir()) == ["jwks.json", "private.pem"]
    assert sorted(p.name for p in keys.parent.iterdir()) == ["dev-jwt"], "no staging directory left behind"
    # Another process (no in-memory cache) finds the same key.
    jwt_local._keys.clear()
    assert jwt_local.signing_key(keys).kid == key.kid


def test_default_location_follows_hourbank_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HOURBANK_CACHE", str(tmp_path / "cache"))
    assert jwt_local.key_dir() == tmp_path / "cache" / "dev-jwt"
    monkeypatch.delenv("HOURBANK_CACHE")
    assert jwt_local.key_dir() == Path.home() / ".cache" / "hourbank" / "dev-jwt"


def test_concurrent_first_runs_agree_on_one_key(tmp_path):
    """Six processes create the key at the same moment: all end up with the same one, and no debris."""
    keys = tmp_path / "dev-jwt"
    script = (
        "import sys; from pathlib import Path; from scripts.localdev import jwt_local; "
        "print(jwt_local.signing_key(Path(sys.argv[1])).kid)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(keys)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    assert len({out.strip() for out, _ in outputs}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev-jwt"]
    assert sorted(p.name for p in keys.iterdir()) == ["jwks.json", "private.pem"]


def test_a_damaged_key_is_reported_not_silently_replaced(keys):
    jwt_local.signing_key(keys)
    jwt_local._keys.clear()
    (keys / "jwks.json").write_text('{"keys": []}')
    with pytest.raises(RuntimeError, match="delete"):
        jwt_local.signing_key(keys)


# ----------------------------------------------------------------------------- issuer and audience


def test_issuer_and_audience_come_from_the_template_with_local_ids():
    assert jwt_local.issuer_and_audience() == (ISSUER, [AUDIENCE])
    refs = {"AWS::Region": "eu-west-1"}
    assert jwt_local.issuer_and_audience(load_template(), refs) == (
        "https://cognito-idp.eu-west-1.amazonaws.com/local_hourbank",
        [AUDIENCE],
    )


def test_a_template_without_a_jwt_authorizer_is_an_error():
    with pytest.raises(ValueError, match="JWT authorizer"):
        jwt_local.issuer_and_audience({"Resources": {}}, {})


# --------------------------------------------------------------------------------------------- mint


@pytest.mark.parametrize(
    "role, group", [("technician", "technicians"), ("billing", "billing"), ("customer", "customers")]
)
def test_mint_makes_a_cognito_id_token(keys, role, group):
    account = "acc_1" if role == "customer" else None
    token = mint(role, account_id=account, now=NOW, directory=keys)
    header, claims = segments(token)
    assert header["alg"] == "RS256" and header["kid"] == jwt_local.signing_key(keys).kid
    assert claims["cognito:groups"] == [group]
    assert claims["token_use"] == "id"
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    assert (claims["iat"], claims["exp"]) == (NOW, NOW + 3600)
    assert claims["sub"] and claims["email"]
    assert claims.get("custom:account_id") == account
    assert verify(token, now=NOW, directory=keys) == claims


def test_mint_options(keys):
    _, claims = segments(
        mint("customer", account_id="acc_9", sub="me", ttl_s=60, now=datetime.fromtimestamp(NOW, UTC), directory=keys)
    )
    assert (claims["sub"], claims["custom:account_id"], claims["exp"] - claims["iat"]) == ("me", "acc_9", 60)
    # Without --sub, the same role and account are the same user every time.
    assert segments(mint("billing", directory=keys))[1]["sub"] == segments(mint("billing", directory=keys))[1]["sub"]
    assert segments(mint("billing", directory=keys))[1]["sub"] != segments(mint("technician", directory=keys))[1]["sub"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"role": "customer"}, "account_id"),
        ({"role": "admin"}, "role"),
        ({"role": "billing", "ttl_s": 0}, "ttl"),
        ({"role": "billing", "now": datetime(2026, 1, 1)}, "timezone"),  # a naive time is the point
    ],
)
def test_mint_refuses(keys, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mint(directory=keys, **kwargs)


# ------------------------------------------------------------------------------------------- verify


def test_expiry_with_five_seconds_of_leeway(keys):
    token = mint("billing", now=NOW, ttl_s=100, directory=keys)
    assert verify(token, now=NOW + 100, directory=keys)
    assert verify(token, now=NOW + 105, directory=keys)
    with pytest.raises(InvalidToken, match="expired"):
        verify(token, now=NOW + 106, directory=keys)


def test_not_yet_valid(keys):
    token = mint("billing", now=NOW, directory=keys, extra={"nbf": NOW + 60})
    with pytest.raises(InvalidToken, match="not valid yet"):
        verify(token, now=NOW, directory=keys)
    assert verify(token, now=NOW + 56, directory=keys)
    issued_later = mint("billing", now=NOW + 30, directory=keys)
    with pytest.raises(InvalidToken, match="not valid yet"):
        verify(issued_later, now=NOW, directory=keys)


def test_audience_may_be_a_list_or_client_id_as_api_gateway_allows(keys):
    key = jwt_local.signing_key(keys)
    as_list = jwt.encode(good_claims(aud=["other", AUDIENCE]), key.private_key, "RS256", headers={"kid": key.kid})
    assert verify(as_list, now=NOW, directory=keys)
    claims = good_claims(client_id=AUDIENCE)
    del claims["aud"]
    access = jwt.encode(claims, key.private_key, "RS256", headers={"kid": key.kid})
    assert verify(access, now=NOW, directory=keys)["client_id"] == AUDIENCE
    # aud wins over client_id when both are there, as in API Gateway.
    both = jwt.encode(good_claims(aud="other", client_id=AUDIENCE), key.private_key, "RS256", headers={"kid": key.kid})
    with pytest.raises(InvalidToken, match="audience"):
        verify(both, now=NOW, directory=keys)


def _bad_tokens(keys: Path) -> dict[str, tuple[str, str]]:
    key = jwt_local.signing_key(keys)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_input = forge({"alg": "HS256", "kid": key.kid}, good_claims()).rsplit(".", 1)[0]
    public_as_secret = json.dumps(key.jwks["keys"][0]).encode()
    hs256 = f"{signing_input}.{b64url(hmac.new(public_as_secret, signing_input.encode(), hashlib.sha256).digest())}"
    good = mint("customer", account_id="acc_1", now=NOW, directory=keys)
    h, p, s = good.split(".")
    tampered_claims = {**json.loads(base64.urlsafe_b64decode(p + "==")), "cognito:groups": ["billing"]}
    return {
        "empty": ("", "missing"),
        "not a jwt": ("hello", "malformed"),
        "garbage parts": ("a.b.c", "malformed"),
        "alg none": (forge({"alg": "none", "kid": key.kid}, good_claims()), "algorithm"),
        "alg None, capitalised": (forge({"alg": "None", "kid": key.kid}, good_claims()), "algorithm"),
        "no alg": (forge({"kid": key.kid}, good_claims()), "algorithm"),
        "HS256 with the public key as secret": (hs256, "algorithm"),
        "RS512": (jwt.encode(good_claims(), key.private_key, "RS512", headers={"kid": key.kid}), "algorithm"),
        "unknown kid": (jwt.encode(good_claims(), other, "RS256", headers={"kid": "nope"}), "kid"),
        "no kid": (jwt.encode(good_claims(), key.private_key, "RS256"), "kid"),
        "other key, our kid": (jwt.encode(good_claims(), other, "RS256", headers={"kid": key.kid}), "signature"),
        "tampered payload": (f"{h}.{b64url(json.dumps(tampered_claims).encode())}.{s}", "signature"),
        "signature stripped": (f"{h}.{p}.", "signature"),
        "wrong issuer": (mint("billing", now=NOW, issuer="https://issuer.example", directory=keys), "issuer"),
        "wrong audience": (mint("billing", now=NOW, audience="someone-else", directory=keys), "audience"),
        "no exp": (
            jwt.encode(
                {k: v for k, v in good_claims().items() if k != "exp"},
                key.private_key,
                "RS256",
                headers={"kid": key.kid},
            ),
            "exp",
        ),
        "exp not a number": (
            jwt.encode(good_claims(exp="tomorrow"), key.private_key, "RS256", headers={"kid": key.kid}),
            "exp",
        ),
    }


def test_verify_rejects_everything_api_gateway_rejects(keys):
    for name, (token, reason) in _bad_tokens(keys).items():
        with pytest.raises(InvalidToken, match=reason) as caught:
            verify(token, now=NOW, directory=keys)
        assert caught.value.description, name


def test_verify_rejects_a_token_of_another_local_key(tmp_path):
    theirs = mint("billing", now=NOW, directory=tmp_path / "theirs")
    with pytest.raises(InvalidToken, match="kid"):
        verify(theirs, now=NOW, directory=tmp_path / "ours")


# ------------------------------------------------------------------------------ claims for the function


def test_claims_are_flattened_as_api_gateway_passes_them():
    claims = {
        "sub": "u",
        "cognito:groups": ["technicians", "billing"],
        "exp": 1795000000,
        "email_verified": True,
        "custom:account_id": "acc_1",
        "nested": {"a": 1},
    }
    assert gateway_claims(claims) == {
        "sub": "u",
        "cognito:groups": "[technicians billing]",
        "exp": "1795000000",
        "email_verified": "true",
        "custom:account_id": "acc_1",
        "nested": '{"a":1}',
    }


def test_the_application_reads_roles_from_the_flattened_claims(keys):
    from hourbank.kernel.identity import actor_from_claims

    token = mint("customer", account_id="acc_7", now=NOW, directory=keys)
    actor = actor_from_claims(gateway_claims(verify(token, now=NOW, directory=keys)))
    assert actor is not None
    assert actor.roles == frozenset({"customers"}) and actor.account_id == "acc_7" and not actor.is_staff


# ---------------------------------------------------------------------------------------- dev_token.py


def test_dev_token_prints_a_token_verify_accepts(tmp_path):
    env = {**os.environ, "HOURBANK_CACHE": str(tmp_path), "AWS_DEFAULT_REGION": "us-east-1"}
    run = subprocess.run(
        [
            sys.executable,
            "scripts/dev_token.py",
            "--role",
            "customer",
            "--account",
            "acc_5",
            "--sub",
            "s1",
            "--ttl",
            "120",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    token = run.stdout.strip()
    claims = verify(token, directory=tmp_path / "dev-jwt")
    assert (claims["sub"], claims["custom:account_id"], claims["cognito:groups"]) == ("s1", "acc_5", ["customers"])
    assert claims["exp"] - claims["iat"] == 120
    refused = subprocess.run(
        [sys.executable, "scripts/dev_token.py", "--role", "customer"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert refused.returncode == 2 and "--account" in refused.stderr
