"""What every ticket operation shares: ids, loading with tenant checks, time stamps."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeVar

from hourbank.kernel.errors import Forbidden, InsufficientCredit, InvalidInput, NotFound
from hourbank.kernel.identity import Actor
from hourbank.kernel.ids import new_id
from hourbank.rating.consumption import STEP_MINUTES, hours_text
from hourbank.store.models import TICKET_SK, AccountModel, TicketModel
from hourbank.store.transactions import transact_get

MIN_ORDER_MINUTES = 60  # SPEC P1: orders are at least 1 h, in 30-minute steps


class Prepaid(Protocol):
    """What knows the tickets whose work is paid for in advance, in money, not from the balance (SPEC V1: an
    onsite visit's ticket). The caller supplies it (``visits.hooks.VISIT_WORK``): tickets import no visits. A
    ticket it covers projects no consumption: nothing of it is committed (C4) or debited (C1-C3)."""

    def covers(self, ticket: TicketModel) -> bool: ...


P = TypeVar("P", bound=Prepaid)


def prepaid_for(prepaid: P | None, ticket: TicketModel) -> P | None:
    """``prepaid`` when it covers ``ticket``, else None (an ordinary ticket)."""
    return prepaid if prepaid is not None and prepaid.covers(ticket) else None


REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a phone
REFERENCE_LENGTH = 6  # 31^6 ~ 887 million


def new_reference() -> str:
    """A ticket's short reference (API.md POST /tickets): unique by its claim, written with the ticket."""
    import secrets

    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_ticket_id(account_id: str) -> str:
    """``tkt_<ulid>.<account_id>``: the ticket names its account, so a close reads both in one round trip."""
    return f"{new_id('tkt')}.{account_id}"


def account_of(ticket_id: str) -> str:
    head, sep, account_id = ticket_id.partition(".")
    if not sep or not head.startswith("tkt_") or not account_id.startswith("acc_"):
        raise NotFound("ticket not found")
    return account_id


def load(actor: Actor, ticket_id: str) -> tuple[TicketModel, AccountModel]:
    """The ticket and its account in one consistent read; 404 for unknown or another tenant's."""
    account_id = account_of(ticket_id)
    actor.require_visible(account_id, "ticket")
    ticket, account = transact_get((TicketModel, ticket_id, TICKET_SK), (AccountModel, account_id, None))
    if ticket is None or account is None:
        raise NotFound("ticket not found")
    return ticket, account  # type: ignore[return-value]


def when_recorded(
    actor: Actor, at: datetime | None, now: datetime, *, field: str = "at", staff_only: str | None = None
) -> datetime:
    """When something happened: now, or the ``at`` given, never in the future. Staff record the past (a
    ticket's opening, an emergency change T3, a response S1); ``staff_only``: the 403 anyone else gets."""
    if at is None:
        return now
    if staff_only is not None and not actor.is_staff:
        raise Forbidden(staff_only)
    return not_in_future(at, now, field=field)


def not_in_future(at: datetime, now: datetime, *, field: str = "at") -> datetime:
    """A time given for something that happened: ``at`` itself, never after ``now`` (T3, S1, W5)."""
    if at > now:
        raise InvalidInput(f"{field}: must not be in the future")
    return at


def top_up_minutes(shortfall: int) -> int:
    """SPEC C4 "say how much to top up": the shortfall rounded up to an orderable amount (P1)."""
    steps = -(-max(shortfall, 0) // STEP_MINUTES) * STEP_MINUTES
    return max(MIN_ORDER_MINUTES, steps)


def refused_available(item: dict | None, default: int) -> int:
    """The available minutes of the account item a transaction was refused on (its image, in DynamoDB's JSON):
    what the 402 says is there (C4); ``default`` when the refusal did not return it."""
    return int((item or {}).get("available_minutes", {}).get("N", default))


def insufficient(available: int, required: int, what: str) -> InsufficientCredit:
    top_up = top_up_minutes(required - available)
    # Below zero (a refund or dispute took back credit, C4): say so, or the top-up would not add up.
    has = f"has {hours_text(available)} h" if available >= 0 else f"is {hours_text(-available)} h below zero"
    return InsufficientCredit(
        f"{what} needs {hours_text(required)} h of available credit but the account {has}; "
        f"top up at least {hours_text(top_up)} h to continue.",
        details={
            "available_minutes": available,
            "required_minutes": required,
            "top_up_minutes": top_up,
            "top_up_hours": hours_text(top_up),
        },
    )
