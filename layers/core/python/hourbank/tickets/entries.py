"""Posting a time entry: rate it (SPEC T1-T3), update the ticket's running totals (T4-T6) and the
account's committed time, gated for non-members (SPEC C4) - one read, one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, as_given, iso, parse_iso
from hourbank.kernel.errors import Conflict, InvalidInput, TicketClosed
from hourbank.kernel.identity import TECHNICIANS, Actor
from hourbank.kernel.ids import new_id
from hourbank.ledger.balance_writer import write_account
from hourbank.plans.catalogue import ONSITE_WORK, WORK_TYPES, Plan, get_plan
from hourbank.ports.settings import get_settings
from hourbank.rating.segments import Segment, emergency_periods, rate_entry
from hourbank.store.models import ENTRY_SK_PREFIX, AccountModel, TicketModel, TimeEntryModel, map_of
from hourbank.store.transactions import Retry, Tx, commit_or_retry, with_retries
from hourbank.tickets.common import Prepaid, account_of, insufficient, load, prepaid_for, refused_available
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
    timer: str | None = None,
) -> tuple[TimeEntryModel, bool]:
    """Returns the entry and whether it was created now (False: a retry of an earlier post). ``timer``: the
    ``started_at`` of the ticket's running timer this entry stops (SPEC W3), cleared in the same transaction."""
    actor.require(TECHNICIANS, action="post time", on=account_of(ticket_id), what="ticket")
    now = clock.now()
    _check_entry(work_type, started_at, minutes, now)
    entry_id = _entry_id(ticket_id, idempotency_key)

    def attempt() -> tuple[TimeEntryModel, bool]:
        ticket, account = load(actor, ticket_id)
        plan = _open_for(ticket, account, work_type, started_at)
        _check_timer(ticket, timer)
        calendar = get_settings().calendar(account.timezone)
        segments = rate_entry(started_at, minutes, calendar, emergency_periods(changes_of(ticket)))
        paid_ahead = prepaid_for(prepaid, ticket)
        totals = _with_entry(ticket, plan, work_type, segments, paid_ahead=paid_ahead is not None)
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
            technician_name=actor.name,  # SPEC W2: the name as it is now, kept with the entry
            recorded_at=iso(now),
            weighted_minutes=totals.weighted,
            segments=[segment_map(s) for s in segments],
        )
        tx = Tx()
        tx.put("entry", entry, condition=TimeEntryModel.sk.does_not_exist())
        tx.update(
            "ticket",
            ticket,
            _ticket_totals(ticket, work_type, totals, stops_timer=timer is not None),
            condition=_as_read(ticket, timer),
        )
        delta = totals.projected - int(ticket.projected_consumption_minutes)
        if paid_ahead:  # SPEC V1: the visit's prepaid hours gate the work, not the balance
            paid_ahead.gate_entry(tx, ticket_id, work_type, minutes)
        else:
            # SPEC C4: refuse when the open tickets' projected consumption would pass the balance.
            gate = AccountModel.available_minutes >= delta if plan.stops_at_zero and delta > 0 else None
            write_account(tx, account, committed_delta=delta, condition=gate)
        return _commit(tx, entry, account, delta, paid_ahead)

    return with_retries(attempt)


def _check_entry(work_type: str, started_at: datetime, minutes: int, now: datetime) -> None:
    """What an entry must be before anything is read: a known work type, 1 to 1440 minutes, a time with its
    offset, and work that happened (SPEC T8: it ends no later than now, clock skew allowed)."""
    if work_type not in WORK_TYPES:
        raise InvalidInput(f"work_type: must be one of {', '.join(WORK_TYPES)}")
    if not 0 < minutes <= MAX_ENTRY_MINUTES:
        raise InvalidInput(f"minutes: must be between 1 and {MAX_ENTRY_MINUTES}")
    if started_at.tzinfo is None:
        raise InvalidInput("started_at: must carry a UTC offset, e.g. 2026-11-23T09:00:00-05:00")
    ends_at = started_at + timedelta(minutes=minutes)
    if started_at > now + CLOCK_SKEW:
        raise InvalidInput(f"started_at: {as_given(started_at)} is in the future; record work once it is done")
    if ends_at > now + CLOCK_SKEW:
        raise InvalidInput(
            f"minutes: {minutes} minutes from {as_given(started_at)} would end in the future "
            f"({iso(ends_at)}, now is {iso(now)}); record the time worked so far"
        )


