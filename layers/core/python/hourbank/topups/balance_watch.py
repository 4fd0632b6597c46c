"""The balance watch (SPEC O4 auto top-up, O5 low-balance e-mail): what a change of an account means.

A *crossing* is a change of the account item after which its balance is below the threshold T while
before it was not (or the feature was just turned on, or T raised above the balance). It is read from the
stream record's old and new images, never from a later read, so a redelivered record means exactly what
it meant the first time. Its id follows from the account, the ledger sequence and the watch settings'
version, so everything written for it (the invoice, its order, the e-mail's marker) is written with
"does not exist" conditions and a redelivery writes nothing new.

One auto top-up at a time (Lago's repeated top-up, L#1962, is the failure to avoid): the invoice is
created in one transaction with ``account.pending_top_up = invoice`` conditioned on there being none and
on no back-off in force, so a crossing while one is unpaid creates nothing. Paying it clears the marker
(``orders.payment_settlement``); voiding it, or Stripe giving up on it, clears it and pauses auto top-up for
``BACKOFF_S`` instead of invoicing again at the next record.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hourbank.kernel.clock import iso
from hourbank.ledger.balance_writer import fingerprint
from hourbank.orders.placing import quoted_order
from hourbank.orders.pricing import quote
from hourbank.plans.catalogue import catalogue, get_plan
from hourbank.rating.consumption import hours_text
from hourbank.store.models import AccountModel, IdempotencyModel, InvoiceModel, OrderModel
from hourbank.store.transactions import Tx, TxFailed, ensure_bound, saved_if, with_retries

if TYPE_CHECKING:
    from hourbank.ports.mail import Message

log = logging.getLogger(__name__)

BACKOFF_S = 3 * 24 * 3600  # after a top-up invoice is voided or uncollectible
NOTICE_TTL_S = 400 * 24 * 3600  # e-mail markers outlive any stream redelivery by far


class BadImage(ValueError):
    """A stream record that is not an account as this code knows it: fails alone (a batch item failure)."""


@dataclass(frozen=True)
class Watch:
    """The watch settings and balance of one account image."""

    balance: int
    auto: bool
    notify: bool
    threshold: int
    amount: int


@dataclass(frozen=True)
class Crossing:
    account_id: str
    ledger_seq: int
    version: int
    balance: int
    threshold: int
    amount: int
    top_up: bool  # SPEC O4: create one auto top-up invoice
    notify: bool  # SPEC O5: send one low-balance e-mail
    plan: str
    name: str
    email: str

    @property
    def key(self) -> str:
        return f"{self.account_id}#{self.ledger_seq}#{self.version}"

    def _digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()

    @property
    def invoice_id(self) -> str:
        return "inv_t" + self._digest()[:26]

    @property
    def order_id(self) -> str:
        return "ord_t" + self._digest()[:26]

    @property
    def notice_id(self) -> str:
        return f"notice#low_balance#{self.key}"


def _int(image: dict, name: str, default: int | None = None) -> int:
    value = image.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        raise BadImage(f"{name} is {value!r}, not a whole number")
    return int(value)


def _watch(image: dict) -> Watch:
    top_up = image.get("auto_top_up") or {}
    if not isinstance(top_up, dict):
        raise BadImage(f"auto_top_up is {type(top_up).__name__}, not a map")
    auto, notify = top_up.get("enabled", False), image.get("notify_low_balance", False)
    if not isinstance(auto, bool) or not isinstance(notify, bool):
        raise BadImage("auto_top_up.enabled and notify_low_balance must be booleans")
    return Watch(
        _int(image, "balance_minutes", 0),
        auto,
        notify,
        _int(top_up, "threshold_minutes", 60),
        _int(top_up, "amount_minutes", 120),
    )


def crossing_of(old: dict | None, new: dict | None) -> Crossing | None:
    """The crossing a MODIFY of an account item is, or None. Images are deserialised (Powertools)."""
    if not new or not old:
        return None  # an account being created or removed crosses nothing
    if not isinstance(new.get("account_id"), str):
        raise BadImage("the image has no account_id")
    now, before = _watch(new), _watch(old)
    if now.balance >= now.threshold:
        return None

    def crossed(enabled_now: bool, enabled_before: bool) -> bool:
        return enabled_now and (not enabled_before or before.balance >= before.threshold)

    # Settings saved while below T (e.g. auto top-up confirmed again after a back-off) re-arm the top-up;
    # the e-mail only follows real crossings, so saving settings never spams.
    resaved = _int(new, "watch_version", 0) != _int(old, "watch_version", 0)
    top_up = crossed(now.auto, before.auto) or (now.auto and resaved)
    notify = crossed(now.notify, before.notify)
    if not (top_up or notify):
        return None
    return Crossing(
        new["account_id"],
        _int(new, "ledger_seq", 0),
        _int(new, "watch_version", 0),
        now.balance,
        now.threshold,
        now.amount,
        top_up,
        notify,
        str(new.get("plan") or ""),
        str(new.get("name") or ""),
        str(new.get("email") or ""),
    )


# -- O4: one invoice per crossing, none while one is unpaid ------------------------------------------


def create_top_up(crossing: Crossing, at: datetime) -> str:
    """Write the auto top-up invoice and the order its payment credits, once. Returns what happened:
    ``created``, ``duplicate`` (a redelivery), ``unpaid`` (one is still open) or ``paused`` (back-off)."""
    order, invoice = _top_up_order(crossing, at)
    paused = AccountModel.top_up_paused_until

    def attempt() -> str:
        tx = Tx()
        tx.put("invoice", invoice, condition=InvoiceModel.invoice_id.does_not_exist())
        tx.put("order", order, condition=OrderModel.order_id.does_not_exist())
        tx.update(
            "account",
            AccountModel(crossing.account_id),
            [AccountModel.pending_top_up.set(crossing.invoice_id)],
            condition=(
                AccountModel.account_id.exists()
                & AccountModel.pending_top_up.does_not_exist()
                & (paused.does_not_exist() | (paused <= int(at.timestamp())))
            ),
        )
        # Not commit_or_retry: every refusal here is an answer (duplicate, unpaid, paused), never "read again".
        try:
            tx.commit()
        except TxFailed as exc:
            if "invoice" in exc.refused or "order" in exc.refused:
                return "duplicate"
            if "account" in exc.refused:
                item = exc.refused.get("account") or {}
                return "unpaid" if item.get("pending_top_up") else "paused"
            raise  # a conflict: with_retries tries again
        return "created"

    return with_retries(attempt)


def _top_up_order(crossing: Crossing, at: datetime) -> tuple[OrderModel, InvoiceModel]:
    """The crossing's order of ``crossing.amount`` minutes, priced as a one-time purchase on the account's plan
    (SPEC P1), and the draft invoice that asks for its payment (O4)."""
    priced = quote(catalogue(), get_plan(crossing.plan), Decimal(crossing.amount) / 60, "one_time")
    now = iso(at)
    order = quoted_order(
        crossing.order_id,
        crossing.account_id,
        "auto_top_up",
        priced,
        now,
        "balance-watch",
        invoice_id=crossing.invoice_id,
    )
    invoice = InvoiceModel(
        crossing.account_id,
        crossing.invoice_id,
        kind="auto_top_up",
        status="draft",
        minutes=priced.minutes,
        amount_minor=priced.amount_minor,
        currency=priced.currency,
        description=f"Support time: {hours_text(priced.minutes)} h (auto top-up)",
        order_id=crossing.order_id,
        reason=(
            f"balance {hours_text(crossing.balance)} h fell below the auto top-up threshold "
            f"{hours_text(crossing.threshold)} h"
        ),
        created_at=now,
    )
    return order, invoice


# -- O5: one e-mail per crossing ---------------------------------------------------------------------


def low_balance_message(crossing: Crossing, top_up_url: str) -> tuple[str, str]:
    """Subject and text: the balance, the threshold, and how to top up."""
    balance, threshold = hours_text(crossing.balance), hours_text(crossing.threshold)
    subject = f"Your support balance is low: {balance} h"
    lines = [
        f"Hello {crossing.name},",
        "",
        f"The support time left on your account {crossing.account_id} is {balance} h, below the "
        f"{threshold} h you asked us to warn you at.",
        "",
    ]
    if crossing.top_up:
        lines.append(
            f"Auto top-up is on: an invoice for {hours_text(crossing.amount)} h is on its way; once it "
            "is paid the time is added to your balance."
        )
    else:
        lines.append(f"To add time, order hours at {top_up_url} (or turn on auto top-up there).")
    lines += ["", "Hourbank support"]
    return subject, "\n".join(lines)


def claim_notice(crossing: Crossing, at: datetime) -> bool:
    """Mark this crossing's e-mail as being sent; False if it already was (a redelivered record)."""
    import time

    marker = IdempotencyModel(
        crossing.notice_id,
        fingerprint=fingerprint("low_balance", crossing.key),
        account_id=crossing.account_id,
        ledger_seq=crossing.ledger_seq,
        at=iso(at),
        expiration=int(time.time()) + NOTICE_TTL_S,
    )
    return saved_if(marker, IdempotencyModel.id.does_not_exist())


