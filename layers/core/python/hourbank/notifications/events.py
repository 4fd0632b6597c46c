"""SPEC N1: which notifiable events one stream record is - read from its old and new images only, never from a
later read, so a redelivered record is the same events with the same identities.

An event's ``key`` is the identity of the fact (a ticket's opening, its close, one response, one dispute raised or
resolved, one payment, one payment link, one review); the e-mails it becomes are keyed by it and their recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TICKETS, ORDERS, REVIEWS, MARKERS, INBOX = "tickets", "orders", "reviews", "idempotency", "inbox"

OPENED = "ticket_opened"  # customer: received, with its reference; technicians: a new ticket
RESPONSE = "staff_message"  # customer: a staff public message (W5; an S1 response)
CUSTOMER_MESSAGE = "customer_message"  # technicians: a customer wrote on a ticket (portal or e-mail)
CLOSED = "ticket_closed"  # customer: the receipt
AWAITING = "awaiting_credit"  # customer (always): how much to top up
DISPUTE_RAISED = "dispute_raised"  # billing
DISPUTE_RESOLVED = "dispute_resolved"  # customer: the outcome
PAYMENT_LINK = "payment_link"  # customer (always): a visit's booking or extension to pay
PAYMENT = "payment_received"  # customer: a receipt
REVIEW = "review_kept"  # billing: a payment kept for review (O8)
STATEMENT = "statement_ready"  # customer: the month's statement (M3), once month end closed the account's month
MAIL_KEPT = "mail_kept"  # technicians: a received mail kept in the inbox for staff (E1: unknown sender, refused)
# The inbox statuses that wait for staff (SPEC E1): a mail no account could be matched to, or one refused.
KEPT_FOR_STAFF = ("unmatched", "refused")


class BadRecord(ValueError):
    """A record of a shape this code does not know: it fails alone (a batch item failure), then is parked."""


@dataclass(frozen=True)
class Event:
    kind: str
    key: str  # the fact's identity: the same record gives the same key
    account_id: str
    image: dict[str, Any]
    old: dict[str, Any] = field(default_factory=dict)
    detail: str = ""  # which payment of an order, for PAYMENT


def events_of(source: str, name: str, old: dict | None, new: dict | None) -> list[Event]:
    """The events of one record of ``source`` (TICKETS, ORDERS, REVIEWS, MARKERS, INBOX); ``name`` is
    INSERT/MODIFY/REMOVE."""
    if name == "REMOVE" or not new:
        return []  # nothing is told of a removal (an unpaid visit expiring leaves no trace by design)
    old = old or {}
    if source == TICKETS:
        return _ticket_events(name, old, new)
    if source == ORDERS:
        return _order_events(old, new)
    if source == REVIEWS:
        return [Event(REVIEW, f"review#{_text(new, 'review_id')}", str(new.get("account_id") or ""), new)]
    if source == MARKERS:
        return _month_closed(name, new)
    if source == INBOX:
        return _mail_kept(old, new)
    raise BadRecord(f"records of {source!r} are not notified")


def _text(image: dict, name: str) -> str:
    value = image.get(name)
    if not isinstance(value, str) or not value:
        raise BadRecord(f"{name} is {value!r}, not a text")
    return value


def account_of_ticket(ticket_id: str) -> str:
    """A ticket id names its account: ``tkt_<ulid>.acc_<ulid>``."""
    head, _, account_id = ticket_id.partition(".")
    if not head.startswith("tkt_") or not account_id.startswith("acc_"):
        raise BadRecord(f"{ticket_id!r} is not a ticket id")
    return account_id


def _ticket_events(name: str, old: dict, new: dict) -> list[Event]:
    ticket_id, sk = _text(new, "ticket_id"), _text(new, "sk")
    if sk == "TICKET":
        return _ticket_changes(name, old, new, ticket_id)
    if sk.startswith("MSG#") and name == "INSERT":
        return _message(new, ticket_id, sk)
    if sk.startswith("ENTRY#") and name == "MODIFY":
        return _dispute_changes(old, new, ticket_id, sk)
    return []


def _ticket_changes(name: str, old: dict, new: dict, ticket_id: str) -> list[Event]:
    account_id = _text(new, "account_id")
    if name == "INSERT":
        return [Event(OPENED, f"{ticket_id}#opened", account_id, new)]
    before, now = old.get("status"), new.get("status")
    if now == "closed" and before != "closed":
        return [Event(CLOSED, f"{ticket_id}#closed", account_id, new, old)]  # SPEC C5: a ticket closes once
    if now == "awaiting_credit" and before == "open":
        asked = str(new.get("close_requested_at") or "")
        return [Event(AWAITING, f"{ticket_id}#awaiting#{asked}", account_id, new)]
    return []


def _message(new: dict, ticket_id: str, sk: str) -> list[Event]:
    """SPEC W5: a public message told to the other side; an internal note never leaves staff. (Every S1 response
    is also a public staff message, so responses are told from here, once.)"""
    author = new.get("author") or {}
    if not isinstance(author, dict):
        raise BadRecord("author is not a map")
    if new.get("visibility") != "public":
        return []
    kind = {"technician": RESPONSE, "billing": RESPONSE, "customer": CUSTOMER_MESSAGE}.get(str(author.get("role")))
    return [Event(kind, f"{ticket_id}#{sk}", account_of_ticket(ticket_id), new)] if kind else []


def _dispute_changes(old: dict, new: dict, ticket_id: str, sk: str) -> list[Event]:
    now, before = new.get("dispute") or {}, old.get("dispute") or {}
    if not isinstance(now, dict) or not isinstance(before, dict):
        raise BadRecord("dispute is not a map")
    account_id = account_of_ticket(ticket_id)
    raised = str(now.get("raised_at") or "")
    if raised and now.get("status") == "open" and before.get("raised_at") != raised:
        return [Event(DISPUTE_RAISED, f"{ticket_id}#{sk}#dispute#{raised}", account_id, new)]
    if now.get("status") in ("upheld", "rejected") and before.get("status") == "open":
        return [Event(DISPUTE_RESOLVED, f"{ticket_id}#{sk}#resolved#{raised}", account_id, new)]
    return []


def _month_closed(name: str, new: dict) -> list[Event]:
    """SPEC M1-M3: month end's checkpoint ``monthend#<account>#<yyyy-mm>`` is written last, once the account's
    month is closed - its statement is final then. Other markers of the table are no event."""
    marker = _text(new, "id")
    kind, _, rest = marker.partition("#")
    account_id, _, month = rest.rpartition("#")
    if name != "INSERT" or kind != "monthend" or not account_id.startswith("acc_") or len(month) != 7:
        return []
    return [Event(STATEMENT, marker, account_id, new, detail=month)]


def _order_events(old: dict, new: dict) -> list[Event]:
    order_id = _text(new, "order_id")
    if order_id.startswith("payref#") or not isinstance(new.get("account_id"), str):
        return []  # a payment record (O3), or an order for a customer whose account does not exist yet
    account_id = new["account_id"]
    out = []
    if new.get("checkout_url") and not old.get("checkout_url") and new.get("kind") in ("visit", "visit_extension"):
        out.append(Event(PAYMENT_LINK, f"{order_id}#link", account_id, new))
    paid, paid_before = new.get("payments") or {}, old.get("payments") or {}
    if not isinstance(paid, dict) or not isinstance(paid_before, dict):
        raise BadRecord("payments is not a map")
    for ref in sorted(set(paid) - set(paid_before)):
        out.append(Event(PAYMENT, f"{order_id}#paid#{ref}", account_id, new, detail=ref))
    return out


def _mail_kept(old: dict, new: dict) -> list[Event]:
    """SPEC E1, N1: a mail comes to wait for staff (kept unmatched, or refused) - told once, when it is kept; its
    assignment later is no event. The key is the mail: a redelivered record, or a later change, tells no one again."""
    status = new.get("status")
    if status not in KEPT_FOR_STAFF or old.get("status") in KEPT_FOR_STAFF:
        return []
    return [Event(MAIL_KEPT, f"mail#{_text(new, 'mail_id')}", str(new.get("account_id") or ""), new)]
