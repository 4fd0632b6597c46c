"""SPEC N1: from one event to the e-mails it becomes - who is told, in which words, with which link.

Reads what the words need (the account for its name, recipients and choices; a closed ticket's entries and its
month's charge for the receipt; the ticket for a response's reference). Everything read is settled by then:
a closed ticket's entries are frozen (T7), a response or a payment is never edited, so a redelivered record
composes the same mails with the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from pynamodb.exceptions import DoesNotExist

from hourbank.notifications import events as ev
from hourbank.notifications import texts
from hourbank.notifications.preferences import recipients, wants
from hourbank.ports.mail import Message
from hourbank.ports.settings import Settings
from hourbank.store.models import AccountModel, TicketModel


@dataclass(frozen=True)
class Outgoing:
    kind: str  # the mail's kind: part of its id, and the marker's
    message: Message


def message_id(event_key: str, kind: str, recipient: str) -> str:
    """Deterministic (SPEC N1): the event's identity, the mail's kind and the recipient - nothing else."""
    digest = hashlib.sha256(f"{event_key}|{kind}|{recipient.strip().lower()}".encode()).hexdigest()[:32]
    return f"n1.{kind}.{digest}"


class Links:
    def __init__(self, settings: Settings) -> None:
        self.site = settings.payments.website_url

    def portal(self, fragment: str) -> str:
        return f"{self.site}/portal/#/{fragment}" if self.site else ""

    def ticket(self, ticket_id: str) -> str:
        return self.portal(f"tickets/{quote(ticket_id, safe='')}")

    def account(self, account_id: str, page: str = "") -> str:
        return self.portal(f"accounts/{quote(account_id, safe='')}{'/' + page if page else ''}")

    def order_form(self, account_id: str) -> str:
        return f"{self.site}/?account={quote(account_id, safe='')}" if self.site else ""


def load_account(account_id: str) -> AccountModel | None:
    if not account_id:
        return None
    try:
        return AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        return None


def load_ticket(ticket_id: str) -> TicketModel | None:
    try:
        return TicketModel.get(ticket_id, "TICKET", consistent_read=True)
    except DoesNotExist:
        return None


class Composer:
    """The mails of one event. ``customer`` mails go to each of the account's recipients who chose them (or
    always, for ``switch`` None); staff mails to the technicians' or billing's address when one is set."""

    def __init__(self, event: ev.Event, account: AccountModel | None, settings: Settings) -> None:
        self.event, self.account, self.settings = event, account, settings
        self.links = Links(settings)
        self.out: list[Outgoing] = []

    @property
    def zone(self) -> str:
        """The account's time zone, else the company's: times in a customer's mail are in it."""
        return str((self.account.timezone if self.account is not None else None) or self.settings.company_timezone)

    @property
    def name(self) -> str:
        return str(self.account.name) if self.account is not None else ""

    def _add(self, kind: str, to: str, subject_text: tuple[str, str], reference: str = "") -> None:
        subject, text = subject_text
        support = self.settings.support_email or self.settings.sender_email
        reply_name = f"Hourbank support, ticket {reference}" if reference else "Hourbank support"
        self.out.append(
            Outgoing(
                kind,
                Message(
                    message_id(self.event.key, kind, to),
                    to,
                    subject,
                    text,
                    reply_to=support,
                    reply_name=reply_name,
                    html=texts.html_of(text),
                ),
            )
        )

    def customer(self, kind: str, switch: str | None, build: Callable[[], tuple[str, str]], ref: str = "") -> None:
        if self.account is None or not wants(self.account, switch):
            return
        addresses = recipients(self.account)
        if addresses:
            words = build()  # built once: the same words to each contact
            for to in addresses:
                self._add(kind, to, words, ref)

    def staff(self, kind: str, to: str, build: Callable[[], tuple[str, str]], ref: str = "") -> None:
        if to:
            self._add(kind, to, build(), ref)
