"""SPEC W1: every payment an account made or got back, listed newest first with one Query per page.

Each payment is one ``PaymentModel`` item (Charges table, ``pay#<at>#<payment ref>``), put in the very
transaction that records the payment - an order credited (``orders.payment_settlement``), a visit or an
extension paid (``visits.visit_payments``), an invoice paid (``invoicing.invoice_issuing``), a purchase by
phone (``accounts.account_service.adjust``) - with "does not exist", so a redelivery writes nothing twice.
A refund or dispute changes the item's ``status`` and ``refunded_minor`` in the transaction that takes the
payment back. Where the payment keeps its own record (the order's ``payments[ref]``, the visit's ``orders``)
that record says the item exists (``listed``), so a payment recorded before this list kept its items is
never half-written by a later refund.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.identity import Actor
from hourbank.store.account_pages import newest_first
from hourbank.store.models import PAYMENT_PREFIX, ParkedReceiptModel, PaymentModel
from hourbank.store.transactions import Tx, updated_if

KINDS = ("order", "visit", "extension", "invoice", "phone")


@dataclass(frozen=True)
class Paid:
    """One payment as the list shows it (SPEC W1): who, when, what kind, how much, and Stripe's receipt."""

    account_id: str
    at: str  # UTC ISO: the payment's time (Stripe's ``created`` for an event)
    ref: str  # the payment object (PaymentIntent, Stripe invoice) or the ledger entry of a phone purchase
    kind: str
    amount_minor: int
    currency: str
    minutes: int | None = None
    description: str | None = None
    receipt_url: str | None = None
    order_id: str | None = None
    invoice_id: str | None = None
    visit_id: str | None = None


def key_of(at: str, ref: str) -> str:
    return f"{PAYMENT_PREFIX}{at}#{ref}"


def record(tx: Tx, paid: Paid) -> None:
    """The payment's list item, in the transaction that records the payment (once: "does not exist")."""
    item = PaymentModel(
        paid.account_id,
        key_of(paid.at, paid.ref),
        payment_id=paid.ref,
        at=paid.at,
        kind=paid.kind,
        amount_minor=int(paid.amount_minor),
        currency=paid.currency.upper(),
        minutes=paid.minutes,
        status="paid",
        refunded_minor=0,
        description=paid.description,
        receipt_url=paid.receipt_url,
        order_id=paid.order_id,
        invoice_id=paid.invoice_id,
        visit_id=paid.visit_id,
    )
    tx.put("payment", item, condition=PaymentModel.charge_key.does_not_exist())


def taken_back(
    tx: Tx, account_id: str, at: str, ref: str, *, amount_minor: int, refunded_minor: int | None, disputed: bool
) -> None:
    """A refund (``refunded_minor``: the payment's refunded total so far) or a dispute of a listed payment."""
    if disputed:
        status = "disputed"
    else:
        status = "refunded" if int(refunded_minor or 0) >= int(amount_minor) else "partially_refunded"
    actions = [PaymentModel.status.set(status)]
    if refunded_minor is not None:
        actions.append(PaymentModel.refunded_minor.set(int(refunded_minor)))
    tx.update(
        "payment",
        PaymentModel(account_id, key_of(at, ref)),
        actions,
        condition=PaymentModel.charge_key.exists(),
    )


def set_receipt(account_id: str, at: str, ref: str, receipt_url: str) -> bool:
    """Stripe's receipt for a listed payment (a ``charge.succeeded`` after the payment was recorded)."""
    return updated_if(
        PaymentModel(account_id, key_of(at, ref)),
        [PaymentModel.receipt_url.set(receipt_url[:2000])],
        PaymentModel.charge_key.exists(),
    )


RECEIPT = "receipt#"


def receipt_seen(ref: str, receipt_url: str, seen_at: str, recorded: Callable[[], tuple[str, str] | None]) -> bool:
    """Stripe's receipt of payment ``ref``: kept first (``receipt#<ref>``), then put on the payment's list item if
    ``recorded()`` - read after keeping it - finds the payment recorded (its account and time). The payment's own
    record looks for a kept receipt after it commits (``pick_up_receipt``): whichever comes second sees the
    other, so the link lands whatever order the events arrive in. True when it is on the list now."""
    ParkedReceiptModel(f"{RECEIPT}{ref}", receipt_url=receipt_url[:2000], at=seen_at).save()
    where = recorded()
    return where is not None and set_receipt(where[0], where[1], ref, receipt_url)


def pick_up_receipt(account_id: str, at: str, ref: str) -> None:
    """After a payment is recorded: the receipt that came first, if any, onto its list item."""
    try:
        parked = ParkedReceiptModel.get(f"{RECEIPT}{ref}", consistent_read=True)
    except DoesNotExist:
        return
    set_receipt(account_id, at, ref, parked.receipt_url)


LIST = "account_payments"


def list_payments(
    actor: Actor, account_id: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[PaymentModel], str | None]:
    """SPEC W1: the account's payments, newest first, one Query per page (staff, the owner)."""
    actor.require_visible(account_id, "account")
    return newest_first(PaymentModel, account_id, PAYMENT_PREFIX, list_name=LIST, limit=limit, cursor=cursor)


def order_taken_back(tx: Tx, order: Any, paid: dict, payment_ref: str, refunded_minor: int | None) -> None:
    """SPEC W1: an order's payment taken back (``paid``: its record on the order) - its list item says it was
    refunded (``refunded_minor``: its total) or disputed (None)."""
    if paid.get("listed"):
        taken_back(
            tx,
            order.account_id,
            str(paid["at"]),
            payment_ref,
            amount_minor=int(order.amount_minor),
            refunded_minor=refunded_minor,
            disputed=refunded_minor is None,
        )
