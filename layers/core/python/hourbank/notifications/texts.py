"""SPEC N1: the words of each notification - pure functions over plain data (no I/O), tested as tables.

Text is the mail; HTML, when sent, is that same text escaped (``html_of``), so nothing a customer or a
technician typed is ever markup. Money is money ("$225.00"), time is minutes and hours ("150 min (2.5 h)").
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from hourbank.kernel.addresses import one_line
from hourbank.rating.consumption import STEP_MINUTES, hours_text

SIGNATURE = "Hourbank support"
_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "GBP": "£", "EUR": "€"}
_REASONS = {"after_hours": "after hours", "emergency": "emergency"}
_WORK = {"remote": "remote", "lab": "in the lab", "onsite": "onsite", "travel": "travel"}


def money(minor: int, currency: str) -> str:
    """SPEC U2 for people: "$225.00", "€1,200.50"; another currency by its code."""
    amount = f"{Decimal(int(minor)).scaleb(-2):,.2f}"
    code = currency.upper()
    sign, amount = ("-", amount[1:]) if amount.startswith("-") else ("", amount)
    return f"{sign}{_SYMBOLS[code]}{amount}" if code in _SYMBOLS else f"{sign}{code} {amount}"


def minutes(value: int) -> str:
    """SPEC U1 for people: "150 min (2.5 h)", "30 min"."""
    return f"{value} min ({hours_text(value)} h)" if abs(value) >= 60 else f"{value} min"


def when(text: str, zone: str = "") -> str:
    """An ISO time as people read it, with its zone: "Mon 7 Dec 2026, 09:00 EST" in ``zone`` (an IANA name) when
    given, else in the offset it was written with ("Mon 7 Dec 2026, 09:00 UTC-05:00")."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if zone and at.tzinfo is not None:
        from zoneinfo import ZoneInfo

        at = at.astimezone(ZoneInfo(zone))
    name = at.strftime("%Z") if at.tzinfo is not None else ""
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M}" + (f" {name}" if name else "")


def tagged(subject: str, reference: str) -> str:
    """The subject with the ticket's reference as E1 reads it back from a reply (``[#ABC234]``)."""
    base = one_line(subject)
    return f"{base} [#{reference}]" if reference else base


def html_of(text: str) -> str:
    """The same text as HTML: escaped, whitespace kept - never markup from data."""
    return (
        '<!doctype html><html><body><pre style="font-family:inherit;white-space:pre-wrap">'
        f"{html.escape(text, quote=True)}</pre></body></html>"
    )


def letter(name: str, *paragraphs: str) -> str:
    body = "\n\n".join(p for p in paragraphs if p)
    return f"Hello {one_line(name) or 'there'},\n\n{body}\n\n{SIGNATURE}\n"


def link_line(what: str, url: str) -> str:
    return f"{what}: {url}" if url else ""


# -- the close receipt (SPEC N1: time logged, how it became the consumed time, balance, post-pay) ------------


@dataclass(frozen=True)
class Segment:
    minutes: int
    multiplier: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Line:
    """One time entry as the receipt shows it."""

    started_at: str
    work_type: str
    minutes: int
    weighted: int
    technician: str
    note: str
    segments: tuple[Segment, ...]
    voided: str | None = None  # SPEC T9: the reason, when it was voided


@dataclass(frozen=True)
class Receipt:
    reference: str
    title: str
    closed_at: str
    lines: tuple[Line, ...]
    weighted: int  # T4: Σ segments × multiplier (voided entries excluded)
    onsite_weighted: int
    onsite_minimum: int  # T6: the plan's onsite minimum (0: none)
    consumed: int  # T5
    debited: int
    postpay: int
    postpay_rate_minor: int
    postpay_minor: int
    currency: str
    balance_after: int
    included: bool = False  # a flat-fee plan: usage recorded, nothing debited
    visit: bool = False  # SPEC V1: paid in money ahead, nothing debited
    zone: str = ""  # the account's time zone (else the company's): when it closed, as the customer reads it


def _segment_text(s: Segment) -> str:
    why = ", ".join(_REASONS.get(r, r.replace("_", " ")) for r in s.reasons) or "business hours"
    return f"{s.minutes} min × {s.multiplier} ({why})"


def _line_text(number: int, line: Line) -> list[str]:
    head = f"  {number}. {when(line.started_at)}, {_WORK.get(line.work_type, line.work_type)}, {line.minutes} min"
    who = f" - {one_line(line.technician)}" if line.technician else ""
    note = f': "{one_line(line.note)}"' if line.note.strip() else ""
    if line.voided is not None:
        return [f"{head}{who}{note}", f"     voided ({one_line(line.voided)}): counts for nothing"]
    parts = " + ".join(_segment_text(s) for s in line.segments) or f"{line.minutes} min × 1"
    return [f"{head}{who}{note}", f"     {parts} = {line.weighted} min"]


