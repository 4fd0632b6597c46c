"""Opening and reading tickets, and the emergency classification (SPEC T3, C4)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, as_given, iso, parse_iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound, TicketClosed
from hourbank.kernel.identity import Actor
from hourbank.plans.catalogue import get_plan
from hourbank.ports.settings import get_settings
from hourbank.rating.segments import EmergencyChange, emergency_periods, rate_entry
from hourbank.store.models import (
    ENTRY_SK_PREFIX,
    TICKET_SK,
    AccountModel,
    EmergencyChangeMap,
    SegmentMap,
    TicketModel,
    TicketReferenceModel,
    TimeEntryModel,
)
from hourbank.store.transactions import Tx, TxFailed, commit_or_retry, with_retries
from hourbank.tickets import service_levels
from hourbank.tickets.common import (
    Prepaid,
    account_of,
    insufficient,
    load,
    new_reference,
    new_ticket_id,
    prepaid_for,
    refused_available,
    when_recorded,
)
from hourbank.tickets.projection import project

REFERENCE_PREFIX = "REF#"  # the claim of a ticket's short reference (TicketReferenceModel)
if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

OPEN_MINIMUM_MINUTES = 60  # SPEC C4 (seed 000): "a minimum of 1 hour credit is required"
MAX_RERATE_ITEMS = 95  # a DynamoDB transaction holds at most 100 items


def open_ticket(
    actor: Actor,
    account_id: str,
    title: str,
    priority: str,
    opened_at: datetime | None = None,
    *,
    description: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
    ticket_id: str | None = None,
) -> TicketModel:
    """``ticket_id``: an id that follows from what opens the ticket (SPEC E1: a received mail), so opening it again
    is refused by the ticket's "does not exist" condition (``TxFailed`` naming ``ticket``) instead of doubling it."""
    actor.require_visible(account_id, "account")
    now = clock.now()
    at = when_recorded(
        actor,
        opened_at,
        now,
        field="opened_at",
        staff_only="only staff may record when a ticket was opened; customers' tickets open now",
    )
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("account not found") from None
    plan = get_plan(account.plan)
    gate = None
    if plan.stops_at_zero:
        # SPEC C4: a non-member ticket opens only with at least 1 h available.
        if account.available_minutes < OPEN_MINIMUM_MINUTES:
            raise insufficient(int(account.available_minutes), OPEN_MINIMUM_MINUTES, "Opening a ticket")
        gate = AccountModel.available_minutes >= OPEN_MINIMUM_MINUTES
    ticket = TicketModel(
        ticket_id or new_ticket_id(account_id),
        TICKET_SK,
        account_id=account_id,
        account_name=account.name,  # SPEC W2: lists name the account without reading it (no rename route today)
        title=title,
        description=description,
        priority=priority,
        status="open",
        opened_at=iso(at),
        opened_at_given=as_given(at),
        opened_recorded_at=iso(now),
        opened_by=actor.subject,
        opened_by_name=actor.name,
        **service_levels.opening_fields(account.plan, priority, account.timezone, at),  # SPEC S1
    )
    for _ in range(REFERENCE_TRIES):
        if _create(ticket, account_id, gate):
            return ticket
    raise Conflict("could not give the ticket a unique reference; please retry")


REFERENCE_TRIES = 5


def _create(ticket: TicketModel, account_id: str, gate: Condition | None) -> bool:
    """Write the ticket with a fresh short reference and its claim (False: the reference was taken, try another),
    gated on the account (SPEC C4). Not commit_or_retry: opening reads nothing to read again; a refused account
    is a 402, anything else fails."""
    ticket.reference = new_reference()
    tx = Tx()
    tx.put("ticket", ticket, condition=TicketModel.ticket_id.does_not_exist())
    claim = TicketReferenceModel(REFERENCE_PREFIX + ticket.reference, owner_ticket_id=ticket.ticket_id)
    tx.put("reference", claim, condition=TicketReferenceModel.ticket_id.does_not_exist())
    exists = AccountModel.account_id.exists()
    tx.check("account", AccountModel, account_id, condition=exists if gate is None else exists & gate)
    try:
        tx.commit()
    except TxFailed as exc:
        if "account" in exc.refused:
            available = refused_available(exc.refused["account"], 0)
            raise insufficient(available, OPEN_MINIMUM_MINUTES, "Opening a ticket") from None
        if "reference" in exc.refused:
            return False
        raise
    return True


def get_ticket(actor: Actor, ticket_id: str) -> tuple[TicketModel, list[TimeEntryModel]]:
    """The ticket and its entries in one Query of its partition."""
    account_id = account_of(ticket_id)
    actor.require_visible(account_id, "ticket")
    ticket: TicketModel | None = None
    entries: list[TimeEntryModel] = []
    # TicketModel and TimeEntryModel share the partition: the ticket item, then its ENTRY# items.
    for raw in TicketModel._get_connection().query(ticket_id, consistent_read=True).get("Items", []):
        if raw["sk"]["S"] == TICKET_SK:
            ticket = TicketModel.from_raw_data(raw)
        elif raw["sk"]["S"].startswith(ENTRY_SK_PREFIX):  # the partition also holds responses (S1), a visit (V1)
            entries.append(TimeEntryModel.from_raw_data(raw))
    if ticket is None:
        raise NotFound("ticket not found")
    entries.sort(key=lambda e: (e.started_at_utc, e.recorded_at))
    return ticket, entries


