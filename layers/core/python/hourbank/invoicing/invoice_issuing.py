"""Invoice generation (issue 5): a new Hourbank invoice becomes a payable invoice at the provider.

``issue_invoice`` is safe to run any number of times for one invoice (stream redelivery, retries): it
does nothing once the invoice has its provider id, and the provider calls are idempotent per invoice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pynamodb.exceptions import DoesNotExist

from hourbank.ports import metrics
from hourbank.store.models import AccountModel, InvoiceModel
from hourbank.store.transactions import ensure_bound, updated_if
from hourbank.topups.balance_watch import BACKOFF_S  # SPEC O4: the rule lives with the balance watch

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action


class Issued(Protocol):  # read-only: the adapters answer with frozen dataclasses
    @property
    def stripe_invoice_id(self) -> str: ...
    @property
    def payment_url(self) -> str: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...


class InvoicingPort(Protocol):
    def issue(self, invoice: InvoiceModel, account: AccountModel) -> Issued: ...


def issue_invoice(account_id: str, invoice_id: str, port: InvoicingPort) -> str:
    """``issued``, ``already`` (it has its provider invoice) or ``missing``."""
    try:
        invoice = InvoiceModel.get(account_id, invoice_id, consistent_read=True)
    except DoesNotExist:
        return "missing"
    if invoice.stripe_invoice_id or invoice.status != "draft":
        return "already"
    account = AccountModel.get(account_id, consistent_read=True)
    issued = port.issue(invoice, account)
    if issued.customer_id and not account.stripe_customer_id:
        updated_if(
            account,
            [AccountModel.stripe_customer_id.set(issued.customer_id)],
            AccountModel.stripe_customer_id.does_not_exist(),
        )
    actions: list[Action] = [
        InvoiceModel.stripe_invoice_id.set(issued.stripe_invoice_id),
        InvoiceModel.payment_url.set(issued.payment_url),
    ]
    # "paid" arrives by invoice.paid (the webhook credits it): never mark it paid from here.
    if not updated_if(invoice, [*actions, InvoiceModel.status.set("open")], InvoiceModel.status == "draft"):
        # The webhook saw it paid first: keep its status, still record where it lives at the provider.
        invoice.update(actions)
    metrics.emit({metrics.INVOICES_ISSUED: 1})
    return "issued"


def issue_new(image: Mapping[str, Any] | None, port: Callable[[], InvoicingPort]) -> dict[str, str]:
    """The invoice stream's use case: a new invoice (its record's image) becomes payable at the provider
    (``port()``, made on first use). A failure is kept on the invoice for a person to see, then raised
    again: the record alone fails, the stream retries it and then dead-letters it."""
    ensure_bound()
    if not image or not isinstance(image.get("account_id"), str) or not isinstance(image.get("invoice_id"), str):
        raise ValueError("the record is not an invoice (no account_id/invoice_id)")
    account_id, invoice_id = image["account_id"], image["invoice_id"]
    try:
        outcome = issue_invoice(account_id, invoice_id, port())
    except Exception as exc:
        note_failure(account_id, invoice_id, f"{type(exc).__name__}: {exc}")
        raise
    return {"invoice_id": invoice_id, "account_id": account_id, "outcome": outcome}


def note_failure(account_id: str, invoice_id: str, reason: str) -> None:
    """Best effort: keep why issuing failed on the invoice (the stream retries, then dead-letters it)."""
    metrics.emit({metrics.INVOICES_FAILED: 1}, stage="issue")
    try:
        InvoiceModel(account_id, invoice_id).update(
            [InvoiceModel.last_failure.set(reason[:500]), InvoiceModel.attempts.add(1)],
            condition=InvoiceModel.invoice_id.exists(),
        )
    except Exception:
        import logging

        logging.getLogger(__name__).exception("could not note the failure on invoice %s", invoice_id)


# -- what Stripe says about an invoice (webhook) -----------------------------------------------------


def load_invoice(account_id: str | None, invoice_id: str | None) -> InvoiceModel | None:
    if not account_id or not invoice_id:
        return None
    try:
        return InvoiceModel.get(account_id, invoice_id, consistent_read=True)
    except DoesNotExist:
        return None


def record_paid(
    invoice: InvoiceModel, paid_at: str, *, payment_ref: str | None = None, receipt_url: str | None = None
) -> bool:
    """An invoice that buys no credits (post-pay, plan) is paid: False if it already was. One that buys
    credits (it names an order) is never recorded paid here: only its credit records it (SPEC O4). The payment
    goes on the account's payments list (W1) in the same transaction."""
    from hourbank.receipts import payment_book
    from hourbank.store.transactions import Tx, TxFailed

    tx = Tx()
    tx.update(
        "invoice",
        invoice,
        [InvoiceModel.status.set("paid"), InvoiceModel.paid_at.set(paid_at)],
        condition=(InvoiceModel.status != "paid") & InvoiceModel.order_id.does_not_exist(),
    )
    kind = {"postpay": "Post-pay support", "plan": "Support plan"}.get(invoice.kind, "Invoice")
    paid = payment_book.Paid(
        account_id=invoice.account_id,
        at=paid_at,
        ref=payment_ref or invoice.stripe_invoice_id or invoice.invoice_id,
        kind="invoice",
        amount_minor=int(invoice.amount_minor),
        currency=invoice.currency,
        minutes=int(invoice.minutes) or None,
        description=f"{kind}: {invoice.description}",
        receipt_url=receipt_url or invoice.payment_url,
        invoice_id=invoice.invoice_id,
    )
    payment_book.record(tx, paid)
    try:
        tx.commit()
    except TxFailed as exc:
        if "invoice" in exc.refused or "payment" in exc.refused:
            return False
        raise
    metrics.emit({metrics.INVOICES_PAID: 1})
    return True


def record_failed_attempt(invoice: InvoiceModel, reason: str) -> None:
    """Stripe could not collect it (yet). It stays open - Stripe retries, or the customer pays the link -
    and, being unpaid, it keeps the balance watch from invoicing again (SPEC O4)."""
    invoice.update(
        [InvoiceModel.attempts.add(1), InvoiceModel.last_failure.set(reason[:500])],
        condition=InvoiceModel.status != "paid",
    )
    metrics.emit({metrics.INVOICES_FAILED: 1}, stage="payment")


def record_given_up(invoice: InvoiceModel, now_epoch: int) -> bool:
    """Voided or uncollectible: the invoice is void; an auto top-up's account may be invoiced again, but
    not before ``topups.BACKOFF_S`` - not at the very next record. False if it was already void or paid."""
    from hourbank.store.transactions import Tx, TxFailed

    tx = Tx()
    tx.update(
        "invoice", invoice, [InvoiceModel.status.set("void")], condition=InvoiceModel.status.is_in("draft", "open")
    )
    if invoice.kind == "auto_top_up":
        tx.update(
            "account",
            AccountModel(invoice.account_id),
            [AccountModel.pending_top_up.remove(), AccountModel.top_up_paused_until.set(now_epoch + BACKOFF_S)],
            condition=AccountModel.pending_top_up == invoice.invoice_id,
        )
    # Not commit_or_retry: no optimistic read to repeat; a refused account still voids the invoice alone.
    try:
        tx.commit()
    except TxFailed as exc:
        if "invoice" in exc.refused:
            return False
        if "account" in exc.refused:  # it no longer blocks the watch; just void it
            invoice.update([InvoiceModel.status.set("void")], condition=InvoiceModel.status.is_in("draft", "open"))
            return True
        raise
    return True