def receipt_steps(r: Receipt) -> list[str]:
    """T4-T6, said step by step: logged → weighted → onsite minimum → rounded (per ticket) → consumed."""
    logged = sum(line.minutes for line in r.lines if line.voided is None)
    steps = [f"  Time logged: {minutes(logged)}", f"  With the multipliers above: {minutes(r.weighted)}"]
    counted = r.weighted
    if r.onsite_minimum and r.onsite_weighted > 0 and r.onsite_weighted < r.onsite_minimum:
        extra = r.onsite_minimum - r.onsite_weighted
        counted += extra
        steps.append(
            f"  Onsite minimum of your plan: onsite and travel count as at least {minutes(r.onsite_minimum)}:"
            f" + {extra} min = {minutes(counted)}"
        )
    if r.consumed == 0:
        steps.append("  No time was logged, so nothing was charged.")
    elif r.consumed != counted:
        steps.append(
            f"  Rounded up to the next {STEP_MINUTES} minutes for the whole ticket (at least {STEP_MINUTES} min):"
            f" {minutes(r.consumed)}"
        )
    steps.append(f"  Time charged: {minutes(r.consumed)}")
    return steps


def receipt_costs(r: Receipt) -> list[str]:
    if r.visit:
        return ["  Onsite time was paid ahead with your visit: nothing came off your balance."]
    if r.included:
        return ["  Your plan includes this time: nothing came off your balance."]
    lines = [f"  Taken from your balance: {minutes(r.debited)}"]
    if r.postpay:
        lines.append(
            f"  Post-pay, invoiced at month end: {minutes(r.postpay)} at {money(r.postpay_rate_minor, r.currency)}/h"
            f" = {money(r.postpay_minor, r.currency)}"
        )
    lines.append(f"  Your balance now: {minutes(r.balance_after)}")
    return lines


def receipt_text(name: str, r: Receipt, link: str) -> tuple[str, str]:
    listed = [text for n, line in enumerate(r.lines, 1) for text in _line_text(n, line)] or ["  (none)"]
    text = letter(
        name,
        f"We closed ticket {r.reference}, “{one_line(r.title)}”, on {when(r.closed_at, r.zone)}. This is your receipt:"
        " every minute is below, so you can check it.",
        "Time logged\n" + "\n".join(listed),
        "How it became the time charged\n" + "\n".join(receipt_steps(r)),
        "What it cost\n" + "\n".join(receipt_costs(r)),
        "If an entry looks wrong, question it on the ticket's page and billing will look at it.",
        link_line("The ticket", link),
    )
    return tagged(f"Receipt for ticket {r.reference}: {minutes(r.consumed)} charged", r.reference), text


# -- the other notifications --------------------------------------------------------------------------------

_PRIORITY = {"urgent": "urgent", "normal": "normal", "low": "low"}
REPLY_HINT = "To add to this ticket, reply to this mail and keep [#{ref}] in the subject."


def received(name: str, reference: str, title: str, due: str, link: str, zone: str = "") -> tuple[str, str]:
    text = letter(
        name,
        f"We received your ticket {reference}: “{one_line(title)}”. A technician will answer"
        + (f" by {when(due, zone)}." if due else " soon."),
        REPLY_HINT.format(ref=reference),
        link_line("Follow it in the portal", link),
    )
    return tagged(f"Ticket received: {title}", reference), text


def new_ticket(account: str, reference: str, title: str, priority: str, opened_by: str, description: str,
               due: str, link: str, zone: str = "") -> tuple[str, str]:  # fmt: skip
    text = letter(
        "technicians",
        f"{one_line(account)} has a new {_PRIORITY.get(priority, priority)} ticket {reference}: “{one_line(title)}”"
        + (f", opened by {one_line(opened_by)}." if opened_by else "."),
        f"Description:\n{description[:2000]}" if description.strip() else "",
        f"First response due {when(due, zone)}." if due else "",
        link_line("Open it", link),
    )
    return tagged(f"New ticket from {account}: {title}", reference), text


def staff_message(name: str, reference: str, title: str, author: str, body: str, link: str) -> tuple[str, str]:
    text = letter(
        name,
        f"{one_line(author) or 'Our support team'} wrote on ticket {reference}, “{one_line(title)}”:",
        body.strip(),
        REPLY_HINT.format(ref=reference),
        link_line("The conversation", link),
    )
    return tagged(f"Re: {title}", reference), text


def customer_message(account: str, reference: str, title: str, author: str, via: str, body: str,
                     link: str) -> tuple[str, str]:  # fmt: skip
    how = {"email": " by e-mail", "portal": " in the portal"}.get(via, "")
    text = letter(
        "technicians",
        f"{one_line(author) or 'The customer'} of {one_line(account)} wrote{how} on ticket {reference}, "
        f"“{one_line(title)}”:",
        body.strip()[:5000],
        link_line("Answer it", link),
    )
    return tagged(f"{account} wrote: {title}", reference), text


