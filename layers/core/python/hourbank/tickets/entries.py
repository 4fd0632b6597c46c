"""Posting a time entry: rate it (SPEC T1-T3), update the ticket's running totals (T4-T6) and the
account's committed time, gated for non-members (SPEC C4) - one read, one transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import NoReturn, Protocol

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, as_given, iso, parse_iso
from hourbank.kernel.errors import Conflict, InvalidInput, TicketClosed
from hourbank.kernel.identity import TECHNICIANS, Actor
from hourbank.kernel.ids import new_id
from hourbank.ledger.balance_writer import write_account
from hourbank.plans.catalogue import ONSITE_WORK, WORK_TYPES, get_plan
from hourbank.ports.settings import get_settings
from hourbank.rating.segments import emergency_periods, rate_entry
from hourbank.store.models import ENTRY_SK_PREFIX, AccountModel, TicketModel, TimeEntryModel
from hourbank.store.transactions import Retry, Tx, TxFailed, with_retries
from hourbank.tickets.common import Prepaid, account_of, insufficient, load, prepaid_for
from hourbank.tickets.projection import project
from hourbank.tickets.service import changes_of, segment_map

MAX_ENTRY_MINUTES = 1440
CLOCK_SKEW = timedelta(minutes=5)  # SPEC T8: "a few minutes of clock skew allowed"


class PrepaidEntries(Prepaid, Protocol):
    """What gates the work of a prepaid ticket instead of the balance (SPEC V1: a visit's prepaid hours)."""

    item: str  # the name of its update in the entry's transaction

    def gate_entry(self, tx: Tx, ticket_id: str, work_type: str, minutes: int) -> None:
        """Add its condition and update to the entry's transaction, or refuse before anything is written."""
        ...

    def refused(self, ticket_id: str, work_type: str, minutes: int) -> NoReturn:
        """The transaction failed on its condition: say why (402), or read again."""
        ...


def post_entry(
    actor: Actor,
    ticket_id: str,
    *,
    work_type: str,
    started_at: datetime,
    minutes: int,
    note: str,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
    prepaid: PrepaidEntries | None = None,
) -> tuple[TimeEntryModel, bool]:
    """Returns the entry and whether it was created now (False: a retry of an earlier post)."""
    actor.require(TECHNICIANS, action="post time", on=account_of(ticket_id), what="ticket")
    if work_type not in WORK_TYPES:
        raise InvalidInput(f"work_type: must be one of {', '.join(WORK_TYPES)}")
    if not 0 < minutes <= MAX_ENTRY_MINUTES:
        raise InvalidInput(f"minutes: must be between 1 and {MAX_ENTRY_MINUTES}")
    if started_at.tzinfo is None:
        raise InvalidInput("started_at: must carry a UTC offset, e.g. 2026-11-23T09:00:00-05:00")
    now = clock.now()
    # SPEC T8: an entry records work that happened, so it ends no later than now (clock skew allowed).
    ends_at = started_at + timedelta(minutes=minutes)
    if started_at > now + CLOCK_SKEW:
        raise InvalidInput(f"started_at: {as_given(started_at)} is in the future; record work once it is done")
    if ends_at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"minutes: {minutes} minutes from {as_given(started_at)} would end in the future "
            f"({iso(ends_at)}, now is {iso(now)}); record the time worked so far"
        )
    entry_id = _entry_id(ticket_id, idempotency_key)

    def attempt() -> tuple[TimeEntryModel, bool]:
        ticket, account = load(actor, ticket_id)
        if ticket.status == "closed":
            raise TicketClosed("the ticket is closed; its time can no longer change (corrections go to billing)")
        if ticket.status != "open":
            raise Conflict("the ticket is waiting for credit; top up the account to complete its close")
        if started_at < parse_iso(ticket.opened_at) - CLOCK_SKEW:
            # SPEC T8: no work on a ticket before it was opened (staff may back-date the opening instead).
            raise InvalidInput(
                f"started_at: {as_given(started_at)} is before the ticket was opened ({ticket.opened_at_given})"
            )
        plan = get_plan(account.plan)
        if work_type not in plan.work_types:
            # SPEC T1: lab (bench) work is for members only; unlimited_remote covers remote work only.
            raise InvalidInput(f"work_type: {work_type} work is not available on the {plan.title} plan")
        calendar = get_settings().calendar(account.timezone)
        segments = rate_entry(started_at, minutes, calendar, emergency_periods(changes_of(ticket)))
        weighted = sum(s.weighted_minutes for s in segments)
        total = int(ticket.weighted_minutes) + weighted
        onsite = int(ticket.onsite_weighted_minutes) + (weighted if work_type in ONSITE_WORK else 0)
        paid_ahead = prepaid_for(prepaid, ticket)
        projected = 0 if paid_ahead else project(total, onsite, plan)  # SPEC V1: a visit is paid in money
        delta = projected - int(ticket.projected_consumption_minutes)
        end = iso(segments[-1].started_at + timedelta(minutes=segments[-1].minutes))
        entry = TimeEntryModel(
            ticket_id,
            ENTRY_SK_PREFIX + entry_id,
            entry_id=entry_id,
            work_type=work_type,
            started_at=as_given(started_at),
            started_at_utc=iso(started_at),
            minutes=minutes,
            note=note,
            technician=actor.subject,
            recorded_at=iso(now),
            weighted_minutes=weighted,
            segments=[segment_map(s) for s in segments],
        )
        tx = Tx()
        tx.put("entry", entry, condition=TimeEntryModel.sk.does_not_exist())
        tx.update(
            "ticket",
            ticket,
            [
                TicketModel.weighted_minutes.set(total),
                TicketModel.onsite_weighted_minutes.set(onsite),
                TicketModel.projected_consumption_minutes.set(projected),
                TicketModel.entry_count.set(int(ticket.entry_count) + 1),
                TicketModel.last_entry_end.set(max(end, ticket.last_entry_end or end)),
                TicketModel.version.set(int(ticket.version) + 1),
                *by_work_type(ticket, work_type, weighted),
            ],
            condition=(TicketModel.version == int(ticket.version)) & (TicketModel.status == "open"),
        )
        if paid_ahead:  # SPEC V1: the visit's prepaid hours gate the work, not the balance
            paid_ahead.gate_entry(tx, ticket_id, work_type, minutes)
        else:
            gate = None
            if plan.stops_at_zero and delta > 0:
                # SPEC C4: refuse when the open tickets' projected consumption would pass the balance.
                gate = AccountModel.available_minutes >= delta
            write_account(tx, account, committed_delta=delta, condition=gate)
        # Not commit_or_retry: the order of the answers matters (a replay, then the visit's 402, then a stale
        # ticket read again before the account's refusal is believed) and an unknown refusal fails.
        try:
            tx.commit()
        except TxFailed as exc:
            if "entry" in exc.refused:
                existing = TimeEntryModel.get(ticket_id, ENTRY_SK_PREFIX + entry_id, consistent_read=True)
                same = (
                    existing.work_type,
                    existing.started_at_utc,
                    int(existing.minutes),
                    existing.note,
                    existing.technician,
                ) == (work_type, entry.started_at_utc, minutes, note, actor.subject)
                if not same:
                    raise Conflict("this Idempotency-Key was already used for a different time entry") from None
                return existing, False
            if paid_ahead and paid_ahead.item in exc.refused:  # SPEC V1: 402 saying how many hours to add, or again
                paid_ahead.refused(ticket_id, work_type, minutes)
            if "ticket" in exc.refused:
                raise Retry() from exc
            if "account" in exc.refused:
                old = exc.refused["account"] or {}
                available = int(old.get("available_minutes", {}).get("N", account.available_minutes))
                raise insufficient(available, delta, "This time entry") from None
            raise
        return entry, True

    return with_retries(attempt)