def changes_of(ticket: TicketModel) -> list[EmergencyChange]:
    return [EmergencyChange(parse_iso(c.at_utc), bool(c.active)) for c in ticket.emergency_changes or []]


def set_emergency(
    actor: Actor,
    ticket_id: str,
    active: bool,
    at: datetime | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    prepaid: Prepaid | None = None,
) -> TicketModel:
    """SPEC T3: upgrade or downgrade, recorded with who and when. A change dated before time already
    logged re-rates the entries it covers, so the ticket's totals always follow its history (a prepaid
    ticket's, ``prepaid``, projects no consumption: SPEC V1)."""
    now = clock.now()
    when = when_recorded(
        actor, at, now, staff_only="only staff may record a past emergency change; a customer's change is now"
    )

    def attempt() -> TicketModel:
        ticket, account = load(actor, ticket_id)
        if ticket.status != "open":
            raise TicketClosed("the ticket is closed; its emergency classification can no longer change")
        if when < parse_iso(ticket.opened_at):
            raise InvalidInput(f"at: must not be before the ticket was opened ({ticket.opened_at_given})")
        changes = changes_of(ticket)
        if changes and when < max(c.at for c in changes):
            raise InvalidInput("at: must not be before the ticket's last emergency change")
        periods = emergency_periods(changes)
        currently = bool(periods) and periods[-1].end is None
        if currently == active:
            return ticket  # already so: nothing to record (retries of the same request are harmless)
        record = EmergencyChangeMap(
            at=as_given(when), at_utc=iso(when), active=active, by=actor.subject, recorded_at=iso(now)
        )
        new_changes = [*changes, EmergencyChange(when, active)]
        tx = Tx()
        actions = [TicketModel.emergency_changes.set([*(ticket.emergency_changes or []), record])]
        gate: list[int] = []
        if ticket.last_entry_end and when < parse_iso(ticket.last_entry_end):
            actions += _rerate(tx, ticket, account, new_changes, gate, prepaid_for(prepaid, ticket) is not None)
        actions.append(TicketModel.version.set(int(ticket.version) + 1))
        tx.update(
            "ticket",
            ticket,
            actions,
            condition=(TicketModel.version == int(ticket.version)) & (TicketModel.status == "open"),
        )
        refused = commit_or_retry(tx, unless=("account",) if gate else ())
        if refused is not None:
            available = refused_available(refused["account"], int(account.available_minutes))
            raise insufficient(available, gate[0], "This emergency change")
        return TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)

    return with_retries(attempt)


def _rerate(
    tx: Tx,
    ticket: TicketModel,
    account: AccountModel,
    changes: list[EmergencyChange],
    gate: list[int],
    paid_ahead: bool,
) -> list:
    """Re-rate every entry under the new emergency history; returns the ticket's total updates. When the
    account's available balance must cover the growth (SPEC C4), its size is appended to ``gate``."""
    from hourbank.ledger.balance_writer import write_account

    settings = get_settings()
    calendar = settings.calendar(account.timezone)
    periods = emergency_periods(changes)
    plan = get_plan(account.plan)
    weighted = onsite = 0
    by_type: dict[str, int] = {}  # re-rating reads every entry: the per-work-type totals come out complete
    entries = TimeEntryModel.query(
        ticket.ticket_id, TimeEntryModel.sk.startswith(ENTRY_SK_PREFIX), consistent_read=True
    )
    for entry in entries:
        if entry.voided is not None:
            continue  # SPEC T9: a voided entry counts for nothing, and keeps its rating as it was
        segments = rate_entry(parse_iso(entry.started_at_utc), int(entry.minutes), calendar, periods)
        w = sum(s.weighted_minutes for s in segments)
        weighted += w
        by_type[entry.work_type] = by_type.get(entry.work_type, 0) + w
        onsite += w if entry.work_type in ("onsite", "travel") else 0
        if w != entry.weighted_minutes:
            if tx.size >= MAX_RERATE_ITEMS:
                raise Conflict("this change would re-rate too many entries at once; record it with a later time")
            tx.update(
                f"entry:{entry.entry_id}",
                entry,
                [
                    TimeEntryModel.segments.set([segment_map(s) for s in segments]),
                    TimeEntryModel.weighted_minutes.set(w),
                ],
                condition=TimeEntryModel.sk.exists(),
            )
    projected = 0 if paid_ahead else project(weighted, onsite, plan)  # SPEC V1: a visit is paid in money
    delta = projected - int(ticket.projected_consumption_minutes)
    if delta:
        condition = None
        if plan.stops_at_zero and delta > 0:
            # SPEC C4: re-rating logged time is gated like a time entry - a non-member's available balance
            # never goes below 0 through a rating change (one conditional update, as for an entry).
            condition = AccountModel.available_minutes >= delta
            if int(account.available_minutes) < delta:
                raise insufficient(int(account.available_minutes), delta, "This emergency change")
            gate.append(delta)
        write_account(tx, account, committed_delta=delta, condition=condition)
    return [
        TicketModel.weighted_minutes.set(weighted),
        TicketModel.onsite_weighted_minutes.set(onsite),
        TicketModel.projected_consumption_minutes.set(projected),
        TicketModel.weighted_by_work_type.set(by_type),
    ]


def segment_map(segment) -> SegmentMap:
    return SegmentMap(
        started_at=iso(segment.started_at),
        minutes=segment.minutes,
        multiplier=segment.multiplier,
        reasons=list(segment.reasons),
    )
