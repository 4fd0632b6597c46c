"""Local identity: a signing key that stands in for the Cognito user pool, tokens shaped like its ID tokens,
and the check API Gateway's JWT authorizer makes before a function runs (API.md "Identity").

* The key is RSA 2048 / RS256, made once and kept outside the repo in
  ``${HOURBANK_CACHE:-~/.cache/hourbank}/dev-jwt/`` (``private.pem``, mode 0600, and ``jwks.json`` with its
  ``kid``). The directory appears only by an atomic rename of a complete copy, so two first runs at once
  end up sharing whichever copy landed first, never half of each.
* Issuer and audience are what the template's ``JwtConfiguration`` says, with the user pool and its client
  given local ids (``local_hourbank``, ``local-web-client``): ``issuer_and_audience``.
* ``verify`` checks what API Gateway checks (RS256 signature by a known ``kid``, ``iss``, ``aud`` or
  ``client_id``, ``exp``/``nbf``/``iat``) and raises ``InvalidToken`` with the reason it would put in its
  ``www-authenticate`` header. ``gateway_claims`` turns the claims into what the function then receives:
  every value a string, lists flattened to ``"[technicians billing]"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.refs import LOCAL_IDS, local_refs, resolve
from devstack.template import load_template

ALGORITHM = "RS256"
KEY_BITS = 2048
LEEWAY_S = 5
PRIVATE_KEY_FILE = "private.pem"
JWKS_FILE = "jwks.json"
# --role -> the Cognito group API.md names.
GROUPS = {"technician": "technicians", "billing": "billing", "customer": "customers"}
# SPEC W2: staff tokens carry a person's ``name`` (Cognito's standard attribute), which the API stores on what
# they write; a customer's does not (the account names them).
STAFF_NAMES = {"technicians": "Local Technician", "billing": "Local Billing"}
HTTP_API_TYPE = "AWS::Serverless::HttpApi"


class InvalidToken(Exception):
    """The token is missing, malformed, not ours, or not valid now. ``description`` is the reason, worded
    like the ``error_description`` API Gateway puts in ``www-authenticate``."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


# ------------------------------------------------------------------------------------------- the key


