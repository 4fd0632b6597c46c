"""SPEC C6 (seed 001: "You can see it and question it"): a customer questions a time entry; it is marked
disputed until billing resolves it. The entry's time is never edited (T7): an upheld dispute is settled
by a credit-back ledger entry in the same transaction as the resolution."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store.models import (
    DISPUTE_OPEN,
    DISPUTE_RESOLVED,
    ENTRY_SK_PREFIX,
    DisputeListModel,
    DisputeMap,
    LedgerModel,
    TicketModel,
    TimeEntryModel,
)
from hourbank.store.transactions import Tx, TxFailed, commit_or_retry, with_retries
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
    tx = Tx()
    tx.update("entry", entry, [TimeEntryModel.dispute.set(dispute)], condition=TimeEntryModel.dispute.does_not_exist())
    tx.put("listed", _listed(DISPUTE_OPEN, ticket_id, entry, dispute, dispute.raised_at))  # SPEC W4: billing's list
    try:
        tx.commit()
        committed = True
    except TxFailed as exc:
        if "entry" not in exc.refused:
            raise
        committed = False
    if not committed:
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
        _move_to_resolved(tx, ticket, entry, outcome, iso(now), credit_minutes, actor.name)
        if commit_or_retry(tx, unless=("entry",)) is not None:
            raise Conflict("this entry's dispute was resolved meanwhile")
        return _entry(ticket_id, entry_id), ledger

    entry, ledger = with_retries(attempt)
    if ledger is not None:
        settle_awaiting(ledger.account_id, clock=clock)
    return entry, ledger


def _list_key(at: str, ticket_id: str, entry_id: str) -> str:
    return f"{at}#{ticket_id}#{entry_id}"


def _listed(
    partition: str, ticket_id: str, entry: TimeEntryModel, dispute: Any, at: str, *, ticket: TicketModel | None = None
) -> DisputeListModel:
    """SPEC W4: the dispute on billing's list - open ones by when raised, resolved ones by when resolved - with
    the account's name and the ticket's title, so the list reads without a lookup (W2)."""
    if ticket is None:
        try:
            ticket = TicketModel.get(ticket_id, "TICKET")
        except DoesNotExist:
            ticket = None
    return DisputeListModel(
        partition,
        _list_key(at, ticket_id, entry.entry_id),
        ticket_id=ticket_id,
        entry_id=entry.entry_id,
        account_id=account_of(ticket_id),
        account_name=ticket.account_name if ticket is not None else None,
        ticket_title=ticket.title if ticket is not None else None,
        raised_at=dispute.raised_at,
        raised_by_role=dispute.raised_by_role,
        raised_by_name=dispute.raised_by_name,
        reason=dispute.reason,
        status=dispute.status,
        minutes=int(entry.minutes),
        resolved_at=dispute.resolved_at,
        resolved_by_name=dispute.resolved_by_name,
        credited_minutes=dispute.credited_minutes if dispute.resolved_at else None,
    )


def _move_to_resolved(
    tx: Tx, ticket: TicketModel, entry: TimeEntryModel, outcome: str, at: str, credited: int, by_name: str | None
) -> None:
    """SPEC W4: off billing's open list, onto the resolved one, in the resolution's transaction."""
    dispute = entry.dispute
    assert dispute is not None
    tx.delete("open", DisputeListModel(DISPUTE_OPEN, _list_key(dispute.raised_at, ticket.ticket_id, entry.entry_id)))
    dispute.status, dispute.resolved_at = outcome, at
    dispute.credited_minutes, dispute.resolved_by_name = credited, by_name
    tx.put("resolved", _listed(DISPUTE_RESOLVED, ticket.ticket_id, entry, dispute, at, ticket=ticket))
