"""The local stand-in for the user pool's managed login (SPEC W1, API.md "Identity"): served ONLY by the
local stack, never shipped to AWS. It answers as an OIDC provider for the part of Cognito's endpoints the
web app uses, so the web app's sign-in (``web/src/auth.ts``: oidc-client-ts, authorization code with PKCE,
refresh before expiry) is the same code locally and in AWS:

* ``GET  /local-auth/.well-known/openid-configuration`` - the discovery document oidc-client-ts reads
  first: the endpoints below, the issuer the local tokens carry (``jwt_local``), S256 only.
* ``GET  /local-auth/.well-known/jwks.json`` - the public key the local tokens are signed with.

* ``GET  /local-auth/oauth2/authorize?response_type=code&client_id&redirect_uri&state&code_challenge&
  code_challenge_method=S256[&login_hint=acc_...]`` - a page marked LOCAL: choose a role and, for a
  customer, their e-mail address (a user of the local user pool: someone invited and not removed, SPEC W1)
  or the account (its owner, the account's own address); no password. Its form posts back to the same path.
* ``POST /local-auth/oauth2/authorize`` - issues a one-time code (5 minutes) bound to the client, the
  redirect URI and the PKCE challenge, and redirects to ``redirect_uri?code=...&state=...``.
* ``POST /local-auth/oauth2/token`` - ``grant_type=authorization_code`` (the code verifier must match the
  challenge, S256) or ``grant_type=refresh_token``: ``{id_token, access_token, refresh_token?, expires_in,
  token_type}`` like Cognito's. The tokens are ``scripts/devstack/jwt_local.mint``'s, the same ones
  ``python -m devstack token`` prints. ``HOURBANK_LOCAL_TOKEN_TTL`` (seconds, default 3600) shortens them to
  watch the portal refresh.
* ``GET  /local-auth/logout?client_id&logout_uri`` - forgets nothing server-side but the refresh tokens of
  nobody in particular (there are no sessions): redirects to ``logout_uri`` as Cognito's logout does.

Codes and refresh tokens live in this process's memory: restarting the stack signs everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from devstack.jwt_local import GROUPS, issuer_and_audience, mint, signing_key
from devstack.pages import Response, page
from devstack.refs import LOCAL_IDS

CLIENT_ID = LOCAL_IDS["UserPoolClient"]
CODE_TTL_S = 300
PREFIX = "local-auth"


def token_ttl() -> int:
    try:
        return max(5, int(os.environ.get("HOURBANK_LOCAL_TOKEN_TTL", "3600")))
    except ValueError:
        return 3600


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


class LocalAuth:
    def __init__(self, site_url: Callable[[], str]) -> None:
        self._site_url = site_url
        self._codes: dict[str, dict[str, Any]] = {}
        self._refresh: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def serve(
        self, method: str, parts: list[str], query: str, read_body: Callable[[], bytes | None]
    ) -> Response | None:
        if parts == [PREFIX, ".well-known", "openid-configuration"] and method in ("GET", "HEAD"):
            return _json(200, self.discovery())
        if parts == [PREFIX, ".well-known", "jwks.json"] and method in ("GET", "HEAD"):
            return _json(200, signing_key().jwks)
        if parts == [PREFIX, "oauth2", "authorize"]:
            if method in ("GET", "HEAD"):
                return self.authorize_page(_fields(query))
            if method == "POST":
                return self.authorize(_fields((read_body() or b"").decode("utf-8", "replace")))
        if parts == [PREFIX, "oauth2", "token"] and method == "POST":
            return self.token(_fields((read_body() or b"").decode("utf-8", "replace")))
        if parts == [PREFIX, "logout"] and method in ("GET", "HEAD"):
            return self.logout(_fields(query))
        return None

    def discovery(self) -> dict:
        """OpenID Connect discovery, as the user pool publishes it (its endpoints on this site)."""
        base = f"{self._site_url().rstrip('/')}/{PREFIX}"
        return {
            "issuer": issuer_and_audience()[0],
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["none"],
        }

    # -- checks shared by the page and the post
    def _redirect_ok(self, uri: str) -> bool:
        """Only this site's own pages: the user pool client's callback URLs are the site's in AWS too."""
        site = urlsplit(self._site_url())
        target = urlsplit(uri)
        return (target.scheme, target.netloc) == (site.scheme, site.netloc) and target.path.startswith("/portal/")

    def _bad_request(self, f: Mapping[str, str]) -> str | None:
        if f.get("response_type") != "code":
            return "response_type must be code"
        if f.get("client_id") != CLIENT_ID:
            return "unknown client_id"
        if not self._redirect_ok(f.get("redirect_uri", "")):
            return "redirect_uri is not a callback URL of this client"
        if f.get("code_challenge_method") != "S256" or len(f.get("code_challenge", "")) < 43:
            return "PKCE is required: code_challenge with code_challenge_method=S256"
        return None

    def authorize_page(self, f: Mapping[str, str], error: str = "") -> Response:
        problem = self._bad_request(f)
        if problem:
            return _page(400, "Sign-in refused", f"<p>{html.escape(problem)}</p>")
        e = html.escape
        hidden = "".join(
            f'<input type="hidden" name="{e(k)}" value="{e(f.get(k, ""))}">'
            for k in ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")
        )
        hint = f.get("login_hint", "")
        role = "customer" if hint.startswith("acc_") or not hint else hint
        options = "".join(f'<option value="{r}"{" selected" if r == role else ""}>{r}</option>' for r in GROUPS)
        body = f"""<p class="errors" role="alert" id="signin-error">{e(error)}</p>
<form method="post" action="/{PREFIX}/oauth2/authorize" id="local-signin">
{hidden}
<div class="field"><label for="role">Sign in as</label>
<select id="role" name="role">{options}</select></div>
<div class="field"><label for="account">Account id (customers)</label>
<input id="account" name="account" type="text" value="{e(hint if hint.startswith("acc_") else "")}"
 autocomplete="off" spellcheck="false" aria-describedby="account-help">
<p class="help" id="account-help">The account a customer belongs to (its <code>custom:account_id</code>):
it is in the invitation e-mail and on the paid page. Signs in as the account's owner.</p></div>
<div class="field"><label for="email">Or your e-mail address (customers)</label>
<input id="email" name="email" type="email" value="" autocomplete="email" spellcheck="false"
 aria-describedby="email-help">
<p class="help" id="email-help">The address your invitation was sent to: the account's owner or any contact
invited to it.</p></div>
<button type="submit" id="signin">Sign in</button>
</form>"""
        return _page(200 if not error else 400, "Sign in (local)", body)

    def authorize(self, f: Mapping[str, str]) -> Response:
        problem = self._bad_request(f)
        if problem:
            return _page(400, "Sign-in refused", f"<p>{html.escape(problem)}</p>")
        role, account = f.get("role", ""), f.get("account", "").strip()
        if role not in GROUPS:
            return self.authorize_page(f, "Choose technician, billing or customer.")
        email = None
        if role == "customer":
            found = _customer(f.get("email", "").strip(), account)
            if isinstance(found, str):
                return self.authorize_page(f, found)
            account, email = found
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "role": role,
                "account": account if role == "customer" else None,
                "email": email,
                "challenge": f["code_challenge"],
                "redirect_uri": f["redirect_uri"],
                "expires": time.time() + CODE_TTL_S,
                "auth_time": int(time.time()),  # when this user signed in: kept by every refresh, as Cognito's
            }
        target = (
            f["redirect_uri"]
            + ("&" if "?" in f["redirect_uri"] else "?")
            + urlencode({"code": code, "state": f.get("state", "")})
        )
        return 302, [("Location", target), ("Cache-Control", "no-store")], b""

    def token(self, f: Mapping[str, str]) -> Response:
        if f.get("client_id") != CLIENT_ID:
            return _json(400, {"error": "invalid_client"})
        grant = f.get("grant_type")
        if grant == "authorization_code":
            with self._lock:
                issued = self._codes.pop(f.get("code", ""), None)  # one use only, like Cognito's
            if (
                issued is None
                or issued["expires"] < time.time()
                or issued["redirect_uri"] != f.get("redirect_uri")
                or _challenge(f.get("code_verifier", "")) != issued["challenge"]
            ):
                return _json(400, {"error": "invalid_grant"})
            refresh = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = {
                    "role": issued["role"],
                    "account": issued["account"],
                    "email": issued.get("email"),
                    "auth_time": issued["auth_time"],
                }
            return _json(200, {**self._tokens(issued), "refresh_token": refresh})
        if grant == "refresh_token":
            with self._lock:
                who = self._refresh.get(f.get("refresh_token", ""))
            if who is None:
                return _json(400, {"error": "invalid_grant"})
            return _json(200, self._tokens(who))
        return _json(400, {"error": "unsupported_grant_type"})

    def _tokens(self, who: Mapping[str, Any]) -> dict:
        """A refreshed ID token keeps the sign-in's ``auth_time`` (OIDC; oidc-client-ts refuses one that changed)."""
        ttl = token_ttl()
        extra = {"auth_time": who["auth_time"], **({"email": who["email"]} if who.get("email") else {})}
        token = mint(str(who["role"]), account_id=who["account"], ttl_s=ttl, extra=extra)
        return {"id_token": token, "access_token": token, "expires_in": ttl, "token_type": "Bearer"}

    def logout(self, f: Mapping[str, str]) -> Response:
        target = f.get("logout_uri", "")
        if f.get("client_id") != CLIENT_ID or not self._redirect_ok(target):
            return _page(400, "Sign-out refused", "<p>logout_uri is not a sign-out URL of this client</p>")
        return 302, [("Location", target), ("Cache-Control", "no-store")], b""


