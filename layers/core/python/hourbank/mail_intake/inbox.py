"""The inbox (SPEC E1; API.md ``GET /inbox``, ``POST /inbox/{mail_id}/assign``): every received mail, and what
became of it. Written by the intake (``receiving``); read and assigned by staff.

One item per mail, keyed by ``mail_id`` - a hash of the sender and the Message-ID, or of the mail's bytes when it
has none - put with "does not exist" (``claim``): a mail delivered twice, even at once, is one item, and only
the delivery that moves it out of ``processing`` (``finish``, a conditional update) has an effect and answers.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from hourbank.kernel.clock import iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, TECHNICIANS, Actor
from hourbank.store import cursors
from hourbank.store.models import InboxModel
from hourbank.store.transactions import saved_if, updated_if

PROCESSING = "processing"
STATUSES = ("unmatched", "ticket", "message", "refused")  # API.md GET /inbox ?status=
ASSIGNABLE = ("unmatched", "refused")


def mail_id_of(sender: str | None, message_id: str | None, raw: bytes) -> str:
    """SPEC E1: the same mail is the same id - its sender and Message-ID (a resend by another sender with a
    Message-ID it copied is another mail), else a hash of its bytes."""
    if message_id:
        basis = f"id\0{(sender or '').lower()}\0{message_id.strip().lower()}".encode()
    else:
        basis = b"raw\0" + raw
    return "mail_" + hashlib.sha256(basis).hexdigest()[:32]


def ticket_id_for(mail_id: str, account_id: str) -> str:
    """The ticket a mail opens on an account: its id follows from both, so the intake and a retry (or staff
    assigning it to the same account) open one ticket, never two (``open_ticket``'s "does not exist")."""
    body = hashlib.sha256(f"{mail_id}\0{account_id}".encode()).hexdigest()[:25]
    return f"tkt_m{body}.{account_id}"


def claim(item: InboxModel) -> tuple[InboxModel, bool]:
    """Put the mail's item with "does not exist": ``(item, True)``, or the item already there and False."""
    if saved_if(item, InboxModel.mail_id.does_not_exist()):
        return item, True
    return InboxModel.get(item.mail_id, consistent_read=True), False


def finish(item: InboxModel, status: str, *, replied: bool, **fields: Any) -> bool:
    """Move the item out of ``processing`` (True), or False: another delivery of the same mail did first."""
    actions: list[Action] = [InboxModel.status.set(status), InboxModel.replied.set(replied)]
    actions += [getattr(InboxModel, name).set(value) for name, value in fields.items() if value is not None]
    return updated_if(item, actions, InboxModel.status == PROCESSING)


def mark_replied(item: InboxModel, replied: bool) -> bool:
    """Claim the reply (False → True), or give it back after the mail service failed (True → False)."""
    return updated_if(item, [InboxModel.replied.set(replied)], InboxModel.replied == (not replied))


def get_mail(actor: Actor, mail_id: str) -> InboxModel:
    actor.require(TECHNICIANS, BILLING, action="read received mail")
    try:
        return InboxModel.get(mail_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("mail not found") from None


def list_inbox(
    actor: Actor, *, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[InboxModel], str | None]:
    """Received mail, newest first, one Query of an index (never a Scan); ``status`` keeps one kind."""
    actor.require(TECHNICIANS, BILLING, action="read received mail")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    bound = {"status": status}
    index, partition, name = (
        (InboxModel.by_status, status, "status") if status else (InboxModel.by_received, "inbox", "box")
    )
    start = cursors.decode(
        cursor,
        list_name="inbox",
        bound=bound,
        names=frozenset({"mail_id", name, "received_key"}),
        pinned={name: partition},
    )
    result = index.query(partition, scan_index_forward=False, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, cursors.encode(result.last_evaluated_key, list_name="inbox", bound=bound)


def assigned(actor: Actor, item: InboxModel, status: str, *, at: Any, **fields: Any) -> InboxModel:
    """Record what staff made of a kept mail (unmatched or refused → ticket or message); 409 if another
    assignment came first."""
    actions: list[Action] = [
        InboxModel.status.set(status),
        InboxModel.assigned_by.set(actor.subject),
        InboxModel.assigned_at.set(iso(at)),
        *(getattr(InboxModel, k).set(v) for k, v in fields.items() if v is not None),
    ]
    if actor.name:
        actions.append(InboxModel.assigned_by_name.set(actor.name))
    if not updated_if(item, actions, InboxModel.status.is_in(*ASSIGNABLE)):
        raise Conflict("this mail was assigned meanwhile; reload the inbox to see what became of it")
    return item