def awaiting_credit(name: str, reference: str, title: str, consumed: int, balance: int, top_up: int,
                    pay_link: str) -> tuple[str, str]:  # fmt: skip
    """SPEC C3, N1: how much to top up, and where - it always goes."""
    text = letter(
        name,
        f"Ticket {reference}, “{one_line(title)}”, is finished and uses {minutes(consumed)}, but your balance is"
        f" {minutes(balance)}. The ticket closes by itself as soon as your balance covers it.",
        f"Please top up at least {minutes(top_up)}.",
        link_line("Buy hours", pay_link),
    )
    return tagged(f"Ticket {reference} is waiting for credit: top up {hours_text(top_up)} h", reference), text


def dispute_raised(account: str, reference: str, entry: str, reason: str, by: str, link: str) -> tuple[str, str]:
    text = letter(
        "billing",
        f"{one_line(by) or 'The customer'} of {one_line(account)} questioned a time entry on ticket {reference}:",
        f"  {entry}",
        f"Their reason: {reason.strip()}",
        link_line("Resolve it", link),
    )
    return tagged(f"Time entry questioned by {account}", reference), text


def dispute_outcome(name: str, reference: str, entry: str, upheld: bool, note: str, credited: int,
                    link: str) -> tuple[str, str]:  # fmt: skip
    outcome = (
        f"We agreed with you and credited {minutes(credited)} back." if upheld and credited
        else "We agreed with you." if upheld
        else "We looked at it and the entry stands as logged."
    )  # fmt: skip
    text = letter(
        name,
        f"You questioned this time entry on ticket {reference}:\n  {entry}",
        outcome,
        f"Billing's note: {note.strip()}" if note.strip() else "",
        link_line("The ticket", link),
    )
    return tagged(f"Your question about ticket {reference}: {'credited' if upheld else 'answered'}", reference), text


def payment_link(name: str, extension: bool, hours: int, price: str, scheduled: str, address: str,
                 url: str) -> tuple[str, str]:  # fmt: skip
    """SPEC V1, N1: a visit's booking or extension to pay - always goes."""
    what = (
        f"{hours} more hour{'s' if hours != 1 else ''} onsite for your visit" if extension
        else f"your onsite visit on {when(scheduled)} at {one_line(address)} ({hours} hour{'s' if hours != 1 else ''})"
    )  # fmt: skip
    text = letter(
        name,
        f"To confirm {what}, please pay {price}.",
        link_line("Pay here", url),
        "" if extension else "An unpaid booking is released after 24 hours.",
    )
    return f"Please pay {price} for {'more hours on your visit' if extension else 'your onsite visit'}", text


def payment_received(
    name: str, price: str, bought: str, at: str, ref: str, link: str, zone: str = ""
) -> tuple[str, str]:
    text = letter(
        name,
        f"Thank you: we received your payment of {price} on {when(at, zone)}.",
        f"It paid for: {bought}.",
        f"Payment reference: {ref}",
        link_line("Your account", link),
    )
    return f"Payment received: {price}", text


def review_kept(price: str, reason: str, event: str, account: str, link: str) -> tuple[str, str]:
    text = letter(
        "billing",
        f"A payment{f' of {price}' if price else ''} could not be applied and was kept for review: {reason.strip()}.",
        f"Account: {one_line(account)}" if account else "No account could be matched.",
        f"Stripe event: {event}",
        link_line("Settle it", link),
    )
    return f"A payment was kept for review{f': {price}' if price else ''}", text


def mail_kept(sender: str, subject: str, reason: str, account: str, link: str) -> tuple[str, str]:
    """SPEC E1, N1: a received mail waits for staff in the inbox (the sender was told it was received)."""
    text = letter(
        "technicians",
        f"A mail to the support address was kept in the inbox for you: {reason.strip() or 'it needs a person'}.",
        f"From: {one_line(sender) or 'an address that could not be read'}",
        f"Subject: {one_line(subject) or '(no subject)'}",
        f"Account: {one_line(account)}" if account else "",
        link_line("Read it and assign it to an account or a ticket", link),
    )
    return f"A mail is waiting in the inbox: {one_line(subject) or '(no subject)'}", text


def statement_ready(name: str, month: str, link: str) -> tuple[str, str]:
    """SPEC M3, N1: the month is closed; its statement lists every top-up, ticket, entry and the balances."""
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")  # fmt: skip
    year, _, number = month.partition("-")
    label = f"{months[int(number) - 1]} {year}" if number.isdigit() and 1 <= int(number) <= 12 else month
    text = letter(
        name,
        f"Your statement for {label} is ready: the opening balance, each top-up, each ticket with every entry's"
        " time and multipliers, what was consumed, any post-pay, and the closing balance.",
        link_line("Read or download it (CSV)", link),
    )
    return f"Your statement for {label} is ready", text