def _customer(email: str, account: str) -> tuple[str, str | None] | str:
    """SPEC W1: the customer signing in - ``(account id, address)`` - or why not. By address: a user of the local
    user pool (invited, not removed). By account id: its owner (the account's own address); an account whose
    owner the pool does not know (opened before it) signs in without an address, as before."""
    from devstack.adapters import LocalUsers, users_dir

    users = LocalUsers(users_dir())
    if email:
        user = users.get(email)
        if user is None:
            return (
                f"{email} cannot sign in: no invitation was sent to it, or it was removed from its account. "
                "Ask the account's owner or billing to invite it."
            )
        return str(user["account_id"]), str(user["email"])
    if not account.startswith("acc_"):
        return "A customer signs in with their e-mail address, or to an account by its id (acc_...)."
    owner = users.owner_of(account)
    return account, (str(owner["email"]) if owner else None)


def _fields(text: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _json(status: int, body: dict) -> Response:
    return status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")], json.dumps(body).encode()


NOTICE = """<p class="notice" role="note" id="local-marker"><strong>Local sign-in - development only.</strong> The local
stack stands in for the user pool's managed login: no password, the tokens are the ones
<code>python -m devstack token</code> makes. A deployed stack signs in with Cognito.</p>"""


def _page(status: int, title: str, body: str) -> Response:
    return page(status, title, body, notice=NOTICE)


__all__ = ["CLIENT_ID", "LocalAuth"]
