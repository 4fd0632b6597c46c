"""What the sender of a received mail is told (SPEC E1: "the sender is told it was received"), in words.

One reply per mail: its id follows from the mail (``intake-reply#<mail_id>``), so a redelivery's reply is the
same message wherever mail is kept. A ticket's reply carries its reference in the subject
(``[#ABC234]``), which a reply to it brings back (``references``).
"""

from __future__ import annotations

import re

from hourbank.kernel.addresses import one_line
from hourbank.ports.mail import Message

# A ticket's reference in a subject: "[#ABC234]" as our replies write it, or "#ABC234" / "ref ABC234" typed by a
# person; the reference alphabet only (tickets.common.REFERENCE_ALPHABET: no 0/O, 1/I/L).
_REFERENCE = re.compile(r"(?:\[#?|#|\bref(?:erence)?[:\s]+)([A-HJKMNP-Z2-9]{6})\b\]?", re.IGNORECASE)


def references(subject: str) -> list[str]:
    """The ticket references a subject carries, upper-cased, first first (at most three are looked up)."""
    found = [m.group(1).upper() for m in _REFERENCE.finditer(subject)]
    return list(dict.fromkeys(found))[:3]


def tagged(subject: str, reference: str) -> str:
    """``Re: <subject> [#REF]``: the reference once, whatever the subject already carried."""
    base = one_line(subject)
    if not base.lower().startswith("re:"):
        base = f"Re: {base}"
    return base if f"[#{reference}]" in base else f"{base} [#{reference}]"


def _greeting(name: str) -> str:
    return f"Hello {name or 'there'},\n\n"


def _not_kept(lines: list[str]) -> str:
    if not lines:
        return ""
    return (
        "\n\nSome attachments were not kept:\n"
        + "\n".join(f"  - {line}" for line in lines)
        + ("\nPlease send them again smaller, or share a link to them.")
    )


def opened(mail_id: str, to: str, name: str, subject: str, reference: str, link: str, lost: list[str]) -> Message:
    text = (
        f"{_greeting(name)}We received your mail and opened ticket {reference} for it:\n\n  {one_line(subject)}\n\n"
        f"A technician will answer you. To add to this ticket, reply to this mail and keep [#{reference}] in the "
        f"subject.{f' You can follow it in the portal: {link}' if link else ''}{_not_kept(lost)}\n"
    )
    return Message(f"intake-reply#{mail_id}", to, tagged(subject, reference), text)


def added(mail_id: str, to: str, name: str, subject: str, reference: str, link: str, lost: list[str]) -> Message:
    text = (
        f"{_greeting(name)}We received your mail and added it to ticket {reference}."
        f"{f' You can follow it in the portal: {link}' if link else ''}{_not_kept(lost)}\n"
    )
    return Message(f"intake-reply#{mail_id}", to, tagged(subject, reference), text)


def kept(mail_id: str, to: str, name: str, subject: str, why: str) -> Message:
    """A mail kept for staff (unknown sender, a reference of another account, a mail we could not read)."""
    text = (
        f"{_greeting(name)}We received your mail ({one_line(subject)}). {why}\n\n"
        "A member of our staff will look at it and get back to you.\n"
    )
    return Message(f"intake-reply#{mail_id}", to, f"Received: {one_line(subject)}", text)


def top_up(mail_id: str, to: str, name: str, subject: str, available: str, needed: str, link: str) -> Message:
    """SPEC C4, E1: a non-member at zero gets no billable ticket from a mail; the reply says how to top up."""
    where = f" at {link}" if link else " from the order form on our website"
    text = (
        f"{_greeting(name)}We received your mail ({one_line(subject)}), but your account has {available} h of "
        f"support time available and opening a ticket needs at least 1 h. Top up at least {needed} h{where}, "
        "then reply to this mail: we keep your mail, and staff can open the ticket for you once the time is there.\n"
    )
    return Message(f"intake-reply#{mail_id}", to, f"Received: {one_line(subject)}", text)
