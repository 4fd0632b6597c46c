"""SPEC T9: staff void an entry of an open ticket, with a reason. The entry stays, marked voided (who, their name
then (W2), when, why), and counts for nothing from that moment: the ticket's weighted and projected minutes (T4-T6)
drop it, the account's committed minutes give its room back (C4), a visit's whole hours drop its onsite time
(V1), and fair use no longer counts it (the views skip voided entries).

One read, one transaction, like a time entry: the entry (conditioned on not being voided yet), the ticket's totals
(conditioned on its version and on being open), the account's committed minutes, and a visit's used minutes. A void
racing a close or another void: the loser's condition fails, it reads again and gets the 409 (closed meanwhile) or
the entry as voided (the same entry voided meanwhile), so the books always agree with one order of the two."""

from __future__ import annotations

from typing import Protocol

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound, TicketClosed
from hourbank.kernel.identity import BILLING, TECHNICIANS, Actor
from hourbank.ledger.balance_writer import write_account
from hourbank.plans.catalogue import ONSITE_WORK, get_plan
from hourbank.store.models import ENTRY_SK_PREFIX, TicketModel, TimeEntryModel, VoidMap
from hourbank.store.transactions import Tx, commit_or_retry, with_retries
from hourbank.tickets.common import Prepaid, account_of, load, prepaid_for
from hourbank.tickets.entries import minutes_by_work_type
from hourbank.tickets.projection import project

MAX_REASON = 2000


class PrepaidVoids(Prepaid, Protocol):
    """What gives a prepaid ticket's work back when an entry is voided (SPEC V1: the visit's used hours)."""

    def release_entry(self, tx: Tx, ticket_id: str, work_type: str, minutes: int) -> None: ...


def void_entry(
    actor: Actor,
    ticket_id: str,
    entry_id: str,
    reason: str,
    *,
    clock: Clock = SYSTEM_CLOCK,
    prepaid: PrepaidVoids | None = None,
) -> TimeEntryModel:
    """SPEC T9: the entry, voided. Voiding a voided entry returns it unchanged; a closed ticket is a 409 (T7)."""
    actor.require(TECHNICIANS, BILLING, action="void time entries", on=account_of(ticket_id), what="ticket")
    why = reason.strip()
    if not why or len(why) > MAX_REASON:
        raise InvalidInput(f"reason: say why the entry is voided (1 to {MAX_REASON} characters)")

    def attempt() -> TimeEntryModel:
        ticket, account = load(actor, ticket_id)
        entry = _entry(ticket_id, entry_id)
        if entry.voided is not None:
            return entry  # voided already (a retry, or another void won): unchanged
        _check_open(ticket)
        void = VoidMap(at=iso(clock.now()), by=actor.subject, by_name=actor.name, reason=why)
        tx = Tx()
        tx.update(
            "entry",
            entry,
            [TimeEntryModel.voided.set(void)],
            condition=TimeEntryModel.sk.exists() & TimeEntryModel.voided.does_not_exist(),
        )
        paid_ahead = prepaid_for(prepaid, ticket)
        projected = _ticket_without(tx, ticket, entry, get_plan(account.plan), paid_ahead=paid_ahead is not None)
        delta = projected - int(ticket.projected_consumption_minutes)
        if paid_ahead is not None:  # SPEC V1: the visit's whole hours drop the entry's onsite time
            paid_ahead.release_entry(tx, ticket_id, entry.work_type, int(entry.minutes))
        elif delta:
            write_account(tx, account, committed_delta=delta)  # SPEC C4: the room is free again (delta <= 0)
        commit_or_retry(tx)  # refused: the ticket moved (a close, another void or entry): read again
        entry.voided = void
        return entry

    return with_retries(attempt)


def _entry(ticket_id: str, entry_id: str) -> TimeEntryModel:
    try:
        return TimeEntryModel.get(ticket_id, ENTRY_SK_PREFIX + entry_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("time entry not found") from None


def _check_open(ticket: TicketModel) -> None:
    if ticket.status == "closed":
        raise TicketClosed(
            "the ticket is closed; its entries are final (T7) - billing can credit time back instead (C6)"
        )
    if ticket.status != "open":
        raise Conflict("the ticket's close is waiting for credit; its entries can no longer change")


def _ticket_without(tx: Tx, ticket: TicketModel, entry: TimeEntryModel, plan, *, paid_ahead: bool) -> int:
    """Add the ticket's update without the entry (T4-T6) to ``tx``; returns its new projected consumption."""
    weighted = int(entry.weighted_minutes)
    total = max(int(ticket.weighted_minutes) - weighted, 0)
    onsite = int(ticket.onsite_weighted_minutes) - (weighted if entry.work_type in ONSITE_WORK else 0)
    onsite = max(onsite, 0)
    projected = 0 if paid_ahead else project(total, onsite, plan)
    actions = [
        TicketModel.weighted_minutes.set(total),
        TicketModel.onsite_weighted_minutes.set(onsite),
        TicketModel.projected_consumption_minutes.set(projected),
        TicketModel.voided_count.set(int(ticket.voided_count or 0) + 1),
        TicketModel.version.set(int(ticket.version) + 1),
    ]
    by_type = minutes_by_work_type(ticket.weighted_by_work_type)
    if by_type is not None:  # the usage chart's totals (W1) follow
        by_type[entry.work_type] = max(by_type.get(entry.work_type, 0) - weighted, 0)
        actions.append(TicketModel.weighted_by_work_type.set(by_type))
    tx.update(
        "ticket",
        ticket,
        actions,
        condition=(TicketModel.version == int(ticket.version)) & (TicketModel.status == "open"),
    )
    return projected