def _open_for(ticket: TicketModel, account: AccountModel, work_type: str, started_at: datetime) -> Plan:
    """The account's plan, once the ticket takes this work: open (T7, C3), opened before the work started
    (T8), and the work type on the plan (T1)."""
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
    return plan


@dataclass(frozen=True)
class _Totals:
    """A ticket's running totals with one more entry (T4-T6)."""

    weighted: int  # the entry's weighted minutes
    total: int  # the ticket's weighted minutes
    onsite: int  # of which onsite (T6)
    projected: int  # what the ticket would consume if closed now (C4)
    end: str  # when the entry ends (UTC)


def _with_entry(
    ticket: TicketModel, plan: Plan, work_type: str, segments: list[Segment], *, paid_ahead: bool
) -> _Totals:
    weighted = sum(s.weighted_minutes for s in segments)
    total = int(ticket.weighted_minutes) + weighted
    onsite = int(ticket.onsite_weighted_minutes) + (weighted if work_type in ONSITE_WORK else 0)
    projected = 0 if paid_ahead else project(total, onsite, plan)  # SPEC V1: a visit is paid in money
    end = iso(segments[-1].started_at + timedelta(minutes=segments[-1].minutes))
    return _Totals(weighted, total, onsite, projected, end)


def _check_timer(ticket: TicketModel, timer: str | None) -> None:
    """SPEC W3: the timer an entry stops is still the one running (not stopped or discarded meanwhile)."""
    if timer is not None and (ticket.timer is None or ticket.timer.started_at != timer):
        raise Conflict("the ticket's timer was stopped or discarded meanwhile; nothing was logged")


def _as_read(ticket: TicketModel, timer: str | None) -> Any:
    """The ticket's condition: as read (its version), open, and running the timer the entry stops, if any."""
    condition = (TicketModel.version == int(ticket.version)) & (TicketModel.status == "open")
    if timer is not None:
        running: Any = TicketModel.timer  # its paths (pynamodb's stubs type them as the values)
        condition = condition & (running.started_at == timer)
    return condition


def _ticket_totals(ticket: TicketModel, work_type: str, totals: _Totals, *, stops_timer: bool = False) -> list:
    """The ticket's update: its running totals (T4-T6, W1), one more entry, the next version (and the timer the
    entry stops cleared, W3)."""
    return [
        *([TicketModel.timer.remove()] if stops_timer else []),
        TicketModel.weighted_minutes.set(totals.total),
        TicketModel.onsite_weighted_minutes.set(totals.onsite),
        TicketModel.projected_consumption_minutes.set(totals.projected),
        TicketModel.entry_count.set(int(ticket.entry_count) + 1),
        TicketModel.last_entry_end.set(max(totals.end, ticket.last_entry_end or totals.end)),
        TicketModel.version.set(int(ticket.version) + 1),
        *by_work_type(ticket, work_type, totals.weighted),
    ]


def _commit(
    tx: Tx, entry: TimeEntryModel, account: AccountModel, delta: int, paid_ahead: PrepaidEntries | None
) -> tuple[TimeEntryModel, bool]:
    """The entry and whether it was written now. The order of the answers matters: a replay, then the prepaid
    gate's 402 (V1), then a stale ticket read again before the account's refusal (C4's 402) is believed."""
    refused = commit_or_retry(tx, unless=("entry", "account", *([paid_ahead.item] if paid_ahead else [])))
    if refused is None:
        return entry, True
    if "entry" in refused:
        return _replay(entry), False
    if paid_ahead and paid_ahead.item in refused:  # SPEC V1: 402 saying how many hours to add, or read again
        paid_ahead.refused(entry.ticket_id, entry.work_type, int(entry.minutes))
    if "ticket" in refused:
        raise Retry()
    available = refused_available(refused["account"], int(account.available_minutes))
    raise insufficient(available, delta, "This time entry")


def _replay(entry: TimeEntryModel) -> TimeEntryModel:
    """The entry a post with the same Idempotency-Key recorded first; 409 if that one was for other work."""
    existing = TimeEntryModel.get(entry.ticket_id, entry.sk, consistent_read=True)

    def what(e: TimeEntryModel) -> tuple:
        return (e.work_type, e.started_at_utc, int(e.minutes), e.note, e.technician)

    if what(existing) != what(entry):
        raise Conflict("this Idempotency-Key was already used for a different time entry")
    return existing


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
    return {str(k): int(v) for k, v in map_of(value).items()}
