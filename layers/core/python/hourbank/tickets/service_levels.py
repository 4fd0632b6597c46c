"""SPEC S1 on tickets: the due time at opening, first responses, waiting on the customer, the staff queue,
the month's breaches for the statement and the warning before a breach.

The due time itself is the pure rule ``hourbank.rating.response_due.response_due``; here it is fed from the
ticket: the target snapshotted at opening (so a later catalogue change never moves an open ticket's due
time), the account's timezone and the company's holidays, the waiting periods and the first response.

The queue is the sparse ``by_queue`` index: tickets not yet closed carry ``queue_status`` (the close removes
it) and ``queue_due`` = the due time, or ``~waiting#<since>`` while the ticket waits and its due time is
unknown (it cannot fall due then), which sorts after every due time. Every write that moves the due time
writes ``response_due_at`` and ``queue_due`` together, conditioned on ``sla_version``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from pynamodb.exceptions import UpdateError

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, as_given, iso, parse_iso
from hourbank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, TicketClosed
from hourbank.kernel.identity import BILLING, TECHNICIANS, Actor
from hourbank.kernel.ids import new_id
from hourbank.ports.settings import get_settings
from hourbank.rating.calendar import BusinessCalendar, parse_windows
from hourbank.rating.response_due import Pause, ResponseClock, response_due, sla_status
from hourbank.store import cursors
from hourbank.store.models import (
    TICKET_SK,
    AccountModel,
    MessageModel,
    PauseMap,
    PriorityChangeMap,
    ResponseModel,
    TicketModel,
)
from hourbank.store.transactions import Tx, commit_or_retry, ensure_bound, with_retries
from hourbank.tickets.common import account_of, when_recorded
from hourbank.tickets.message_items import message_item, message_sk

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

WAITING = "~waiting#"  # queue_due of a waiting ticket: "~" sorts after every ISO time
RESPONSE_SK_PREFIX = "RESPONSE#"
QUEUE_STATUSES = ("open", "awaiting_credit")


# -- the due time from a ticket --------------------------------------------------------------------------


def target_fields(plan_id: str, priority: str, timezone: str | None) -> dict:
    """SPEC S1: the catalogue's target for the plan and priority, with its clock and calendar."""
    from hourbank.plans.catalogue import (
        catalogue,  # lazily: the warning schedule never needs the catalogue (cold start)
    )

    settings = get_settings()
    levels = catalogue().service_levels
    target = levels.target(plan_id, priority)
    hours = levels.business_hours(target, settings.business_hours)
    # A company configured with no business hours at all (BusinessHours "") cannot count business minutes:
    # its business targets run on the wall clock rather than never falling due.
    clock = target.clock if parse_windows(hours) else "wall"
    return {
        "sla_target_minutes": target.minutes,
        "sla_clock": clock,
        "sla_business_hours": hours,
        "sla_timezone": timezone or settings.company_timezone,
    }


def _clock(fields: dict) -> ResponseClock:
    calendar = None
    if fields["sla_clock"] == "business":
        calendar = BusinessCalendar.build(fields["sla_timezone"], fields["sla_business_hours"], get_settings().holidays)
    return ResponseClock(int(fields["sla_target_minutes"]), fields["sla_clock"], calendar)


def _fields_of(ticket: TicketModel) -> dict | None:
    if ticket.sla_target_minutes is None:
        return None  # a ticket opened before service levels existed
    return {
        "sla_target_minutes": ticket.sla_target_minutes,
        "sla_clock": ticket.sla_clock,
        "sla_business_hours": ticket.sla_business_hours,
        "sla_timezone": ticket.sla_timezone,
    }


def pauses_of(pauses: list[PauseMap] | None) -> list[Pause]:
    return [Pause(parse_iso(p.start), parse_iso(p.end) if p.end else None) for p in pauses or []]


def due_of(
    ticket: TicketModel,
    *,
    fields: dict | None = None,
    pauses: list[PauseMap] | None = None,
    first_response_at: str | None = None,
) -> datetime | None:
    fields = fields or _fields_of(ticket)
    if fields is None:
        return None
    first = first_response_at or ticket.first_response_at
    return response_due(
        parse_iso(ticket.opened_at),
        _clock(fields),
        pauses_of(ticket.pauses if pauses is None else pauses),
        parse_iso(first) if first else None,
    )


