"""What a received mail does to tickets (SPEC E1), each safe to do twice: a ticket whose id follows from the mail
(``inbox.ticket_id_for``), a message whose id follows from the mail."""

from __future__ import annotations

import hashlib

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.identity import Actor
from hourbank.store.models import REFERENCE_SK, TICKET_SK, TicketModel, TicketReferenceModel
from hourbank.store.transactions import TxFailed, with_retries
from hourbank.tickets import service

MAIL_PRIORITY = "normal"  # SPEC E1 (seed 003): urgent is never taken from a mail


def ticket_by_reference(reference: str) -> str | None:
    """The ticket a short reference names (its claim, read by key), or None."""
    try:
        claim = TicketReferenceModel.get(service.REFERENCE_PREFIX + reference, REFERENCE_SK, consistent_read=True)
        return claim.owner_ticket_id
    except DoesNotExist:
        return None


def open_from_mail(actor: Actor, account_id: str, *, ticket_id: str, title: str, text: str) -> TicketModel:
    """The ticket a mail opens (subject → title, text → description), through the ticket service (SPEC C4's gate
    included); opened already by another delivery of the same mail → that ticket."""

    def attempt() -> TicketModel:
        try:
            return service.open_ticket(
                actor, account_id, title, MAIL_PRIORITY, description=text or None, ticket_id=ticket_id
            )
        except TxFailed as exc:
            if "ticket" not in exc.refused:
                raise  # a conflict (another delivery's transaction in the way) is retried by with_retries
            return TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)

    return with_retries(attempt, tries=10)


def ticket_for_message(actor: Actor, ticket_id: str) -> TicketModel:
    """The ticket a mail is to be added to: seen by ``actor`` (404 otherwise) and still open (409)."""
    from hourbank.kernel.errors import TicketClosed

    ticket, _ = service.get_ticket(actor, ticket_id)
    if ticket.status == "closed":
        raise TicketClosed("the ticket is closed; a mail can no longer be added to it")
    return ticket


def message_id_for(mail_id: str, ticket_id: str) -> str:
    """The message a mail becomes on a ticket: its id follows from both, so a redelivery adds nothing (W5's claim)."""
    return "msg_m" + hashlib.sha256(f"{mail_id}\0{ticket_id}".encode()).hexdigest()[:26]


def add_from_mail(author: Actor, ticket_id: str, mail_id: str, text: str) -> None:
    """The mail as a public message on the ticket, by its sender, via e-mail (SPEC W5, E1). ``TicketClosed`` when
    the ticket is no longer open."""
    from hourbank.kernel.text import MESSAGE_MAX_LENGTH
    from hourbank.tickets.conversation import add_message

    if len(text) > MESSAGE_MAX_LENGTH:
        cut = "\n\n(The mail goes on; staff can read all of it in the inbox.)"
        text = text[: MESSAGE_MAX_LENGTH - len(cut)].rstrip() + cut
    add_message(
        ticket_id,
        "customer",
        author.name or author.subject,
        text,
        "public",
        "email",
        message_id=message_id_for(mail_id, ticket_id),
        author_subject=author.subject,
    )
