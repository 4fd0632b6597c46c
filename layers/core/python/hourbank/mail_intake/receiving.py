"""SPEC E1, e-mail intake: a mail SES stored becomes a ticket, a message on a ticket, or an inbox item for staff.

``receive`` is the one entry (the mail intake function calls it per stored mail):

1. the mail is parsed within bounds (``parsing``); one that cannot be read is kept, ``refused``, with why;
2. its inbox item is claimed (``inbox.claim``: "does not exist" on an id that follows from the mail) - a
   delivery that finds the item already done stops there: the same mail twice is one effect;
3. the sender's address → the account (SPEC O7, ``senders``); a reference in the subject → a message on that
   ticket, only a ticket of the sender's own account; else a ticket (subject → title, text → description,
   priority always normal: urgent is never taken from a mail). A non-member at zero (C4) gets none: kept,
   ``refused``, and told how to top up. An unknown sender: kept, ``unmatched``, for staff to assign;
4. attachments are kept in the mail bucket within ``MAX_ATTACHMENT_BYTES`` each, ``MAX_ATTACHMENTS_BYTES`` in
   all, listed on the item and in the ticket's text; those not kept are named in the reply;
5. the item leaves ``processing`` by a conditional update (``inbox.finish``) and only that delivery answers
   the sender (one reply, its id following from the mail), never an automatic mail (RFC 3834: no loops).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from hourbank.kernel.clock import iso
from hourbank.kernel.errors import InsufficientCredit
from hourbank.kernel.identity import CUSTOMERS, Actor
from hourbank.mail_intake import inbox, replies, senders
from hourbank.mail_intake.parsing import HEAD_BYTES, MAX_MAIL_BYTES, ParsedMail, Unreadable, parse, peek
from hourbank.ports.mail import Message
from hourbank.ports.objects import Objects
from hourbank.store.models import AttachmentMap, InboxModel

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class Stored:
    """Where SES stored the mail, and when it arrived (the S3 event's time)."""

    bucket: str
    key: str
    received_at: datetime


SES_SETUP_OBJECT = "AMAZON_SES_SETUP_NOTIFICATION"  # SES writes it once when the rule is made: not a mail


def stored_mails(event: dict) -> list[Stored]:
    """The mails an S3 event names (its keys URL-encoded, "+" for a space), SES's set-up object left out."""
    from urllib.parse import unquote_plus

    out = []
    for record in event.get("Records") or []:
        s3 = record.get("s3") or {}
        key = unquote_plus(str((s3.get("object") or {}).get("key") or ""))
        if not key or key.rpartition("/")[2] == SES_SETUP_OBJECT:
            continue
        out.append(Stored(str((s3.get("bucket") or {}).get("name") or ""), key, _event_time(record.get("eventTime"))))
    return out


def _event_time(text: object) -> datetime:
    from datetime import UTC

    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return datetime.now(UTC)


@dataclass
class Context:
    objects: Objects
    send: Callable[[Message], None]
    website_url: str = ""
    notes: list[str] = field(default_factory=list)


def read_stored(stored: Stored, ctx: Context) -> tuple[bytes, int]:
    """The mail's bytes: all of it up to the parsing limit, else only its head (``parsing.peek``)."""
    return ctx.objects.read(stored.bucket, stored.key, MAX_MAIL_BYTES + 1)


def receive(stored: Stored, ctx: Context) -> InboxModel:
    from hourbank.store.transactions import ensure_bound

    ensure_bound()
    raw, size = read_stored(stored, ctx)
    try:
        if size > MAX_MAIL_BYTES:
            sender, subject = peek(raw[:HEAD_BYTES])
            limit = MAX_MAIL_BYTES // 1024 // 1024
            raise Unreadable(f"the mail is {size / 1024 / 1024:.1f} MB, over the {limit} MB we accept", sender, subject)
        mail = parse(raw)
    except Unreadable as unreadable:
        return _keep_unreadable(unreadable, raw, stored, ctx)
    item, new = inbox.claim(_item(mail, raw, stored))
    if not new and item.status != inbox.PROCESSING:
        return _answer_again(item, mail, ctx)  # a redelivery: nothing more happens (its reply, if it failed)
    return _handle(item, mail, ctx)


def _item(mail: ParsedMail, raw: bytes, stored: Stored) -> InboxModel:
    mail_id = inbox.mail_id_of(mail.sender, mail.message_id, raw)
    return InboxModel(
        mail_id,
        received_key=f"{iso(stored.received_at)}#{mail_id}",
        received_at=iso(stored.received_at),
        status=inbox.PROCESSING,
        sender=mail.sender,
        sender_name=mail.sender_name or None,
        subject=mail.subject,
        text=mail.text or None,
        from_html=mail.from_html,
        header_message_id=mail.message_id,
        bucket=stored.bucket,
        object_key=stored.key,
    )


def _keep_unreadable(unreadable: Unreadable, raw: bytes, stored: Stored, ctx: Context) -> InboxModel:
    """SPEC E1: a mail that cannot be parsed is kept (``refused``, why) and its sender, if known, told."""
    mail_id = inbox.mail_id_of(None, None, raw)
    item, new = inbox.claim(
        InboxModel(
            mail_id,
            received_key=f"{iso(stored.received_at)}#{mail_id}",
            received_at=iso(stored.received_at),
            status=inbox.PROCESSING,
            sender=unreadable.sender,
            subject=unreadable.subject or "(a mail we could not read)",
            reason=unreadable.reason,
            bucket=stored.bucket,
            object_key=stored.key,
        )
    )
    if not new and item.status != inbox.PROCESSING:
        return item
    reply = None
    if unreadable.sender:
        why = f"We could not read it: {unreadable.reason}. Please send it again as a shorter, plain-text mail."
        reply = replies.kept(mail_id, unreadable.sender, "", item.subject, why)
    _finish(item, "refused", reply, ctx, reason=unreadable.reason)
    return item


def _handle(item: InboxModel, mail: ParsedMail, ctx: Context) -> InboxModel:
    if mail.flagged:  # SES's virus or spam verdict: kept for staff, never answered (no backscatter)
        _finish(item, "refused" if "virus" in mail.flagged else "unmatched", None, ctx, reason=mail.flagged)
        return item
    account = senders.account_for(mail.sender)
    if account is None:
        why = "It did not come from an address we know."
        reply = replies.kept(item.mail_id, mail.sender, mail.sender_name, mail.subject, why)
        _finish(item, "unmatched", _unless_automatic(mail, reply), ctx, reason="no account or contact has this address")
        return item
    kept, lost = _keep_attachments(item, mail, ctx)
    target = _referenced(mail, account.account_id)
    if target is not None and target.account_id != account.account_id:
        why = f"Its subject names ticket {target.reference}, which is not one of your account's tickets."
        reply = replies.kept(item.mail_id, mail.sender, mail.sender_name, mail.subject, why)
        reason = f"the subject names ticket {target.reference} of another account; not added to it"
        _finish(item, "unmatched", _unless_automatic(mail, reply), ctx, reason=reason, account_id=account.account_id)
        return item
    if target is not None:
        return _add_to_ticket(item, mail, account, target, ctx, kept, lost)
    return _open_ticket(item, mail, account, ctx, kept, lost)


@dataclass(frozen=True)
class Target:
    ticket_id: str
    account_id: str
    reference: str


def _referenced(mail: ParsedMail, account_id: str) -> Target | None:
    """The ticket whose reference the subject carries: the sender's account's first, else another's (which the
    mail is never added to), else None (a reference that names no ticket is just words)."""
    from hourbank.mail_intake.effects import ticket_by_reference
    from hourbank.tickets.common import account_of

    found = []
    for reference in replies.references(mail.subject):
        ticket_id = ticket_by_reference(reference)
        if ticket_id is not None:
            found.append(Target(ticket_id, account_of(ticket_id), reference))
    own = [t for t in found if t.account_id == account_id]
    return (own or found)[0] if found else None


def mail_actor(mail: ParsedMail, account_id: str) -> Actor:
    """Who writes through a mail: the customer of the account the address belongs to (SPEC O7, W1)."""
    return Actor(
        subject=f"mail:{mail.sender}",
        roles=frozenset({CUSTOMERS}),
        account_id=account_id,
        name=mail.sender_name or mail.sender,
    )


def _open_ticket(item, mail, account, ctx, kept, lost) -> InboxModel:  # type: ignore[no-untyped-def]
    from hourbank.mail_intake import effects
    from hourbank.rating.consumption import hours_text

    try:
        ticket = effects.open_from_mail(
            mail_actor(mail, account.account_id),
            account.account_id,
            ticket_id=inbox.ticket_id_for(item.mail_id, account.account_id),
            title=mail.subject,
            text=with_attachments(mail.text, kept),
        )
    except InsufficientCredit as refusal:  # SPEC C4: no billable ticket; the mail is kept, the reply says how
        details = refusal.details or {}
        available = hours_text(max(int(details.get("available_minutes", 0)), 0))
        needed = str(details.get("top_up_hours", "1"))
        link = f"{ctx.website_url}/" if ctx.website_url else ""
        reply = replies.top_up(item.mail_id, mail.sender, mail.sender_name, mail.subject, available, needed, link)
        reason = f"a non-member account with {available} h available: a ticket needs 1 h (SPEC C4)"
        _finish(item, "refused", _unless_automatic(mail, reply), ctx, reason=reason, account_id=account.account_id)
        return item
    link = portal_link(ctx, ticket.ticket_id)
    reply = replies.opened(item.mail_id, mail.sender, mail.sender_name, mail.subject, ticket.reference, link, lost)
    fields = {"ticket_id": ticket.ticket_id, "reference": ticket.reference, "account_id": account.account_id}
    _finish(item, "ticket", _unless_automatic(mail, reply), ctx, attachments=_maps(kept, lost), **fields)
    return item


def _add_to_ticket(item, mail, account, target, ctx, kept, lost) -> InboxModel:  # type: ignore[no-untyped-def]
    from hourbank.kernel.errors import TicketClosed
    from hourbank.mail_intake import effects

    try:
        effects.add_from_mail(
            mail_actor(mail, account.account_id),
            target.ticket_id,
            item.mail_id,
            with_attachments(mail.text, kept) or mail.subject,
        )
    except TicketClosed:  # a reply to a ticket no longer open is a new request: a ticket of its own
        return _open_ticket(item, mail, account, ctx, kept, lost)
    link = portal_link(ctx, target.ticket_id)
    reply = replies.added(item.mail_id, mail.sender, mail.sender_name, mail.subject, target.reference, link, lost)
    fields = {"ticket_id": target.ticket_id, "reference": target.reference, "account_id": account.account_id}
    _finish(item, "message", _unless_automatic(mail, reply), ctx, attachments=_maps(kept, lost), **fields)
    return item


def portal_link(ctx: Context, ticket_id: str) -> str:
    return f"{ctx.website_url}/portal/#/tickets/{ticket_id}" if ctx.website_url else ""


def _unless_automatic(mail: ParsedMail, reply: Message) -> Message | None:
    return None if mail.automatic else reply


@dataclass(frozen=True)
class Kept:
    name: str
    content_type: str
    size: int
    key: str


def _keep_attachments(item: InboxModel, mail: ParsedMail, ctx: Context) -> tuple[list[Kept], list[str]]:
    """Each attachment within the limits kept in the mail bucket (the same key for the same mail: a redelivery
    writes the same object again); the others named, with why, for the reply."""
    kept: list[Kept] = []
    lost: list[str] = []
    total = 0
    for n, attachment in enumerate(mail.attachments, start=1):
        size = len(attachment.data)
        why = None
        if n > MAX_ATTACHMENTS:
            why = f"more than {MAX_ATTACHMENTS} attachments"
        elif size > MAX_ATTACHMENT_BYTES:
            why = f"{size / 1024 / 1024:.1f} MB, over the {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB limit"
        elif total + size > MAX_ATTACHMENTS_BYTES:
            why = f"the attachments together are over {MAX_ATTACHMENTS_BYTES // 1024 // 1024} MB"
        if why:
            lost.append(f"{attachment.name} ({why})")
            continue
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in attachment.name)[:100]
        key = f"attachments/{item.mail_id}/{n}-{safe}"
        ctx.objects.put(item.bucket or "", key, attachment.data, attachment.content_type)
        kept.append(Kept(attachment.name, attachment.content_type, size, key))
        total += size
    return kept, lost


