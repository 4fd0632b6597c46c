"""SPEC W5: the store record of one message of a ticket's conversation, shared by the conversation
(``tickets.conversation``) and the S1 responses (``tickets.service_levels``), which write a public staff
message in the same transaction as each response."""

from __future__ import annotations

from datetime import UTC, datetime

from hourbank.kernel.clock import as_given, iso
from hourbank.store.models import MESSAGE_SK_PREFIX, AuthorMap, MessageModel

AUTHOR_ROLES = ("customer", "technician", "billing", "system")
STAFF_AUTHORS = ("technician", "billing")
VISIBILITIES = ("public", "internal")
CHANNELS = ("portal", "email", "staff")


def message_sk(when: datetime, message_id: str) -> str:
    """``MSG#<UTC to the millisecond>#<id>``: a Query of the prefix reads the conversation oldest first."""
    return f"{MESSAGE_SK_PREFIX}{when.astimezone(UTC).isoformat(timespec='milliseconds')}#{message_id}"


def message_item(
    ticket_id: str,
    message_id: str,
    when: datetime,
    now: datetime,
    *,
    role: str,
    name: str,
    subject: str | None,
    visibility: str,
    via: str,
    text: str,
) -> MessageModel:
    return MessageModel(
        ticket_id,
        message_sk(when, message_id),
        message_id=message_id,
        at=as_given(when),
        at_utc=iso(when),
        author=AuthorMap(role=role, name=name, subject=subject),
        visibility=visibility,
        via=via,
        text=text,
        recorded_at=iso(now),
    )
