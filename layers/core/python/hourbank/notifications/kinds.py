"""SPEC N1: what each event says, and to whom - one builder per event kind (``BUILDERS``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hourbank.notifications import events as ev
from hourbank.notifications import texts
from hourbank.notifications.compose import Composer, load_ticket
from hourbank.rating.consumption import STEP_MINUTES


def _int(value: Any) -> int:
    return int(value or 0)


MAIL_AUTHOR = "mail:"  # the intake's actor (E1): a ticket opened by a mail, whose reply already gave its reference


def opened(c: Composer) -> None:
    t = c.event.image
    if t.get("visit_id"):
        return  # SPEC V1: staff booked it; the customer's mail is its payment link (``payment_link``)
    ticket_id, ref, title = str(t["ticket_id"]), str(t.get("reference") or ""), str(t.get("title") or "")
    due, link = str(t.get("response_due_at") or ""), c.links.ticket(ticket_id)
    if not str(t.get("opened_by") or "").startswith(MAIL_AUTHOR):  # E1's reply said it: not twice
        c.customer(
            "ticket_received", "ticket_updates", lambda: texts.received(c.name, ref, title, due, link, c.zone), ref
        )
    account = str(t.get("account_name") or c.name)
    c.staff(
        "new_ticket",
        c.settings.technicians_email,
        lambda: texts.new_ticket(
            account,
            ref,
            title,
            str(t.get("priority") or ""),
            str(t.get("opened_by_name") or ""),
            str(t.get("description") or ""),
            due,
            link,
            c.settings.company_timezone,
        ),
        ref,
    )


def staff_message(c: Composer) -> None:
    m = c.event.image
    ticket = load_ticket(str(m["ticket_id"]))
    if ticket is None:
        return
    ref, link = str(ticket.reference or ""), c.links.ticket(ticket.ticket_id)
    author, body = str((m.get("author") or {}).get("name") or ""), str(m.get("text") or "")
    c.customer(
        "staff_message",
        "ticket_updates",
        lambda: texts.staff_message(c.name, ref, ticket.title, author, body, link),
        ref,
    )


def customer_message(c: Composer) -> None:
    """SPEC W5, N1: technicians are told a customer wrote (in the portal, or by a mail the intake added)."""
    m = c.event.image
    ticket = load_ticket(str(m["ticket_id"]))
    if ticket is None:
        return
    ref, link = str(ticket.reference or ""), c.links.ticket(ticket.ticket_id)
    author, via = str((m.get("author") or {}).get("name") or ""), str(m.get("via") or "")
    account = str(ticket.account_name or c.name)
    c.staff(
        "customer_message",
        c.settings.technicians_email,
        lambda: texts.customer_message(account, ref, ticket.title, author, via, str(m.get("text") or ""), link),
        ref,
    )


def closed(c: Composer) -> None:
    from hourbank.notifications.receipts import receipt_of

    t = c.event.image
    ref = str(t.get("reference") or "")
    link = c.links.ticket(str(t["ticket_id"]))
    c.customer("receipt", "receipts", lambda: texts.receipt_text(c.name, receipt_of(t, c.account), link), ref)


def awaiting(c: Composer) -> None:
    """SPEC C3, N1: always goes. The top-up asked for covers this ticket, in P1's order steps (≥ 1 h, ½ h)."""
    t = c.event.image
    if c.account is None:
        return
    consumed, balance = _int(t.get("projected_consumption_minutes")), _int(c.account.balance_minutes)
    short = max(consumed - max(balance, 0), 0)
    top_up = max(60, -(-short // STEP_MINUTES) * STEP_MINUTES)
    ref, title = str(t.get("reference") or ""), str(t.get("title") or "")
    pay = c.links.order_form(c.account.account_id)
    c.customer(
        "awaiting_credit", None, lambda: texts.awaiting_credit(c.name, ref, title, consumed, balance, top_up, pay), ref
    )


def entry_words(e: dict[str, Any]) -> str:
    who = f" by {e['technician_name']}" if e.get("technician_name") else ""
    return f"{texts.when(str(e.get('started_at') or ''))}, {e.get('work_type')}, {_int(e.get('minutes'))} min{who}"


def dispute_raised(c: Composer) -> None:
    e = c.event.image
    d = e.get("dispute") or {}
    ticket = load_ticket(str(e["ticket_id"]))
    ref = str(ticket.reference or "") if ticket else ""
    account = c.name or c.event.account_id
    link = c.links.ticket(str(e["ticket_id"]))
    by = str(d.get("raised_by_name") or "")
    c.staff(
        "dispute_raised",
        c.settings.billing_email,
        lambda: texts.dispute_raised(account, ref, entry_words(e), str(d.get("reason") or ""), by, link),
        ref,
    )


def dispute_resolved(c: Composer) -> None:
    e = c.event.image
    d = e.get("dispute") or {}
    ticket = load_ticket(str(e["ticket_id"]))
    ref = str(ticket.reference or "") if ticket else ""
    upheld, note, credited = (
        d.get("status") == "upheld",
        str(d.get("resolution_note") or ""),
        _int(d.get("credited_minutes")),
    )
    link = c.links.ticket(str(e["ticket_id"]))
    c.customer(
        "dispute_outcome",
        "ticket_updates",
        lambda: texts.dispute_outcome(c.name, ref, entry_words(e), upheld, note, credited, link),
        ref,
    )


def payment_link(c: Composer) -> None:
    """SPEC V1, N1: a visit's booking or extension to pay - always goes."""
    from hourbank.notifications.receipts import visit_of

    o = c.event.image
    visit = visit_of(str(o.get("visit_id") or ""))
    price = texts.money(_int(o.get("amount_minor")), str(o.get("currency") or "USD"))
    extension, hours = o.get("kind") == "visit_extension", _int(o.get("visit_hours"))
    scheduled = str(visit.scheduled_at) if visit else ""
    address = str(visit.address) if visit else ""
    url = str(o.get("checkout_url") or "")
    c.customer(
        "payment_link", None, lambda: texts.payment_link(c.name, extension, hours, price, scheduled, address, url)
    )


def payment(c: Composer) -> None:
    from hourbank.notifications.receipts import bought_words

    o = c.event.image
    paid = (o.get("payments") or {}).get(c.event.detail) or {}
    price = texts.money(_int(o.get("amount_minor")), str(o.get("currency") or "USD"))
    link = c.links.account(c.event.account_id)
    at = str(paid.get("at") or o.get("created_at") or "")
    c.customer(
        "payment_receipt",
        "receipts",
        lambda: texts.payment_received(c.name, price, bought_words(o), at, c.event.detail, link, c.zone),
    )


def review(c: Composer) -> None:
    r = c.event.image
    amount = r.get("amount_minor")
    price = texts.money(_int(amount), str(r.get("currency") or "USD")) if amount is not None else ""
    account = c.name
    link = c.links.portal("billing/reviews")  # billing's desk: the payments kept for review (W4)
    c.staff(
        "review_kept",
        c.settings.billing_email,
        lambda: texts.review_kept(price, str(r.get("reason") or ""), str(r.get("event_id") or ""), account, link),
    )


def mail_kept(c: Composer) -> None:
    m = c.event.image
    link = c.links.portal("inbox")  # the desk's inbox, where staff assign it
    c.staff(
        "mail_kept",
        c.settings.technicians_email,
        lambda: texts.mail_kept(
            str(m.get("sender") or ""), str(m.get("subject") or ""), str(m.get("reason") or ""), c.name, link
        ),
    )


def statement(c: Composer) -> None:
    month, link = c.event.detail, c.links.account(c.event.account_id, "statements")
    c.customer("statement_ready", "statements", lambda: texts.statement_ready(c.name, month, link))


BUILDERS: dict[str, Callable[[Composer], None]] = {
    ev.OPENED: opened,
    ev.RESPONSE: staff_message,
    ev.CUSTOMER_MESSAGE: customer_message,
    ev.CLOSED: closed,
    ev.AWAITING: awaiting,
    ev.DISPUTE_RAISED: dispute_raised,
    ev.DISPUTE_RESOLVED: dispute_resolved,
    ev.PAYMENT_LINK: payment_link,
    ev.PAYMENT: payment,
    ev.REVIEW: review,
    ev.STATEMENT: statement,
    ev.MAIL_KEPT: mail_kept,
}
