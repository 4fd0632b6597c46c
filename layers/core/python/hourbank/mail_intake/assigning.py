"""SPEC E1: staff assign a kept mail (unknown sender, unreadable, refused at zero) to an account - a ticket opens
(subject → title, text → description, priority normal) - or to a ticket - the mail becomes a message on it.
API.md ``POST /inbox/{mail_id}/assign``. Assigning again to the same place answers the item as it is."""

from __future__ import annotations

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock
from hourbank.kernel.errors import Conflict, NotFound
from hourbank.kernel.identity import BILLING, CUSTOMERS, TECHNICIANS, Actor
from hourbank.mail_intake import effects, inbox
from hourbank.store.models import InboxModel


def assign(
    actor: Actor,
    mail_id: str,
    *,
    account_id: str | None = None,
    ticket_id: str | None = None,
    reference: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> InboxModel:
    actor.require(TECHNICIANS, BILLING, action="assign received mail")
    item = inbox.get_mail(actor, mail_id)
    if reference is not None:
        ticket_id = effects.ticket_by_reference(reference.lstrip("#").upper())
        if ticket_id is None:
            raise NotFound(f"no ticket has the reference {reference.lstrip('#').upper()}; check it and try again")
    if item.status in ("ticket", "message"):
        if (account_id and item.account_id == account_id and item.status == "ticket") or (
            ticket_id and item.ticket_id == ticket_id and item.status == "message"
        ):
            return item  # the same assignment again (a retried request): nothing more happens
        raise Conflict(f"this mail already became {_what(item)}; it cannot be assigned again")
    if item.status == inbox.PROCESSING:
        raise Conflict("this mail is still being received; try again in a minute")
    text = item.text or ""
    if account_id is not None:
        opened = effects.open_from_mail(
            actor, account_id, ticket_id=inbox.ticket_id_for(mail_id, account_id), title=item.subject, text=text
        )
        return inbox.assigned(
            actor,
            item,
            "ticket",
            at=clock.now(),
            ticket_id=opened.ticket_id,
            reference=opened.reference,
            account_id=account_id,
            reason=None,
        )
    assert ticket_id is not None
    target = effects.ticket_for_message(actor, ticket_id)
    author = Actor(
        subject=f"mail:{item.sender or 'unknown'}",
        roles=frozenset({CUSTOMERS}),
        account_id=target.account_id,
        name=item.sender_name or item.sender or "unknown sender",
    )
    effects.add_from_mail(author, ticket_id, mail_id, text or item.subject)
    return inbox.assigned(
        actor,
        item,
        "message",
        at=clock.now(),
        ticket_id=ticket_id,
        reference=target.reference,
        account_id=target.account_id,
    )


def _what(item: InboxModel) -> str:
    what = "a ticket" if item.status == "ticket" else "a message on a ticket"
    return f"{what} ({item.reference})" if item.reference else what