def queue_key(due: datetime | None, waiting_since: str | None) -> str:
    return iso(due) if due is not None else f"{WAITING}{waiting_since or ''}"


def opening_fields(plan_id: str, priority: str, timezone: str | None, opened_at: datetime) -> dict:
    """What ``open_ticket`` stores for SPEC S1: the target, the due time and the ticket's place in the queue."""
    fields = target_fields(plan_id, priority, timezone)
    due = response_due(opened_at, _clock(fields))
    return {
        **fields,
        "response_due_at": iso(due) if due else None,
        "queue_status": "open",
        "queue_due": queue_key(due, None),
        "plan": plan_id,
    }


def answered_at(ticket: TicketModel) -> str | None:
    """The first response; for a ticket closed (or asked to close) without one, the close: solving it
    answers it."""
    if ticket.first_response_at:
        return ticket.first_response_at
    return ticket.close_requested_at if ticket.status != "open" else None


def status_of(ticket: TicketModel, now: datetime) -> str | None:
    if ticket.sla_target_minutes is None:
        return None
    due = parse_iso(ticket.response_due_at) if ticket.response_due_at else None
    answered = answered_at(ticket)
    return sla_status(due, parse_iso(answered) if answered else None, now)


# -- writes ----------------------------------------------------------------------------------------------


def _get_open(actor: Actor, ticket_id: str, what: str) -> TicketModel:
    actor.require_visible(account_of(ticket_id), "ticket")
    return _load_open(ticket_id, what)


def _load_open(ticket_id: str, what: str) -> TicketModel:
    try:
        ticket = TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)
    except TicketModel.DoesNotExist:
        raise NotFound("ticket not found") from None
    if ticket.status != "open":
        raise TicketClosed(f"the ticket is {ticket.status.replace('_', ' ')}; {what}")
    return ticket


def same_sla(ticket: TicketModel):
    version = int(ticket.sla_version or 0)
    same = TicketModel.sla_version == version
    if not version:
        same = same | TicketModel.sla_version.does_not_exist()
    return (TicketModel.status == "open") & same


class Author(NamedTuple):
    role: str  # technician | billing
    name: str
    subject: str | None


def staff_author(actor: Actor) -> tuple[str, str]:
    """SPEC W5: a staff member as a message's author: (role, name)."""
    role = "technician" if TECHNICIANS in actor.roles else "billing"
    return role, actor.name or ("Technician" if role == "technician" else "Billing")