def _maps(kept: list[Kept], lost: list[str]) -> list[AttachmentMap]:
    out = [AttachmentMap(name=k.name, content_type=k.content_type, size=k.size, kept=True, key=k.key) for k in kept]
    for line in lost:
        name, _, why = line.rpartition(" (")
        out.append(AttachmentMap(name=name, content_type="", size=0, kept=False, why=why.rstrip(")")))
    return out


def with_attachments(text: str, kept: list[Kept]) -> str:
    """The mail's text and, under it, the attachments kept (SPEC E1: listed on what the mail became)."""
    if not kept:
        return text
    lines = "\n".join(f"  - {k.name} ({_size(k.size)})" for k in kept)
    return f"{text}\n\nAttachments:\n{lines}".strip()


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _finish(item: InboxModel, status: str, reply: Message | None, ctx: Context, **fields) -> None:  # type: ignore[no-untyped-def]
    """Leave ``processing``; only the delivery that did answers (the reply claimed with it, given back if the
    mail service fails, so a retry of this delivery sends it)."""
    if not inbox.finish(item, status, replied=reply is not None, **fields):
        item.refresh(consistent_read=True)  # another delivery of the mail finished it: answer as it stands
        return
    from hourbank.ports import metrics

    metrics.emit({metrics.MAILS_RECEIVED: 1}, outcome=status)
    if reply is not None:
        _send(item, reply, ctx)


