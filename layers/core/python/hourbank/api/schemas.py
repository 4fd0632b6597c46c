"""Request bodies (STYLE 3): pydantic models, so bad input is a 400 naming the field before domain code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)

from hourbank.api.patterns import CURRENCY_PATTERN
from hourbank.kernel.addresses import MAX_LENGTH, check_address
from hourbank.kernel.clock import GivenTime
from hourbank.kernel.ids import AccountId, TicketId

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _instant(value: Any, handler: Any, _info: ValidationInfo) -> datetime:
    """An ISO 8601 time with an offset, kept as the caller wrote it (API.md "recording the past")."""
    parsed = handler(value)
    if not EARLIEST <= parsed < LATEST:
        raise ValueError("must be a time between the years 2000 and 2100")
    return GivenTime.of(parsed, value if isinstance(value, str) else None)


Instant = Annotated[AwareDatetime, WrapValidator(_instant)]


def _stripped(value: str) -> str:
    """Outer whitespace is dropped after the length is checked on what was sent, so the documented
    ``maxLength`` holds for the text as sent (a 2,001-character note with a leading newline is refused)."""
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Text = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_stripped)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_stripped)]
# No stripping: an address with whitespace is refused, so what was sent is what is checked. One test of an
# address, the library's (hourbank.kernel.addresses, issue 23), not a pattern of our own.
Email = Annotated[
    str,
    StringConstraints(max_length=MAX_LENGTH),
    AfterValidator(check_address),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": MAX_LENGTH}),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateAccount(Body):
    name: Text
    email: Email
    plan: Literal["non_member", "member", "business_priority", "unlimited_remote"]
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)] | None = None
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class MoneyIn(Body):
    """SPEC U2: money as integer minor units with its currency."""

    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
    amount_minor: StrictInt = Field(gt=0, le=100_000_000)


class Adjustment(Body):
    minutes: StrictInt = Field(description="signed: + adds credit, - takes it away (kind adjustment only)")
    kind: Literal["purchase", "grant", "adjustment"]
    reason: LongText
    amount: MoneyIn | None = Field(
        default=None, description="purchase only: the money received for a purchase by phone (SPEC W1, W4)"
    )


Description = Annotated[str, StringConstraints(min_length=1, max_length=20_000), AfterValidator(_stripped)]


class OpenTicket(Body):
    account_id: AccountId
    title: Text
    description: Description | None = Field(default=None, description="what the customer reported (20,000 max)")
    priority: Literal["low", "normal", "urgent"]
    opened_at: Instant | None = Field(default=None, description="staff only: when the work was agreed")


class TimerAction(Body):
    """SPEC W3: start the ticket's timer, or stop it (then ``work_type`` and ``note`` say what the time was)."""

    action: Literal["start", "stop"]
    work_type: Literal["remote", "lab", "onsite", "travel"] | None = Field(default=None, description="stop only")
    note: LongText | None = Field(default=None, description="stop only")


class VoidEntry(Body):
    reason: LongText  # SPEC T9: why the entry is voided


class EmergencyChange(Body):
    active: StrictBool
    at: Instant | None = Field(default=None, description="staff only; default now")


class TimeEntry(Body):
    work_type: Literal["remote", "lab", "onsite", "travel"]
    started_at: Instant
    minutes: StrictInt = Field(gt=0, le=1440)
    note: LongText


class CreditBack(Body):
    minutes: StrictInt = Field(gt=0, le=100_000)
    reason: LongText


class ReviewResolution(Body):
    """SPEC O8: how billing settled a payment kept for review."""

    note: LongText
    minutes: StrictInt | None = Field(
        default=None, ge=-100_000, le=100_000, description="credit (+, a purchase) or take back (-, an adjustment)"
    )
    account_id: AccountId | None = Field(default=None, description="the account to credit; default: the review's")


class Dispute(Body):
    reason: LongText


