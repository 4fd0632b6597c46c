"""Tickets (API.md ``/tickets``): open and read tickets, the staff queue, emergency upgrade/downgrade (SPEC
T3), responses, waiting and priority (SPEC S1), credit-back (SPEC C6), disputes of time entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api import sla_schemas
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import (
    CreditBack,
    Dispute,
    DisputeResolution,
    EmergencyChange,
    NewMessage,
    OpenTicket,
    TimerAction,
    VoidEntry,
)
from hourbank.kernel.identity import Actor
from hourbank.kernel.ids import EntryId, TicketId
from hourbank.tickets import closing, conversation, disputes, service, service_levels, voiding
from hourbank.tickets.account_names import account_names

router = APIGatewayHttpRouter()


def _idempotency_key() -> str | None:
    return router.current_event.headers.get("idempotency-key")


def _ticket_after(ticket_id: TicketId, change: Callable[[Actor], object]) -> dict[str, Any]:
    """A change to a ticket (S1 waiting or priority, T3 emergency) answers the ticket as it now is."""
    actor = current_actor(router)
    change(actor)
    ticket, entries = service.get_ticket(actor, ticket_id)
    return R.Ticket.of(ticket, entries).out()


@router.post("/tickets", responses=doc(201, R.Ticket, 402, 403, 404))
def open_ticket(body: Annotated[OpenTicket, Body()]):
    ticket = service.open_ticket(
        current_actor(router), body.account_id, body.title, body.priority, body.opened_at, description=body.description
    )
    return R.Ticket.of(ticket, []).out(), 201


@router.get("/tickets/<ticket_id>", responses=doc(200, R.Ticket, 404))
def get_ticket(ticket_id: TicketId):
    ticket, entries = service.get_ticket(current_actor(router), ticket_id)
    return R.Ticket.of(ticket, entries).out()


@router.get("/tickets", responses=doc(200, R.TicketPage, 403))
def ticket_queue(
    status: Annotated[Literal["open", "awaiting_credit"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC S1/W2: the staff queue, earliest response due first."""
    items, next_cursor = service_levels.queue(current_actor(router), status, limit=limit, cursor=cursor)
    names = account_names(items)  # SPEC W2: only tickets opened before they carried it; one BatchGetItem
    return R.TicketPage(items=[R.TicketSummary.of(t, names=names) for t in items], cursor=next_cursor).out()


@router.post("/tickets/<ticket_id>/responses", responses=doc(201, R.ResponseRecord, 403, 404, 409))
def post_response(ticket_id: TicketId, body: Annotated[sla_schemas.Response, Body()]):
    record, first = service_levels.respond(
        current_actor(router), ticket_id, body.note, body.at, idempotency_key=_idempotency_key()
    )
    return R.ResponseRecord.of(record, first).out(), 201


@router.put("/tickets/<ticket_id>/waiting", responses=doc(200, R.Ticket, 403, 404, 409))
def put_waiting(ticket_id: TicketId, body: Annotated[sla_schemas.Waiting, Body()]):
    return _ticket_after(ticket_id, lambda actor: service_levels.set_waiting(actor, ticket_id, body.waiting, body.at))


@router.put("/tickets/<ticket_id>/priority", responses=doc(200, R.Ticket, 403, 404, 409))
def put_priority(ticket_id: TicketId, body: Annotated[sla_schemas.PriorityChange, Body()]):
    return _ticket_after(ticket_id, lambda actor: service_levels.set_priority(actor, ticket_id, body.priority))


@router.post("/tickets/<ticket_id>/emergency", responses=doc(200, R.Ticket, 402, 403, 404, 409))
def set_emergency(ticket_id: TicketId, body: Annotated[EmergencyChange, Body()]):
    from hourbank.visits.hooks import VISIT_WORK  # light: a visit's ticket projects no consumption (SPEC V1)

    return _ticket_after(
        ticket_id, lambda actor: service.set_emergency(actor, ticket_id, body.active, body.at, prepaid=VISIT_WORK)
    )


@router.post("/tickets/<ticket_id>/credit-back", responses=doc(201, R.CreditBackResult, 403, 404, 409))
def credit_back(ticket_id: TicketId, body: Annotated[CreditBack, Body()]):
    done = closing.credit_back(
        current_actor(router), ticket_id, body.minutes, body.reason, idempotency_key=_idempotency_key()
    )
    return R.CreditBackResult.of(done).out(), 201