def _entry_id(ticket_id: str, idempotency_key: str | None) -> str:
    """With an Idempotency-Key the id is derived from it, so a retried post finds its first result."""
    if not idempotency_key:
        return new_id("ent")
    digest = hashlib.sha256(f"{ticket_id}\0{idempotency_key}".encode()).hexdigest()[:26]
    return f"ent_k{digest}"


def by_work_type(ticket: TicketModel, work_type: str, weighted: int) -> list:
    """The ticket's weighted minutes per work type (SPEC W1's usage chart), kept like its other totals. Only
    complete maps are kept: a ticket with entries from before the map existed gets none (usage then reads
    its entries)."""
    if ticket.weighted_by_work_type is None and int(ticket.entry_count):
        return []
    totals = minutes_by_work_type(ticket.weighted_by_work_type) or {}
    totals[work_type] = totals.get(work_type, 0) + int(weighted)
    return [TicketModel.weighted_by_work_type.set(totals)]


def minutes_by_work_type(value: object) -> dict[str, int] | None:
    """A stored per-work-type map (a raw pynamodb MapAttribute) as plain ``{work_type: minutes}``."""
    if value is None:
        return None
    raw = value.as_dict() if hasattr(value, "as_dict") else dict(value)  # type: ignore[call-overload]
    return {str(k): int(v) for k, v in raw.items()}