class DisputeResolution(Body):
    outcome: Literal["upheld", "rejected"]
    note: LongText
    credit_minutes: StrictInt = Field(
        default=0, ge=0, le=100_000, description="upheld only: minutes credited back to the account (C6)"
    )


class OrderRequest(Body):
    """POST /orders and /orders/quote (API.md): for an account (its owner, signed in) or a new customer."""

    account_id: AccountId | None = None
    name: Text | None = None
    email: Email | None = None
    # One policy for numbers in a body (issue 11): a JSON number, never a numeric string - as minutes are
    # (StrictInt). "2" is refused, not coerced: a client that sends text has a bug worth hearing about, and
    # query parameters (always text in a URL) are the only place numbers are parsed from text.
    hours: float = Field(strict=True, description="SPEC P1: 1 to 500, in half-hour steps")
    kind: Literal["one_time", "recurring"] = "one_time"

    @model_validator(mode="after")
    def _one_buyer(self) -> OrderRequest:
        if self.account_id and (self.name or self.email):
            raise ValueError("give account_id, or name and email for a new customer - not both")
        if not self.account_id and not (self.name and self.email):
            raise ValueError("give account_id, or name and email for a new customer")
        return self


class AutoTopUpSettings(Body):
    """PUT /accounts/{id}/auto-top-up (SPEC O4, O5); ranges are checked by the domain (one place)."""

    enabled: StrictBool
    threshold_minutes: StrictInt = Field(description="T: act when the balance falls below it (0-10,000)")
    amount_minutes: StrictInt = Field(description="A: minutes each auto top-up buys (>= 60, half hours)")
    notify_low_balance: StrictBool | None = Field(default=None, description="one e-mail per crossing of T")


class NotificationSettings(Body):
    """PUT /accounts/{id}/notifications (SPEC N1): a switch left out is on."""

    ticket_updates: StrictBool = Field(default=True, description="received, staff messages, a dispute's outcome")
    receipts: StrictBool = Field(default=True, description="the receipt of each close and of each payment")
    statements: StrictBool = Field(default=True, description="the month's statement is ready")


class PlanChange(Body):
    plan: Literal["non_member", "member", "business_priority", "unlimited_remote"]


class NewContact(Body):
    """POST /accounts/{id}/contacts (SPEC W1): who to invite; the address is checked like an account's (O7)."""

    name: Text
    email: Email


class EndAgreement(Body):
    """SPEC O6, W4: when a recurring agreement ends (as the customer agreed) and why."""

    when: Literal["term_end", "now"]
    reason: LongText


class AssignMail(Body):
    """SPEC E1: staff assign a kept mail - ``account_id`` opens a ticket on that account, ``ticket_id`` (or the
    ticket's short ``reference``, as people read it) adds the mail to that ticket as a message. Exactly one."""

    account_id: AccountId | None = None
    ticket_id: TicketId | None = None
    reference: Annotated[str, StringConstraints(pattern=r"^#?[A-Za-z0-9]{6}$")] | None = Field(
        default=None, description="a ticket's 6-character reference, instead of its ticket_id"
    )

    @model_validator(mode="after")
    def _one_target(self) -> AssignMail:
        if sum(v is not None for v in (self.account_id, self.ticket_id, self.reference)) != 1:
            raise ValueError("give one of account_id (to open a ticket), ticket_id or reference (to add to a ticket)")
        return self


def _message_text(value: str) -> str:
    from hourbank.kernel.text import clean_message_text

    return clean_message_text(value)


# SPEC W5: a message's text (hourbank.kernel.text: trimmed, line breaks kept, control characters refused).
MessageText = Annotated[
    str,
    AfterValidator(_message_text),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 10_000}),
]


class NewMessage(Body):
    """SPEC W5: ``POST /tickets/{ticket_id}/messages``."""

    text: MessageText
    visibility: Literal["public", "internal"] = Field(
        default="public", description="internal: staff only (a note the customer never sees)"
    )
