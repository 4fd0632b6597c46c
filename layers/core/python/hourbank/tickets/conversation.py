"""SPEC W5: a ticket is a conversation - its description, then messages, public (the customer sees them) or
internal (staff only), each with its author (role and name), time and channel (portal, e-mail, staff).

``add_message`` is the one way a message is written: by the routes (``post_message``, who may write what
checked there) and by e-mail intake (E1, which has checked the sender). A staff member's public message is a
response (S1: ``service_levels.record_response`` writes both in one transaction; the first sets
``first_response_at``), and every response recorded by ``POST /tickets/{id}/responses`` is a public staff
message, so the conversation is one Query of the ticket's partition (``MSG#<time>#<id>``), oldest first.

A message's id is claimed (``MessageKeyModel``) in its transaction: a retried post (the same Idempotency-Key)
or a mail received twice (the same Message-ID, given as ``message_id``) adds one message. A message is
accepted only on an open ticket (API.md: a closed ticket is a 409; SPEC W5 in docs/RULES.md).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, parse_iso
from hourbank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, TicketClosed
from hourbank.kernel.identity import Actor
from hourbank.kernel.ids import new_id
from hourbank.kernel.text import clean_message_text
from hourbank.store import cursors
from hourbank.store.models import (
    MESSAGE_KEY_PREFIX,
    MESSAGE_SK_PREFIX,
    TICKET_SK,
    MessageKeyModel,
    MessageModel,
    TicketModel,
)
from hourbank.store.transactions import Retry, Tx, commit_or_retry, with_retries
from hourbank.tickets.common import account_of, not_in_future
from hourbank.tickets.message_items import AUTHOR_ROLES, CHANNELS, STAFF_AUTHORS, VISIBILITIES, message_item
from hourbank.tickets.service_levels import Author, record_response, same_sla, staff_author, waiting_actions

CLOSED = "the ticket is closed; open a new ticket to continue"


def add_message(
    ticket_id: str,
    author_role: str,
    author_name: str,
    text: str,
    visibility: str = "public",
    via: str = "portal",
    at: datetime | None = None,
    message_id: str | None = None,
    *,
    author_subject: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> MessageModel:
    """SPEC W5: add a message to an open ticket and return it (the one already added under ``message_id`` when
    it was given before). Who may write is the caller's check. ``InvalidInput`` for bad values, ``NotFound``
    for no such ticket, ``TicketClosed`` (409) for a ticket no longer open, ``Conflict`` when ``message_id``
    was used for another text."""
    text = _checked(author_role, author_name, text, visibility, via)
    now = clock.now()
    when = now if at is None else not_in_future(at, now)
    message_id = message_id or new_id("msg")
    if author_role in STAFF_AUTHORS and visibility == "public":  # SPEC W5/S1: a response
        author = Author(author_role, author_name, author_subject)
        return record_response(ticket_id, text, when, now, author, message_id, via=via)[2]
    item = message_item(
        ticket_id, message_id, when, now, role=author_role, name=author_name, subject=author_subject,
        visibility=visibility, via=via, text=text,
    )  # fmt: skip
    answers = author_role == "customer" and visibility == "public"  # SPEC S1/W5: the customer answered
    return with_retries(lambda: _write(item, resumes=answers, now=now))


def _checked(author_role: str, author_name: str, text: str, visibility: str, via: str) -> str:
    if author_role not in AUTHOR_ROLES:
        raise InvalidInput(f"author role: must be one of {', '.join(AUTHOR_ROLES)}")
    if visibility not in VISIBILITIES:
        raise InvalidInput("visibility: must be public or internal")
    if via not in CHANNELS:
        raise InvalidInput(f"via: must be one of {', '.join(CHANNELS)}")
    if not author_name.strip() or len(author_name) > 200:
        raise InvalidInput("author name: must be 1 to 200 characters")
    try:
        return clean_message_text(text)
    except ValueError as exc:
        raise InvalidInput(f"text: {exc}") from None


def _write(item: MessageModel, *, resumes: bool, now: datetime) -> MessageModel:
    """The message and its id's claim in one transaction, on an open ticket. ``resumes``: a customer's public
    message also ends the ticket's waiting on the customer (SPEC S1: the response clock runs again), in the same
    transaction, under the ticket's SLA version (a concurrent change reads again)."""
    claim = MessageKeyModel(item.ticket_id, f"{MESSAGE_KEY_PREFIX}{item.message_id}", message_sk=item.sk)
    tx = Tx()
    waiting = _waiting_ticket(item.ticket_id) if resumes else None
    if waiting is not None:
        when = max(parse_iso(item.at), parse_iso(waiting.waiting_since or item.at))
        tx.update("ticket", waiting, waiting_actions(waiting, False, when, now, None), condition=same_sla(waiting))
    else:
        tx.check("ticket", TicketModel, item.ticket_id, TICKET_SK, condition=TicketModel.status == "open")
    tx.put("claim", claim, condition=MessageKeyModel.sk.does_not_exist())
    tx.put("message", item, condition=MessageModel.sk.does_not_exist())
    refused = commit_or_retry(tx, unless=("claim", "ticket"))
    if refused is None:
        return item
    if "claim" in refused:
        return _replayed(item)
    try:
        ticket = TicketModel.get(item.ticket_id, TICKET_SK, consistent_read=True)
    except TicketModel.DoesNotExist:
        raise NotFound("ticket not found") from None
    if ticket.status == "open":
        raise Retry()  # its waiting changed under us: read it again
    raise TicketClosed(CLOSED if ticket.status == "closed" else f"the ticket is {ticket.status.replace('_', ' ')}")