def respond(
    actor: Actor,
    ticket_id: str,
    note: str,
    at: datetime | None = None,
    *,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[ResponseModel, bool]:
    """SPEC S1: record a staff response (``at`` may be in the past, never the future, never before the
    opening). Returns the response and whether it is (now) the ticket's first response."""
    # Another customer's ticket is 404, the owner's own 403 (API.md): visibility first, then the role.
    actor.require(TECHNICIANS, BILLING, action="respond on tickets", on=account_of(ticket_id), what="ticket")
    now = clock.now()
    role, name = staff_author(actor)
    author = Author(role, name, actor.subject)
    response, first, _ = record_response(
        ticket_id, note, when_recorded(actor, at, now), now, author, _response_id(ticket_id, idempotency_key)
    )
    return response, first


def record_response(
    ticket_id: str, note: str, when: datetime, now: datetime, author: Author, response_id: str, via: str = "staff"
) -> tuple[ResponseModel, bool, MessageModel]:
    """SPEC S1/W5: a staff response, written with its public message (the conversation's view of it) in one
    transaction. The earliest response is the first response; concurrent first responses: exactly one sets
    ``first_response_at`` (conditional update), the others are recorded as later responses. Who may respond
    is the caller's check. Returns the response, whether it is the first, and its message."""
    sk = f"{RESPONSE_SK_PREFIX}{response_id}"

    def attempt() -> tuple[ResponseModel, bool, MessageModel]:
        ticket = _load_open(ticket_id, "responses are recorded only on open tickets")
        if when < parse_iso(ticket.opened_at):
            raise InvalidInput(f"at: must not be before the ticket was opened ({ticket.opened_at_given})")
        record = ResponseModel(
            ticket_id,
            sk,
            response_id=response_id,
            at=as_given(when),
            at_utc=iso(when),
            note=note,
            by=author.subject or author.role,
            by_name=author.name,  # SPEC W2
            recorded_at=iso(now),
        )
        message = message_item(
            ticket_id, response_id, when, now, role=author.role, name=author.name, subject=author.subject,
            visibility="public", via=via, text=note,
        )  # fmt: skip
        first = ticket.first_response_at is None or iso(when) < ticket.first_response_at
        tx = Tx()
        tx.put("response", record, condition=ResponseModel.sk.does_not_exist())
        tx.put("message", message)  # SPEC W5: a response is a public staff message
        tx.update(
            "ticket", ticket, _response_actions(ticket, when, first), condition=_response_condition(ticket, first)
        )
        # refused other than the response: another first response, a waiting change or a close: read again
        if commit_or_retry(tx, unless=("response",)) is not None:
            return _replayed(ticket_id, sk, note)
        return record, first, message

    return with_retries(attempt)


def _response_actions(ticket: TicketModel, when: datetime, first: bool) -> list[Action]:
    actions: list[Action] = [TicketModel.response_count.add(1)]
    if first:
        # sla_version moves too: a waiting or priority change read before this must read again.
        actions += [
            TicketModel.first_response_at.set(iso(when)),
            TicketModel.sla_version.set(int(ticket.sla_version or 0) + 1),
        ]
        if _fields_of(ticket) is not None:  # a ticket from before service levels has no due time
            due = due_of(ticket, first_response_at=iso(when))
            actions += [
                TicketModel.response_due_at.set(iso(due)) if due else TicketModel.response_due_at.remove(),
                TicketModel.queue_due.set(queue_key(due, ticket.waiting_since)),
            ]
    return actions


def _response_condition(ticket: TicketModel, first: bool) -> Condition:
    if not first:
        return (TicketModel.status == "open") & TicketModel.first_response_at.exists()
    earlier: Condition = TicketModel.first_response_at.does_not_exist()
    if ticket.first_response_at is not None:
        earlier = TicketModel.first_response_at == ticket.first_response_at
    return same_sla(ticket) & earlier


def _response_id(ticket_id: str, idempotency_key: str | None) -> str:
    """With an Idempotency-Key the id is derived from it, so a retried post finds its first result."""
    if not idempotency_key:
        return new_id("rsp")
    return "rsp_" + hashlib.sha256(f"{ticket_id}\0{idempotency_key}".encode()).hexdigest()[:26]


def _replayed(ticket_id: str, sk: str, note: str) -> tuple[ResponseModel, bool, MessageModel]:
    existing = ResponseModel.get(ticket_id, sk, consistent_read=True)
    if existing.note != note:
        raise Conflict("this Idempotency-Key was already used for a different response")
    ticket = TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)
    when = parse_iso(existing.at_utc)
    try:
        message = MessageModel.get(ticket_id, message_sk(when, existing.response_id), consistent_read=True)
    except MessageModel.DoesNotExist:  # a response recorded before responses were messages (W5)
        role = "technician"
        message = message_item(
            ticket_id, existing.response_id, when, parse_iso(existing.recorded_at), role=role,
            name=existing.by_name or "Staff", subject=existing.by, visibility="public", via="staff", text=existing.note,
        )  # fmt: skip
    return existing, ticket.first_response_at == existing.at_utc, message