@router.post("/tickets/<ticket_id>/time-entries/<entry_id>/dispute", responses=doc(200, R.RatedEntry, 404, 409))
def dispute_entry(ticket_id: TicketId, entry_id: EntryId, body: Annotated[Dispute, Body()]):
    entry = disputes.raise_dispute(current_actor(router), ticket_id, entry_id, body.reason)
    return R.RatedEntry.of(entry).out()


@router.post(
    "/tickets/<ticket_id>/time-entries/<entry_id>/resolve", responses=doc(200, R.DisputeOutcome, 403, 404, 409)
)
def resolve_dispute(ticket_id: TicketId, entry_id: EntryId, body: Annotated[DisputeResolution, Body()]):
    entry, ledger = disputes.resolve_dispute(
        current_actor(router),
        ticket_id,
        entry_id,
        outcome=body.outcome,
        note=body.note,
        credit_minutes=body.credit_minutes,
    )
    return R.DisputeOutcome(
        entry=R.RatedEntry.of(entry), ledger_entry=R.LedgerEntry.of(ledger) if ledger else None
    ).out()


@router.post("/tickets/<ticket_id>/time-entries/<entry_id>/void", responses=doc(200, R.RatedEntry, 403, 404, 409))
def void_entry(ticket_id: TicketId, entry_id: EntryId, body: Annotated[VoidEntry, Body()]):
    """SPEC T9: void an entry of an open ticket; it stays, marked voided, and counts for nothing."""
    from hourbank.visits.hooks import VISIT_WORK  # light: a visit's hours give the entry's time back (SPEC V1)

    entry = voiding.void_entry(current_actor(router), ticket_id, entry_id, body.reason, prepaid=VISIT_WORK)
    return R.RatedEntry.of(entry).out()


@router.post(
    "/tickets/<ticket_id>/timer",
    responses={
        **doc(200, R.TicketTimer, 402, 403, 404, 409, description="start: the running timer"),
        201: {
            "description": "stop: the time entry it became (the timer cleared)",
            "content": {"application/json": {"model": R.RatedEntry}},
        },
    },
)
def ticket_timer(ticket_id: TicketId, body: Annotated[TimerAction, Body()]):
    """SPEC W3: the ticket's timer, kept server-side; stopped, it is posted as a time entry (T8, C4, V1)."""
    from hourbank.tickets import timer
    from hourbank.visits.hooks import VISIT_WORK

    actor = current_actor(router)
    if body.action == "start":
        return R.TicketTimer.read(timer.start_timer(actor, ticket_id)).out()
    entry, _ = timer.stop_timer(actor, ticket_id, work_type=body.work_type, note=body.note, prepaid=VISIT_WORK)
    return R.RatedEntry.of(entry).out(), 201


@router.delete("/tickets/<ticket_id>/timer", responses=doc(200, R.Ticket, 403, 404))
def discard_timer(ticket_id: TicketId):
    """SPEC W3: discard the ticket's timer (nothing is logged)."""
    from hourbank.tickets import timer

    return _ticket_after(ticket_id, lambda actor: timer.discard_timer(actor, ticket_id))


@router.get("/tickets/<ticket_id>/messages", responses=doc(200, R.MessagePage, 404))
def list_messages(
    ticket_id: TicketId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC W5: the ticket's conversation, oldest first; the customer reads public messages only."""
    items, next_cursor = conversation.list_messages(current_actor(router), ticket_id, limit=limit, cursor=cursor)
    return R.MessagePage(items=[R.Message.of(m) for m in items], cursor=next_cursor).out()


@router.post("/tickets/<ticket_id>/messages", responses=doc(201, R.Message, 403, 404, 409))
def post_message(ticket_id: TicketId, body: Annotated[NewMessage, Body()]):
    """SPEC W5: write to the customer (a response, S1), leave an internal note (staff), or reply (customer)."""
    message = conversation.post_message(
        current_actor(router), ticket_id, body.text, body.visibility, idempotency_key=_idempotency_key()
    )
    return R.Message.of(message).out(), 201