def _waiting_ticket(ticket_id: str) -> TicketModel | None:
    """The ticket, when it is open and waiting on the customer (else None: a plain check will do)."""
    try:
        ticket = TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)
    except TicketModel.DoesNotExist:
        raise NotFound("ticket not found") from None
    return ticket if ticket.status == "open" and ticket.waiting_since else None


def _replayed(item: MessageModel) -> MessageModel:
    claim = MessageKeyModel.get(item.ticket_id, f"{MESSAGE_KEY_PREFIX}{item.message_id}", consistent_read=True)
    existing = MessageModel.get(item.ticket_id, claim.message_sk, consistent_read=True)
    if existing.text != item.text or existing.visibility != item.visibility:
        raise Conflict("this message id (Idempotency-Key) was already used for a different message")
    return existing


# -- over HTTP (API.md GET/POST /tickets/{ticket_id}/messages) ---------------------------------------------


def post_message(
    actor: Actor,
    ticket_id: str,
    text: str,
    visibility: str = "public",
    *,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> MessageModel:
    """SPEC W5: staff write to the customer (public; a response, S1) or leave an internal note; the account's
    customer writes public messages only (internal: 403); another tenant's ticket is 404."""
    actor.require_visible(account_of(ticket_id), "ticket")
    if actor.is_staff:
        role, name = staff_author(actor)
        via = "staff"
    elif visibility == "internal":
        raise Forbidden("only staff may leave internal notes; write a public message instead")
    else:
        role, name, via = "customer", actor.name or _account_name(ticket_id), "portal"
    message_id = _message_id(ticket_id, actor.subject, idempotency_key)
    return add_message(
        ticket_id, role, name, text, visibility, via, message_id=message_id, author_subject=actor.subject, clock=clock
    )


def _account_name(ticket_id: str) -> str:
    """A customer's token without a name (API.md "Names"): the message names their account (SPEC W2)."""
    try:
        ticket = TicketModel.get(ticket_id, TICKET_SK, attributes_to_get=["account_name"])
    except TicketModel.DoesNotExist:
        raise NotFound("ticket not found") from None
    return ticket.account_name or "Customer"


def _message_id(ticket_id: str, subject: str, idempotency_key: str | None) -> str | None:
    """With an Idempotency-Key the id is derived from it (and who sent it), so a retried post finds its first."""
    if not idempotency_key:
        return None
    return "msg_" + hashlib.sha256(f"{ticket_id}\0{subject}\0{idempotency_key}".encode()).hexdigest()[:26]


def list_messages(
    actor: Actor, ticket_id: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[MessageModel], str | None]:
    """SPEC W5: the conversation oldest first, one Query per page; a customer reads public messages only."""
    actor.require_visible(account_of(ticket_id), "ticket")
    scope = "all" if actor.is_staff else "public"
    bound = {"ticket_id": ticket_id, "scope": scope}
    start = cursors.decode(
        cursor,
        list_name="messages",
        bound=bound,
        names=frozenset({"ticket_id", "sk"}),
        pinned={"ticket_id": ticket_id},
    )
    result = MessageModel.query(
        ticket_id,
        MessageModel.sk.startswith(MESSAGE_SK_PREFIX),
        filter_condition=None if actor.is_staff else MessageModel.visibility == "public",
        limit=limit,
        last_evaluated_key=start,
    )
    items = list(result)
    if not items and start is None and not _exists(ticket_id):
        raise NotFound("ticket not found")
    return items, cursors.encode(result.last_evaluated_key, list_name="messages", bound=bound)


def _exists(ticket_id: str) -> bool:
    try:
        TicketModel.get(ticket_id, TICKET_SK, attributes_to_get=["ticket_id"])
    except TicketModel.DoesNotExist:
        return False
    return True
