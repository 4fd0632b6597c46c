"""SPEC C6 (seed 001: "You can see it and question it"): a customer questions a time entry; it is marked
disputed until billing resolves it. The entry's time is never edited (T7): an upheld dispute is settled
by a credit-back ledger entry in the same transaction as the resolution."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store.models import ENTRY_SK_PREFIX, DisputeMap, LedgerModel, TimeEntryModel
from hourbank.store.transactions import Tx, commit_or_retry, updated_if, with_retries
from hourbank.tickets.closing import add_credit_back, settle_awaiting
from hourbank.tickets.common import account_of, load

OUTCOMES = ("upheld", "rejected")


def _entry(ticket_id: str, entry_id: str) -> TimeEntryModel:
    try:
        return TimeEntryModel.get(ticket_id, ENTRY_SK_PREFIX + entry_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("time entry not found") from None


def raise_dispute(
    actor: Actor, ticket_id: str, entry_id: str, reason: str, *, clock: Clock = SYSTEM_CLOCK
) -> TimeEntryModel:
    """Staff or the account's owner questions an entry. Raising it again while open changes nothing."""
    actor.require_visible(account_of(ticket_id), "ticket")
    if not reason.strip():
        raise InvalidInput("reason: say what is wrong with this entry")
    entry = _entry(ticket_id, entry_id)
    if entry.dispute is not None:
        if entry.dispute.status != "open":
            raise Conflict(f"this entry's dispute was already resolved ({entry.dispute.status})")
        if entry.dispute.reason == reason.strip():
            return entry  # the same question again (a retry): nothing new to record
        # SPEC C6: one open dispute per entry, and its reason is never silently replaced or dropped.
        raise Conflict(
            f"this entry is already disputed for another reason ({entry.dispute.reason!r}); billing resolves that first"
        )
    dispute = DisputeMap(
        status="open",
        reason=reason.strip(),
        raised_by=actor.subject,
        raised_by_role="staff" if actor.is_staff else "customer",
        raised_at=iso(clock.now()),
        raised_by_name=actor.name if actor.is_staff else None,  # SPEC W2: staff names (a customer is the account)
    )
    if not updated_if(entry, [TimeEntryModel.dispute.set(dispute)], TimeEntryModel.dispute.does_not_exist()):
        # a concurrent dispute won: the same one is this request, another a 409
        stored = _entry(ticket_id, entry_id)
        if stored.dispute is None or stored.dispute.reason != reason.strip():
            raise Conflict("this entry was disputed meanwhile for another reason; billing resolves that first")
        return stored
    return _entry(ticket_id, entry_id)


def resolve_dispute(
    actor: Actor,
    ticket_id: str,
    entry_id: str,
    *,
    outcome: str,
    note: str,
    credit_minutes: int = 0,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[TimeEntryModel, LedgerModel | None]:
    """Billing upholds (optionally crediting time back, C6) or rejects an open dispute."""
    actor.require(BILLING, action="resolve disputes", on=account_of(ticket_id), what="ticket")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome: must be one of {', '.join(OUTCOMES)}")
    if credit_minutes < 0 or (credit_minutes and outcome != "upheld"):
        raise InvalidInput("credit_minutes: only an upheld dispute credits time back, and never negative")
    if not note.strip():
        raise InvalidInput("note: say how the dispute was resolved")

    def attempt() -> tuple[TimeEntryModel, LedgerModel | None]:
        ticket, account = load(actor, ticket_id)
        entry = _entry(ticket_id, entry_id)
        if entry.dispute is None or entry.dispute.status != "open":
            raise Conflict("this entry has no open dispute")
        now = clock.now()
        tx = Tx()
        ledger = None
        if credit_minutes:
            ledger = add_credit_back(
                tx,
                ticket,
                account,
                credit_minutes,
                f"dispute upheld: {note.strip()}",
                actor.subject,
                now,
                by_name=actor.name,
            ).entry
        dispute: Any = TimeEntryModel.dispute  # its paths (pynamodb's stubs type them as the values)
        tx.update(
            "entry",
            entry,
            [
                dispute.status.set(outcome),
                dispute.resolved_by.set(actor.subject),
                *([dispute.resolved_by_name.set(actor.name)] if actor.name else []),  # SPEC W2
                dispute.resolved_at.set(iso(now)),
                dispute.resolution_note.set(note.strip()),
                dispute.credited_minutes.set(credit_minutes),
            ],
            condition=dispute.status == "open",
        )
        if commit_or_retry(tx, unless=("entry",)) is not None:
            raise Conflict("this entry's dispute was resolved meanwhile")
        return _entry(ticket_id, entry_id), ledger

    entry, ledger = with_retries(attempt)
    if ledger is not None:
        settle_awaiting(ledger.account_id, clock=clock)
    return entry, ledger