def key_dir() -> Path:
    base = os.environ.get("HOURBANK_CACHE") or str(Path.home() / ".cache" / "hourbank")
    return Path(base).expanduser() / "dev-jwt"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    jwks: dict[str, Any]
    directory: Path

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        for jwk in self.jwks.get("keys", []):
            if jwk.get("kid") == kid:
                key = jwt.PyJWK.from_dict(jwk, algorithm=ALGORITHM).key
                return key if isinstance(key, rsa.RSAPublicKey) else None
        return None


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _public_jwk(private_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The public half as a JWK; ``kid`` is its RFC 7638 thumbprint, so it names this key and no other."""
    numbers = private_key.public_key().public_numbers()
    members = {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("ascii")
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode("ascii")
    return {**members, "alg": ALGORITHM, "use": "sig", "kid": kid}


def _create(target: Path) -> None:
    """Write a new key pair into a private staging directory, then rename it to ``target`` in one step."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dev-jwt.tmp-", dir=target.parent))  # mode 0700
    try:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(staging / PRIVATE_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        (staging / JWKS_FILE).write_text(json.dumps({"keys": [_public_jwk(private_key)]}, indent=2) + "\n")
        try:
            os.rename(staging, target)
        except OSError:
            # Another first run got there first with a complete copy (it arrived by the same rename).
            if not (target / PRIVATE_KEY_FILE).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load(directory: Path) -> SigningKey:
    try:
        private_key = serialization.load_pem_private_key((directory / PRIVATE_KEY_FILE).read_bytes(), None)
        jwks = json.loads((directory / JWKS_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(
            f"the local signing key in {directory} is unreadable ({exc}); delete that directory to make a new one"
        ) from exc
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < KEY_BITS:
        raise RuntimeError(f"{directory / PRIVATE_KEY_FILE} is not an RSA {KEY_BITS} key; delete {directory}")
    kid = _public_jwk(private_key)["kid"]
    if not any(jwk.get("kid") == kid for jwk in jwks.get("keys", [])):
        raise RuntimeError(
            f"{directory / JWKS_FILE} does not hold the public half of {PRIVATE_KEY_FILE}; "
            f"delete {directory} to make a new pair"
        )
    return SigningKey(kid=kid, private_key=private_key, jwks=jwks, directory=directory)


_keys: dict[Path, SigningKey] = {}
_keys_lock = threading.Lock()


def signing_key(directory: Path | None = None) -> SigningKey:
    """The local key (made on first use). ``directory`` defaults to ``key_dir()``."""
    directory = Path(directory) if directory is not None else key_dir()
    with _keys_lock:
        key = _keys.get(directory)
        if key is None:
            if not (directory / PRIVATE_KEY_FILE).is_file():
                _create(directory)
            key = _keys[directory] = _load(directory)
    return key


# --------------------------------------------------------------------------- issuer and audience


def issuer_and_audience(
    template: Mapping[str, Any] | None = None, refs: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """What the template's JWT authorizer expects, resolved with the local user pool and client ids."""
    template = load_template() if template is None else template
    refs = {**local_refs(template, {}), **LOCAL_IDS} if refs is None else {**LOCAL_IDS, **refs}
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != HTTP_API_TYPE:
            continue
        auth = (resource.get("Properties") or {}).get("Auth") or {}
        authorizers = auth.get("Authorizers") or {}
        chosen = authorizers.get(auth.get("DefaultAuthorizer")) or next(iter(authorizers.values()), None)
        config = (chosen or {}).get("JwtConfiguration")
        if not config:
            continue
        issuer = resolve(config.get("issuer", config.get("Issuer")), refs)
        audience = [resolve(a, refs) for a in config.get("audience", config.get("Audience")) or []]
        for value in (issuer, *audience):
            if not isinstance(value, str) or "${" in value:
                raise ValueError(f"{name}: JwtConfiguration value {value!r} has no local value")
        return issuer, audience
    raise ValueError("the template has no HttpApi with a JWT authorizer")


@cache
def _expected() -> tuple[str, tuple[str, ...]]:
    issuer, audience = issuer_and_audience()
    return issuer, tuple(audience)


# ---------------------------------------------------------------------------------- mint and verify


def _epoch(now: float | datetime | None) -> int:
    if now is None:
        return int(time.time())
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must carry a timezone")
        return int(now.timestamp())
    return int(now)


def mint(
    role: str,
    account_id: str | None = None,
    sub: str | None = None,
    ttl_s: int = 3600,
    now: float | datetime | None = None,
    *,
    directory: Path | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A token shaped like a Cognito ID token for ``role`` (technician, billing or customer).

    A customer needs ``account_id`` (their ``custom:account_id``). ``sub`` defaults to an id that is the
    same for the same role and account, so repeated tokens are one user. ``issuer``, ``audience`` and
    ``extra`` exist to make wrong tokens in tests.
    """
    group = GROUPS.get(role) or (role if role in GROUPS.values() else None)
    if group is None:
        raise ValueError(f"role must be one of {', '.join(GROUPS)}, not {role!r}")
    if group == GROUPS["customer"] and not account_id:
        raise ValueError("a customer token needs account_id (the customer's custom:account_id)")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    key = signing_key(directory)
    expected_issuer, expected_audience = _expected() if issuer is None or audience is None else (None, ())
    iat = _epoch(now)
    sub = sub or str(uuid.uuid5(uuid.NAMESPACE_URL, f"hourbank-local:{group}:{account_id or ''}"))
    claims: dict[str, Any] = {
        "sub": sub,
        "cognito:groups": [group],
        "email_verified": True,
        "iss": issuer or expected_issuer,
        "cognito:username": sub,
        "aud": audience or expected_audience[0],
        "token_use": "id",
        "auth_time": iat,
        "exp": iat + int(ttl_s),
        "iat": iat,
        "jti": str(uuid.uuid4()),
        "email": f"{group}@local.hourbank.test",
    }
    if group in STAFF_NAMES:
        claims["name"] = STAFF_NAMES[group]
    if account_id:
        claims["custom:account_id"] = account_id
    claims.update(extra or {})
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify(
    token: str,
    *,
    now: float | datetime | None = None,
    directory: Path | None = None,
    issuer: str | None = None,
    audience: list[str] | tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The token's claims if API Gateway's JWT authorizer would accept it, else ``InvalidToken``."""
    if not token or not isinstance(token, str):
        raise InvalidToken("the token is missing")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token is malformed ({exc})") from exc
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise InvalidToken(f"the signing algorithm {alg!r} is not accepted (only {ALGORITHM})")
    key = signing_key(directory)
    public = key.public_key(str(header.get("kid")))
    if public is None:
        raise InvalidToken(f"the token's kid {header.get('kid')!r} is not a key of the local issuer")
    try:
        # Only the signature here: the claims are checked below, against ``now`` and with API Gateway's words.
        claims = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"the token signature is invalid ({exc})") from exc
    if issuer is None or audience is None:
        expected_issuer, expected_audience = _expected()
        issuer = issuer or expected_issuer
        audience = audience or expected_audience
    if claims.get("iss") != issuer:
        raise InvalidToken(f"the token does not have a valid issuer (expected {issuer})")
    aud = claims["aud"] if "aud" in claims else claims.get("client_id")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a in audience for a in auds):
        raise InvalidToken("the token does not have a valid audience")
    at = _epoch(now)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise InvalidToken("the token has no valid exp claim")
    if at > exp + LEEWAY_S:
        raise InvalidToken("the token has expired")
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidToken(f"the token has no valid {name} claim")
        if value > at + LEEWAY_S:
            raise InvalidToken("the token is not valid yet")
    return claims


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to the function: strings only, lists as ``"[a b]"``."""

    def flat(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return "[" + " ".join(flat(v) for v in value) + "]"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {name: flat(value) for name, value in claims.items()}
