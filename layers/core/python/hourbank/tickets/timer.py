"""SPEC W3: a timer on a ticket, kept server-side (``TicketModel.timer``), so it survives a reload and another
device and every technician sees it. Started by a technician; stopped, it becomes a time entry by the same path
as any other (T8, C4 or a visit's hours, the rating) with the timer cleared in the entry's own transaction;
or discarded. One timer per ticket: starting one while another runs is a 409 naming who started it."""

from __future__ import annotations

from datetime import timedelta

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso, parse_iso
from hourbank.kernel.errors import Conflict, InvalidInput, TicketClosed
from hourbank.kernel.identity import TECHNICIANS, Actor
from hourbank.kernel.ids import new_id
from hourbank.store.models import TICKET_SK, TicketModel, TimeEntryModel, TimerMap
from hourbank.store.transactions import Retry, updated_if, with_retries
from hourbank.tickets.common import account_of, load
from hourbank.tickets.entries import MAX_ENTRY_MINUTES, PrepaidEntries, post_entry


def start_timer(actor: Actor, ticket_id: str, *, clock: Clock = SYSTEM_CLOCK) -> TimerMap:
    """The running timer: started now, or the one this technician started already (a retry, another device)."""
    actor.require(TECHNICIANS, action="run a ticket's timer", on=account_of(ticket_id), what="ticket")

    def attempt() -> TimerMap:
        ticket, _ = load(actor, ticket_id)
        _check_open(ticket)
        running = ticket.timer
        if running is not None:
            if running.by == actor.subject:
                return running
            who = running.by_name or running.by
            raise Conflict(f"{who} started a timer on this ticket at {running.started_at}; stop or discard it first")
        timer = TimerMap(started_at=iso(clock.now()), by=actor.subject, by_name=actor.name, timer_id=new_id("tmr"))
        if not updated_if(
            ticket,
            [TicketModel.timer.set(timer)],
            TicketModel.timer.does_not_exist() & (TicketModel.status == "open"),
        ):
            raise Retry()  # started or closed meanwhile: read again
        return timer

    return with_retries(attempt)


def stop_timer(
    actor: Actor,
    ticket_id: str,
    *,
    work_type: str | None,
    note: str | None,
    clock: Clock = SYSTEM_CLOCK,
    prepaid: PrepaidEntries | None = None,
) -> tuple[TimeEntryModel, bool]:
    """The entry the timer becomes: from its start to now in whole minutes (at least 1), recorded as the
    technician who stops it; the timer is cleared in the entry's transaction (one of two stops wins)."""
    actor.require(TECHNICIANS, action="stop a ticket's timer", on=account_of(ticket_id), what="ticket")
    if work_type is None or not (note or "").strip():
        raise InvalidInput("work_type and note: say what work the timed time was")
    ticket, _ = load(actor, ticket_id)
    _check_open(ticket)
    if ticket.timer is None:
        raise Conflict("no timer is running on this ticket")
    started = parse_iso(ticket.timer.started_at)
    minutes = _whole_minutes(clock.now() - started)
    return post_entry(
        actor,
        ticket_id,
        work_type=work_type,
        started_at=started,
        minutes=minutes,
        note=(note or "").strip(),
        # One run of the timer is one entry: two stops of it post it once (the second answers it again).
        idempotency_key=f"timer:{ticket.timer.timer_id or ticket.timer.started_at}",
        clock=clock,
        prepaid=prepaid,
        timer=ticket.timer.started_at,
    )


def discard_timer(actor: Actor, ticket_id: str) -> TicketModel:
    """The ticket without its timer (nothing logged); none running: unchanged."""
    actor.require(TECHNICIANS, action="discard a ticket's timer", on=account_of(ticket_id), what="ticket")
    ticket, _ = load(actor, ticket_id)
    if ticket.timer is not None:
        updated_if(ticket, [TicketModel.timer.remove()], TicketModel.timer.exists())
    return TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)


def _whole_minutes(elapsed: timedelta) -> int:
    minutes = max(1, -(-int(elapsed.total_seconds()) // 60))
    if minutes > MAX_ENTRY_MINUTES:
        raise InvalidInput(
            f"the timer ran {minutes} minutes, more than {MAX_ENTRY_MINUTES}; discard it and log the time worked"
        )
    return minutes


def _check_open(ticket: TicketModel) -> None:
    if ticket.status == "closed":
        raise TicketClosed("the ticket is closed; its time can no longer change")
    if ticket.status != "open":
        raise Conflict("the ticket is waiting for credit; top up the account to complete its close")
