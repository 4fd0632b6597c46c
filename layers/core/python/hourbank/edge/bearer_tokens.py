"""Optional bearer tokens on public routes (``POST /orders``: anyone, or an account's owner).

API Gateway's JWT authorizer checks tokens only on routes that require one, so a public route that
behaves differently for a signed-in caller checks the token itself, exactly as the authorizer would:
RS256 signature by a key of the issuer's JWKS, ``iss``, ``aud`` (or ``client_id`` for access tokens),
``exp``/``nbf``/``iat``. No token: anonymous. A token that does not verify: 401, never anonymous - a
caller who meant to act for their account must not silently act as nobody.

PyJWT is imported lazily (cold start): anonymous requests never load it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hourbank.kernel.errors import Unauthorized
from hourbank.kernel.identity import Actor, actor_from_claims
from hourbank.ports import adapters
from hourbank.ports.settings import PaymentSettings

LEEWAY_S = 5
ALGORITHMS = ["RS256"]


def _jwks(url: str) -> Any:
    """The issuer's keys: the ``jwks`` adapter's when one is installed (``hourbank.ports.adapters``), else fetched."""
    return _key_source(url, adapters.installed("jwks"))


@cache
def _key_source(url: str, installed: Callable[[str], Any] | None) -> Any:
    if installed is not None:
        return installed(url)
    import jwt

    # Keys are cached for the life of the execution environment; an unknown kid refetches once.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def actor_from_header(authorization: str | None, settings: PaymentSettings) -> Actor | None:
    """The caller behind ``Authorization: Bearer <jwt>``, None without one, ``Unauthorized`` for a bad one."""
    header = (authorization or "").strip()
    if not header:
        return None
    token = header[7:].strip() if header[:7].lower() == "bearer " else header
    if not token:
        return None
    if not (settings.jwt_issuer and settings.jwt_audience and settings.jwks_url):
        raise RuntimeError("JWT_ISSUER, JWT_AUDIENCE and JWKS_URL must be set to accept bearer tokens")
    import jwt

    keys = _jwks(settings.jwks_url)
    try:
        key = keys.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iss", "sub"], "verify_aud": False},
        )
    except jwt.PyJWKClientConnectionError as exc:  # the issuer's keys could not be fetched: ours to fix
        raise RuntimeError(f"cannot fetch the JWKS at {settings.jwks_url}: {exc}") from exc
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized(f"the bearer token is not valid ({exc})") from None
    aud = claims["aud"] if "aud" in claims else claims.get("client_id")
    audiences = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a in settings.jwt_audience for a in audiences):
        raise Unauthorized("the bearer token is not valid (not issued for this application)")
    actor = actor_from_claims(claims)
    if actor is None:
        raise Unauthorized("the bearer token is not valid (no subject)")
    return actor