def release_notice(crossing: Crossing) -> None:
    """The e-mail could not be sent: let the retry of this record send it."""
    IdempotencyModel(crossing.notice_id).delete()


def describe(crossing: Crossing) -> dict[str, Any]:
    return {
        "account_id": crossing.account_id,
        "balance_minutes": crossing.balance,
        "threshold_minutes": crossing.threshold,
        "top_up": crossing.top_up,
        "notify": crossing.notify,
    }


# -- the balance watch's use case: one change of an account ------------------------------------------


def on_change(
    old: dict | None,
    new: dict | None,
    at: datetime,
    send: Callable[[Message], object],
    note: Callable[[str, dict[str, Any]], object],
) -> Crossing | None:
    """SPEC O4, O5 for one change of an account (a stream record's old and new images, at the change's
    time): at most one auto top-up invoice and one low-balance e-mail per crossing, each written once
    however often the record is delivered. ``send`` delivers the e-mail, ``note`` hears what was done.
    Raises (the record alone fails and is retried) for an image of an unexpected shape (``BadImage``) or an
    e-mail that could not be sent - its marker released first, so the retry sends it."""
    from hourbank.ports.mail import Message
    from hourbank.ports.settings import get_settings

    ensure_bound()
    crossing = crossing_of(old, new)
    if crossing is None:
        return None
    facts = describe(crossing)
    if crossing.top_up:
        outcome = create_top_up(crossing, at)
        note("auto top-up", {**facts, "outcome": outcome, "invoice_id": crossing.invoice_id})
    if crossing.notify and crossing.email and claim_notice(crossing, at):
        subject, text = low_balance_message(crossing, get_settings().payments.website_url or "our website")
        try:
            send(Message(crossing.notice_id, crossing.email, subject, text))
        except Exception:
            release_notice(crossing)  # the retry of this record sends it
            raise
        note("low-balance e-mail sent", facts)
    return crossing
