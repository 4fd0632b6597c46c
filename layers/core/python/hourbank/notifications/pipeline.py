"""SPEC N1: one stream record → its events → their e-mails → each sent once. What the NotificationsFunction
runs per record (``notify``), and the ``source`` of a record from its stream's ARN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hourbank.notifications import events as ev
from hourbank.notifications.compose import Composer, Outgoing, load_account
from hourbank.notifications.kinds import BUILDERS
from hourbank.notifications.sending import send_once
from hourbank.ports.mail import Message
from hourbank.ports.settings import get_settings
from hourbank.store.transactions import ensure_bound


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)  # message ids this call sent
    skipped: list[str] = field(default_factory=list)  # sent before (a redelivery)


def source_of(event_source_arn: str) -> str:
    """``arn:aws:dynamodb:<region>:<account>:table/<TableName>/stream/<label>`` → the source it names."""
    table = event_source_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]
    settings = get_settings()
    names = {
        settings.tickets_table: ev.TICKETS,
        settings.orders_table: ev.ORDERS,
        settings.reviews_table: ev.REVIEWS,
        settings.idempotency_table: ev.MARKERS,
        settings.inbox_table: ev.INBOX,
    }
    if table not in names:
        raise ev.BadRecord(f"a record of table {table!r}, which is not notified")
    return names[table]


def compose(event: ev.Event) -> list[Outgoing]:
    """The e-mails of one event (``hourbank.notifications.kinds`` says what each kind says, to whom)."""
    composer = Composer(event, load_account(event.account_id), get_settings())
    BUILDERS[event.kind](composer)
    return composer.out


def notify(source: str, name: str, old: dict | None, new: dict | None, send: Callable[[Message], object]) -> Outcome:
    """Every e-mail of one record, each sent once. A mail that fails does not stop the others; the first failure
    is raised at the end (the record is retried, and what was sent is skipped then)."""
    ensure_bound()
    outcome, failure = Outcome(), None
    for event in ev.events_of(source, name, old, new):
        for mail in compose(event):
            try:
                if send_once(mail.message, mail.kind, send):
                    outcome.sent.append(mail.message.message_id)
                else:
                    outcome.skipped.append(mail.message.message_id)
            except Exception as exc:  # the others still go; this one is raised below
                failure = failure or exc
    if failure is not None:
        raise failure
    return outcome
