"""Who is asking: roles and tenant from the verified JWT claims (API.md "Identity")."""

from __future__ import annotations

from dataclasses import dataclass

from hourbank.kernel.errors import Forbidden, NotFound

TECHNICIANS = "technicians"
BILLING = "billing"
CUSTOMERS = "customers"
STAFF = frozenset({TECHNICIANS, BILLING})


@dataclass(frozen=True)
class Actor:
    subject: str
    roles: frozenset[str]
    account_id: str | None = None
    # SPEC W2: the person's name for people reading what they wrote (the token's ``name``, else its ``email``);
    # stored beside the subject on what staff write, as it was then. None when the token carries neither.
    name: str | None = None
    # SPEC W1: the address the person signs in with (the token's ``email``): which of an account's contacts
    # is asking (accounts.contacts). None when the token carries none.
    email: str | None = None
    # When the person signed in (the token's ``auth_time``, seconds): the portal's first read notes it (W1).
    auth_time: int | None = None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF)

    @property
    def is_customer(self) -> bool:
        return CUSTOMERS in self.roles and not self.is_staff

    def require(self, *roles: str, action: str, on: str | None = None, what: str = "account") -> None:
        """403 unless the actor has one of ``roles``. With ``on`` (the account the object belongs to), an
        object the actor may not see at all is a 404 first: 403 is only for what they may see (API.md)."""
        if on is not None:
            self.require_visible(on, what)
        if not self.roles & set(roles):
            raise Forbidden(f"only {' or '.join(roles)} may {action}")

    def can_see(self, account_id: str) -> bool:
        return self.is_staff or (CUSTOMERS in self.roles and account_id == self.account_id)

    def require_visible(self, account_id: str, what: str) -> None:
        """Another tenant's objects are 404, exactly like objects that do not exist (API.md)."""
        if not self.can_see(account_id):
            raise NotFound(f"{what} not found")

    def require_staff_or_owner(self, account_id: str, what: str) -> None:
        self.require_visible(account_id, what)


def actor_from_claims(claims: dict | None) -> Actor | None:
    """Build the actor from ``requestContext.authorizer.jwt.claims``. API Gateway HTTP APIs flatten a
    list claim such as ``cognito:groups`` into the string ``"[technicians billing]"``; both forms work."""
    if not claims or not claims.get("sub"):
        return None
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = groups.strip("[]").replace(",", " ").split()
    return Actor(
        subject=str(claims["sub"]),
        roles=frozenset(str(g) for g in groups),
        account_id=claims.get("custom:account_id") or None,
        name=_name_of(claims),
        email=str(claims.get("email") or "").strip()[:254] or None,
        auth_time=_seconds(claims.get("auth_time")),
    )


def _seconds(value: object) -> int | None:
    """A numeric claim (API Gateway passes every claim as a string), or None when there is none or it is not one."""
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _name_of(claims: dict) -> str | None:
    """SPEC W2: staff names come from the identity token: ``name``, else ``email`` (API.md "Names")."""
    for claim in ("name", "email"):
        value = str(claims.get(claim) or "").strip()
        if value:
            return value[:200]
    return None
