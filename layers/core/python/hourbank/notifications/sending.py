"""SPEC N1: each e-mail is sent once - a redelivered or concurrently delivered record sends nothing twice, and a
retry after an SES fault sends what the fault stopped.

A marker ``mail#<message id>`` in the Idempotency table is a two-state claim, taken by one conditional put:

* no marker, or a ``sending`` claim whose ``until`` has passed (its worker died mid-send) → claim it with this
  attempt's token, send, then mark it ``sent``;
* SES refuses or fails → the claim is released (its ``until`` set to 0, conditioned on our token) and the error
  raised: the stream retries the record and the retry claims and sends it;
* ``sent`` → nothing to do (a redelivery);
* another worker's live claim → ``InFlight`` is raised: the record is retried after the claim is resolved - sent
  (then skipped) or released or expired (then sent) - so a mail is never dropped on the word of a claim.

Why not "mark after sending" alone: two workers reading "no marker" would both send. Why not "claim, never
release": an SES fault would lose the mail. The one window left is a worker that dies after SES accepted the
mail and before ``sent`` is written: after ``CLAIM_S`` the mail may go a second time (SES takes no idempotency
key). That is the smallest window the services allow, and it fails towards telling the person twice, not never.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from hourbank.kernel.clock import iso
from hourbank.ports.mail import Message
from hourbank.store.models import MailMarkerModel
from hourbank.store.transactions import saved_if, updated_if

CLAIM_S = 120  # longer than the function's timeout (30 s) with margin: a live worker's claim is never taken
MARKER_TTL_S = 400 * 24 * 3600  # far beyond a stream's 24 h retention and any redrive from the DLQ

SENT, SENDING = "sent", "sending"


class InFlight(RuntimeError):
    """Another worker holds this mail's claim: retry the record later."""


def marker_id(message: Message) -> str:
    return f"mail#{message.message_id}"


def claim(message: Message, kind: str, now: float) -> str | None:
    """Claim ``message`` for sending; its token, or None when it was sent already. ``InFlight`` when another
    worker's claim is live."""
    token = uuid.uuid4().hex
    marker = MailMarkerModel(
        marker_id(message),
        state=SENDING,
        token=token,
        until=int(now) + CLAIM_S,
        kind=kind,
        expiration=int(now) + MARKER_TTL_S,
    )
    free = MailMarkerModel.id.does_not_exist() | (
        (MailMarkerModel.state == SENDING) & (MailMarkerModel.until < int(now))
    )
    if saved_if(marker, free):
        return token
    current = MailMarkerModel.get(marker_id(message), consistent_read=True)
    if current.state == SENT:
        return None
    raise InFlight(f"{message.message_id} is being sent by another worker until {current.until}")


def mark_sent(message: Message, token: str, at: datetime) -> None:
    # Conditioned on our token: a claim taken over after ours expired is the other worker's to mark.
    updated_if(
        MailMarkerModel(marker_id(message)),
        [MailMarkerModel.state.set(SENT), MailMarkerModel.sent_at.set(iso(at))],
        MailMarkerModel.token == token,
    )


def release(message: Message, token: str) -> None:
    """Give the claim up at once (its ``until`` in the past): the retry claims it as free. Conditioned on our
    token; a claim taken over meanwhile is the other worker's and stays."""
    updated_if(MailMarkerModel(marker_id(message)), [MailMarkerModel.until.set(0)], MailMarkerModel.token == token)


def send_once(message: Message, kind: str, send: Callable[[Message], object], *, now: float | None = None) -> bool:
    """Send ``message`` unless it was sent; True when this call sent it. Raises what ``send`` raised (the claim
    released first, so the retry sends it) or ``InFlight``."""
    token = claim(message, kind, time.time() if now is None else now)
    if token is None:
        return False
    try:
        send(message)
    except Exception:
        release(message, token)
        raise
    mark_sent(message, token, datetime.now(UTC))
    return True