def set_waiting(
    actor: Actor, ticket_id: str, waiting: bool, at: datetime | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> None:
    """SPEC S1: the response clock pauses while the ticket waits on the customer; resuming moves the due
    time by the counted (business or wall) time spent waiting. Setting the state it already has is a no-op."""
    # Another customer's ticket is 404, the owner's own 403 (API.md): visibility first, then the role.
    actor.require(
        TECHNICIANS, BILLING, action="mark a ticket as waiting on the customer", on=account_of(ticket_id), what="ticket"
    )
    now = clock.now()
    when = when_recorded(actor, at, now)

    def attempt() -> None:
        ticket = _get_open(actor, ticket_id, "its response clock no longer runs")
        if (ticket.waiting_since is not None) == waiting:
            return
        tx = Tx()
        tx.update(
            "ticket", ticket, waiting_actions(ticket, waiting, when, now, actor.subject), condition=same_sla(ticket)
        )
        commit_or_retry(tx)

    with_retries(attempt)  # the caller reads the ticket back with its entries (one Query)


def waiting_actions(ticket: TicketModel, waiting: bool, when: datetime, now: datetime, by: str | None) -> list[Action]:
    """SPEC S1: the ticket's change when it starts (``waiting``) or stops waiting on the customer at ``when``: its
    pauses, and the due time moved by the counted time spent waiting. Written under ``same_sla(ticket)``."""
    if when < parse_iso(ticket.opened_at):
        raise InvalidInput(f"at: must not be before the ticket was opened ({ticket.opened_at_given})")
    pauses = list(ticket.pauses or [])
    last = max([parse_iso(p.end or p.start) for p in pauses], default=None)
    if last is not None and when < last:
        raise InvalidInput("at: must not be before the ticket's last waiting change")
    if waiting:
        pauses.append(PauseMap(start=iso(when), start_given=as_given(when), by=by, recorded_at=iso(now)))
    else:
        current = pauses[-1]
        pauses[-1] = PauseMap(
            start=current.start,
            start_given=current.start_given,
            end=iso(when),
            end_given=as_given(when),
            by=current.by,
            recorded_at=current.recorded_at,
        )
    since = iso(when) if waiting else None
    due = due_of(ticket, pauses=pauses)
    actions: list[Action] = [
        TicketModel.pauses.set(pauses),
        TicketModel.waiting_since.set(since) if since else TicketModel.waiting_since.remove(),
        TicketModel.sla_version.set(int(ticket.sla_version or 0) + 1),
    ]
    if _fields_of(ticket) is not None:
        actions += [
            TicketModel.response_due_at.set(iso(due)) if due else TicketModel.response_due_at.remove(),
            TicketModel.queue_due.set(queue_key(due, since)),
        ]
    return actions


def set_priority(actor: Actor, ticket_id: str, priority: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """SPEC S1: a priority changed after opening takes the new priority's target, counted from the opening
    (waiting periods and the first response as they are): the due time is recomputed, not shifted."""
    # Another customer's ticket is 404, the owner's own 403 (API.md): visibility first, then the role.
    actor.require(TECHNICIANS, BILLING, action="change a ticket's priority", on=account_of(ticket_id), what="ticket")
    now = clock.now()

    def attempt() -> None:
        ticket = _get_open(actor, ticket_id, "its priority can no longer change")
        if ticket.priority == priority:
            return
        plan, timezone = ticket.plan, ticket.sla_timezone
        if plan is None:  # opened before service levels: the account says which targets apply
            account = AccountModel.get(ticket.account_id, consistent_read=True)
            plan, timezone = account.plan, account.timezone
        fields = target_fields(plan, priority, timezone)
        due = due_of(ticket, fields=fields)
        change = PriorityChangeMap(at=iso(now), before=ticket.priority, after=priority, by=actor.subject)
        actions = [
            TicketModel.priority.set(priority),
            TicketModel.priority_changes.set([*(ticket.priority_changes or []), change]),
            *(getattr(TicketModel, name).set(value) for name, value in fields.items()),
            TicketModel.response_due_at.set(iso(due)) if due else TicketModel.response_due_at.remove(),
            TicketModel.queue_due.set(queue_key(due, ticket.waiting_since)),
            TicketModel.sla_version.set(int(ticket.sla_version or 0) + 1),
        ]
        tx = Tx()
        tx.update("ticket", ticket, actions, condition=same_sla(ticket) & (TicketModel.priority == ticket.priority))
        commit_or_retry(tx)

    with_retries(attempt)


# -- the queue -------------------------------------------------------------------------------------------


def queue(
    actor: Actor, status: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[TicketModel], str | None]:
    """SPEC S1/W2: tickets not yet closed, earliest response due first, from the ``by_queue`` index (one
    Query a page; waiting tickets, whose due time is unknown, after every due one)."""
    if not actor.is_staff:
        raise Forbidden("the ticket queue is for staff")
    bound = {"status": status}
    start = cursors.decode(
        cursor,
        list_name="queue",
        bound=bound,
        names=frozenset({"queue_status", "queue_due", "ticket_id", "sk"}),
        pinned={"queue_status": status, "sk": TICKET_SK},
    )
    result = TicketModel.by_queue.query(status, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, cursors.encode(result.last_evaluated_key, list_name="queue", bound=bound)


# -- the statement (SPEC M3) -----------------------------------------------------------------------------


def month_sla(account_id: str, start: datetime, end: datetime, now: datetime) -> dict:
    """The tickets that fell due in [start, end) (and by ``now``): how many met or breached their target,
    and each breach. One Query of the ``by_account_due`` index, by key."""
    lo, hi, until = iso(start), iso(end), iso(min(end, now))
    met, breaches = 0, []
    for t in TicketModel.by_account_due.query(account_id, TicketModel.response_due_at.between(lo, until)):
        due = t.response_due_at
        if due >= hi or due > until:
            continue
        answered = answered_at(t)
        if answered is not None and parse_iso(answered) <= parse_iso(due):
            met += 1
        else:
            breaches.append(
                {
                    "ticket_id": t.ticket_id,
                    "title": t.title,
                    "priority": t.priority,
                    "response_due_at": due,
                    "first_response_at": t.first_response_at,
                    "closed_at": t.close_requested_at,
                }
            )
    return {"tickets": met + len(breaches), "met": met, "breached": len(breaches), "breaches": breaches}


# -- the warning before a breach -------------------------------------------------------------------------


def warn_scheduled(now: datetime, send) -> dict:
    """The schedule's run (``ResponseWarningFunction``): ``warn_due_soon`` with the configured lead
    (``SLA_WARNING_MINUTES``), sweep (``SLA_SWEEP_MINUTES``) and address (the technicians', else the sender)."""
    ensure_bound()
    settings = get_settings()
    to = settings.technicians_email or settings.sender_email
    return warn_due_soon(now, settings.sla_warning_minutes, settings.sla_sweep_minutes, send, to)


def warn_due_soon(now: datetime, lead_minutes: int, sweep_minutes: int, send, to: str) -> dict:
    """SPEC S1 "staff are warned before a ticket falls due": every open, unanswered, running ticket due in
    (now, now + lead + sweep] gets one e-mail (the schedule runs every ``sweep`` minutes, so each is warned
    at least ``lead`` minutes ahead). Once per ticket: the marker ``sla_warned_at`` is set with a condition
    before sending, and removed again if the send fails so the next run retries."""
    from hourbank.ports.mail import Message

    lo, hi = iso(now), iso(now + timedelta(minutes=lead_minutes + sweep_minutes))
    warned = skipped = 0
    failed: list[Exception] = []
    for t in TicketModel.by_queue.query("open", TicketModel.queue_due.between(lo, hi)):
        if t.first_response_at or t.sla_warned_at or t.waiting_since or not t.response_due_at:
            skipped += 1
            continue
        marker = iso(now)
        try:
            t.update(
                [TicketModel.sla_warned_at.set(marker)],
                condition=TicketModel.sla_warned_at.does_not_exist()
                & TicketModel.first_response_at.does_not_exist()
                & (TicketModel.status == "open"),
            )
        except UpdateError:
            skipped += 1  # warned by a concurrent run, answered or closed meanwhile
            continue
        due = parse_iso(t.response_due_at)
        minutes = max(int((due - now).total_seconds() // 60), 0)
        text = (
            f'Ticket {t.ticket_id} ({t.priority}) "{t.title}" has no response yet and falls due at '
            f"{t.response_due_at} (in {minutes} min).\n\nRecord the first response with "
            f"POST /tickets/{t.ticket_id}/responses.\n"
        )
        try:
            send(Message(f"sla-warning#{t.ticket_id}", to, f"Response due in {minutes} min: {t.title}", text))
        except Exception as exc:  # the next run (5 minutes on) retries it; the others are still sent now
            t.update([TicketModel.sla_warned_at.remove()], condition=TicketModel.sla_warned_at == marker)
            failed.append(exc)
            continue
        warned += 1
    if failed:
        raise failed[0]  # the run fails visibly (the schedule's retry policy, logs, alarms)
    return {"warned": warned, "skipped": skipped, "window": [lo, hi]}