def _send(item: InboxModel, reply: Message, ctx: Context) -> None:
    try:
        ctx.send(reply)
    except Exception:
        inbox.mark_replied(item, False)
        raise


def _answer_again(item: InboxModel, mail: ParsedMail, ctx: Context) -> InboxModel:
    """A redelivery of a mail already handled: nothing happens again. Only a reply the mail service failed to
    send (the item says so) is claimed and sent now."""
    if item.replied or mail.automatic or item.status not in inbox.STATUSES:
        return item
    ctx.notes.append("reply retried")
    reply = _reply_for(item, mail, ctx)
    if reply is not None and inbox.mark_replied(item, True):
        _send(item, reply, ctx)
    return item


def _reply_for(item: InboxModel, mail: ParsedMail, ctx: Context) -> Message | None:
    lost = [f"{a.name} ({a.why})" for a in item.attachments or [] if not a.kept]
    link = portal_link(ctx, item.ticket_id) if item.ticket_id else ""
    if item.status == "ticket" and item.reference:
        return replies.opened(item.mail_id, mail.sender, mail.sender_name, item.subject, item.reference, link, lost)
    if item.status == "message" and item.reference:
        return replies.added(item.mail_id, mail.sender, mail.sender_name, item.subject, item.reference, link, lost)
    return None
