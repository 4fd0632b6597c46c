"""Identifiers: a prefix, then a time-ordered, random, URL-safe body (ULID-style, Crockford base32).

Each kind of id is also a type (``AccountId``, ``TicketId``, ...): the one place its shape and length are
written. Every route's path parameters and every request body's id fields use these types, so an id of
another shape - 2,100 characters, another kind's prefix, control characters - is refused at the edge
(API.md "Errors": a path id that cannot exist is 404, a body id a 400) and never reaches DynamoDB, which
refuses a partition key of 2,048 bytes or more and a sort key of 1,024 or more (issue 23).
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from pydantic import StringConstraints

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

# A body: what ``new_id`` makes (26 characters), what ids derived from an idempotency key make (``ent_k`` +
# 26 hex), and what fixtures and older data use (letters, digits, ``_``, ``-``) - at most 64 characters.
_BODY = r"[0-9A-Za-z_-]{1,64}"
# A review is named after the Stripe event it keeps (``rev_<10-digit time>_<event id>``, reviews.review_id).
_REVIEW_BODY = r"[0-9A-Za-z_.:?-]{1,120}"


ACCOUNT_PATTERN = rf"^acc_{_BODY}$"
TICKET_PATTERN = rf"^tkt_{_BODY}\.acc_{_BODY}$"  # a ticket names its account (tickets.common.account_of)
VISIT_PATTERN = rf"^vis_{_BODY}\.acc_{_BODY}$"
ENTRY_PATTERN = rf"^ent_{_BODY}$"
ORDER_PATTERN = rf"^ord_{_BODY}$"
REVIEW_PATTERN = rf"^rev_{_REVIEW_BODY}$"
CONTACT_PATTERN = rf"^ctc_{_BODY}$"  # SPEC W1: a person who signs in to an account (accounts.contacts.contact_id)
MAIL_PATTERN = r"^mail_[0-9a-f]{32}$"  # a received mail (SPEC E1): a hash of it (mail_intake.inbox.mail_id_of)

# What each pattern is, for the 400 that names a malformed body id (``hourbank.api.resolver._PATTERN_HINTS``).
KINDS = {
    ACCOUNT_PATTERN: "account",
    TICKET_PATTERN: "ticket",
    VISIT_PATTERN: "visit",
    ENTRY_PATTERN: "time entry",
    ORDER_PATTERN: "order",
    REVIEW_PATTERN: "review",
    CONTACT_PATTERN: "contact",
    MAIL_PATTERN: "received mail",
}

AccountId = Annotated[str, StringConstraints(pattern=ACCOUNT_PATTERN)]
TicketId = Annotated[str, StringConstraints(pattern=TICKET_PATTERN)]
VisitId = Annotated[str, StringConstraints(pattern=VISIT_PATTERN)]
EntryId = Annotated[str, StringConstraints(pattern=ENTRY_PATTERN)]
OrderId = Annotated[str, StringConstraints(pattern=ORDER_PATTERN)]
ReviewId = Annotated[str, StringConstraints(pattern=REVIEW_PATTERN)]
ContactId = Annotated[str, StringConstraints(pattern=CONTACT_PATTERN)]
MailId = Annotated[str, StringConstraints(pattern=MAIL_PATTERN)]


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``acc_01h...``: 48 bits of milliseconds (sorts by creation) and 80 random bits (no collisions)."""
    return f"{prefix}_{_b32(time.time_ns() // 1_000_000, 10)}{_b32(secrets.randbits(80), 16)}"
