"""Settling payments against orders (SPEC O1-O3, C3, C7): credits land only when the provider says an
order is paid, once per payment object however often and in whatever order its events arrive; refunds
and disputes take back what that payment bought.

Exactly-once comes from the ledger transaction itself: each credit or debit carries an idempotency
marker (``payment#<ref>``, ``refund#<charge>#<cumulative amount>``, ``dispute#<id>``) written in the same
TransactWriteItems as the ledger entry, so two deliveries of one payment - even as two different event
types (checkout.session.completed and invoice.paid for one invoice) - can never both credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import iso
from hourbank.kernel.money import money_text
from hourbank.ledger.balance_writer import Idempotency, LedgerLine, fingerprint, write_account
from hourbank.ports import metrics
from hourbank.receipts import payment_book
from hourbank.store.models import AccountModel, AgreementModel, InvoiceModel, OrderModel, PaymentRefModel, map_of
from hourbank.store.transactions import Retry, Tx, commit_or_retry, updated_if, updated_unread, with_retries

PURCHASE = "purchase"
PAYREF = "payref#"
REFUND = "refund"
DISPUTE = "dispute"


@dataclass(frozen=True)
class Settlement:
    """What an event did: ``credited``/``debited`` minutes now, or why it did nothing."""

    outcome: str  # credited | debited | duplicate | deferred | recorded | review | ignored
    order_id: str | None = None
    minutes: int = 0
    detail: str = ""


@dataclass(frozen=True)
class PaymentFacts:
    """What a payment event says besides its amount: Stripe's receipt (SPEC W1) and, for a subscription's
    payment (O6), the subscription, its customer and when the period paid for ends (the next charge)."""

    receipt_url: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    period_end: str | None = None


NO_FACTS = PaymentFacts()


class OtherOrders(Protocol):
    """What settles the payments of orders that buy something other than minutes (SPEC V1: a visit's booking
    and extensions, paid in money, crediting no minutes). The caller supplies it (``visits.hooks.VISIT_ORDERS``,
    given by the Stripe webhook): orders import no visits."""

    def covers(self, order: OrderModel) -> bool: ...

    def paid(self, order: OrderModel, *, payment_ref: str, amount_minor: int, at: datetime) -> Settlement: ...

    def taken_back(
        self, order: OrderModel, *, payment_ref: str, refunded_minor: int | None, kind: str, at: datetime
    ) -> Settlement:
        """SPEC O3: ``refunded_minor`` is the charge's cumulative refunded amount (None: a dispute)."""
        ...


def load_order(order_id: str | None) -> OrderModel | None:
    if not order_id:
        return None
    try:
        return OrderModel.get(order_id, consistent_read=True)
    except DoesNotExist:
        return None


def flag_for_review(order: OrderModel, reason: str) -> None:
    """Keep the reason on the order for a person to look at; nothing is credited."""
    if reason not in (order.review or []):
        # a list of strings; pynamodb's stubs want UnicodeAttribute items
        order.update([OrderModel.review.set([*(order.review or []), reason])])  # type: ignore[list-item]


def flag_unread(order_id: str, reason: str) -> bool:
    """SPEC O8: flag an order for review without reading it (its stored data may be what cannot be read):
    the reason appended once, by one conditional update. False when there is no such order."""
    # the update without a read back: the model's would read the item (ALL_NEW) and fail on it again
    return updated_unread(
        OrderModel,
        order_id,
        # a list of strings; pynamodb's stubs want UnicodeAttribute items
        [OrderModel.review.set((OrderModel.review | []).append([reason]))],  # type: ignore[list-item]
        OrderModel.order_id.exists() & ~OrderModel.review.contains(reason),
    )


def _payments(order: OrderModel) -> dict:
    """The payments credited to the order, by payment id (O3)."""
    return map_of(order.payments)


def _payment(order: OrderModel, ref: str) -> dict:
    return dict(_payments(order).get(ref) or {})


def payment_record(payment_id: str | None) -> PaymentRefModel | None:
    """SPEC O3: what Hourbank credited under this payment object (PaymentIntent, invoice), if anything."""
    if not payment_id:
        return None
    try:
        return PaymentRefModel.get(f"{PAYREF}{payment_id}", consistent_read=True)
    except DoesNotExist:
        return None


def settle_paid(
    order_id: str | None,
    *,
    payment_ref: str,
    amount_minor: int,
    currency: str,
    at: datetime,
    also_known_as: tuple[str, ...] = (),
    others: OtherOrders | None = None,
    facts: PaymentFacts = NO_FACTS,
) -> Settlement:
    """SPEC O1/O2: the provider says this order is paid by ``payment_ref``: credit its minutes once.
    ``also_known_as``: other ids of the same payment (the PaymentIntent that paid an invoice), recorded with
    the credit so a refund or dispute naming any of them finds the order (O3)."""
    order = load_order(order_id)
    if order is None:
        return Settlement("review", order_id, detail="no such order")
    if int(amount_minor) != int(order.amount_minor) or currency.upper() != order.currency:
        # SPEC U2 for people: money as money ("paid $400.00 for an order of $600.00"), never minor units.
        reason = (
            f"paid {money_text(int(amount_minor), currency)} for an order of "
            f"{money_text(int(order.amount_minor), order.currency)} ({payment_ref})"
        )
        flag_for_review(order, reason)
        return Settlement("review", order.order_id, detail=reason)
    if order.opens_account:
        order = _open_ordered_account(order, at)
    if others is not None and others.covers(order):  # SPEC V1: a visit's payment confirms or extends it, no minutes
        return others.paid(order, payment_ref=payment_ref, amount_minor=int(amount_minor), at=at)
    idem = Idempotency("payment", "stripe", payment_ref, fingerprint(order.order_id))
    first = [order]  # the first attempt uses what was just read; a retry reads again
    waiting: list[bool] = []

    def attempt() -> Settlement:
        current = first.pop() if first else load_order(order.order_id)
        assert current is not None
        if payment_ref in _payments(current):
            return Settlement("duplicate", current.order_id, detail=payment_ref)
        account = AccountModel.get(current.account_id, consistent_read=True)
        tx = _credit(current, account, idem, (payment_ref, *also_known_as), at, facts)
        if commit_or_retry(tx, unless=("idempotency", "order")) is not None:
            return Settlement("duplicate", current.order_id, detail=payment_ref)
        # SPEC C3: closes waiting for credit are listed on the account, and a close parks itself only on
        # the ledger_seq it read - so if none was waiting in what this credit was based on, none can be.
        waiting.append(bool(account.awaiting and account.awaiting.as_dict()))
        return Settlement("credited", current.order_id, int(current.minutes))

    result = with_retries(attempt)
    if result.outcome == "credited" and not facts.receipt_url:  # SPEC W1: a receipt that came first
        payment_book.pick_up_receipt(order.account_id, iso(at), payment_ref)
    if result.outcome == "credited":
        _after_credit(order, result.minutes, payment_ref, at, others, closes_waiting=bool(waiting and waiting[-1]))
    return result


def _credit(
    order: OrderModel,
    account: AccountModel,
    idem: Idempotency,
    refs: tuple[str, ...],
    at: datetime,
    facts: PaymentFacts = NO_FACTS,
) -> Tx:
    """The credit of a paid order, in one transaction (C7): the ledger entry with the payment's idempotency
    marker, Hourbank's record of each id of the payment (O3; ``refs[0]`` is the one paid), the order marked
    paid by it, the payment on the account's list (W1), a recurring order's agreement (O6) and, for an auto
    top-up, its invoice paid (O4)."""
    payment_ref, minutes = refs[0], int(order.minutes)
    tx = Tx()
    actions = []
    if order.kind == "auto_top_up" and order.invoice_id:
        # SPEC O4: the top-up invoice is paid; the watch may invoice again at the next crossing.
        tx.update(
            "invoice",
            InvoiceModel(order.account_id, order.invoice_id),
            [InvoiceModel.status.set("paid"), InvoiceModel.paid_at.set(iso(at))],
        )
        if account.pending_top_up == order.invoice_id:
            actions.append(AccountModel.pending_top_up.remove())
    note = f"order {order.order_id} paid ({payment_ref})"
    line = LedgerLine(minutes, PURCHASE, iso(at), "stripe", ref=order.order_id, note=note)
    write_account(tx, account, idempotency=idem, actions=actions, line=line)
    for ref in dict.fromkeys(refs):
        # SPEC O3: Hourbank's own record of the payment, written with the credit it keys.
        tx.put(
            f"payref:{ref}",
            PaymentRefModel(f"{PAYREF}{ref}", paid_order_id=order.order_id, payment_ref=payment_ref, at=iso(at)),
        )
    tx.update(
        "order",
        order,
        [
            OrderModel.status.set("paid" if order.status == "pending" else order.status),
            OrderModel.credited_minutes.add(minutes),
            OrderModel.payments[payment_ref].set(
                {"credited": minutes, "debited": 0, "refunded_minor": 0, "at": iso(at), "listed": True}
            ),
            *([OrderModel.opens_account.set(False)] if order.opens_account else []),  # O7: opened, once
        ],
        condition=OrderModel.payments[payment_ref].does_not_exist(),
    )
    payment_book.record(tx, _listed(order, payment_ref, iso(at), facts))
    if order.kind == "recurring":
        _agreement(tx, order, at, facts)
    return tx


def _listed(order: OrderModel, payment_ref: str, at: str, facts: PaymentFacts) -> payment_book.Paid:
    """SPEC W1: how the account's payments list shows a credited order's payment."""
    from hourbank.rating.consumption import hours_text

    hours = hours_text(int(order.minutes))
    description = {
        "recurring": f"Recurring pre-pay: {hours} h this month",
        "auto_top_up": f"Auto top-up: {hours} h",
    }.get(order.kind, f"Support time: {hours} h")
    return payment_book.Paid(
        account_id=order.account_id,
        at=at,
        ref=payment_ref,
        kind="order" if order.kind == "one_time" else "invoice",
        amount_minor=int(order.amount_minor),
        currency=order.currency,
        minutes=int(order.minutes),
        description=description,
        receipt_url=facts.receipt_url,
        order_id=order.order_id,
        invoice_id=order.invoice_id,
    )


def _agreement(tx: Tx, order: OrderModel, at: datetime, facts: PaymentFacts) -> None:
    """SPEC O6: a recurring order's agreement, begun by its first payment and moved on by each month's: the
    next charge is the end of the period paid (or a month on, when the event does not say)."""
    from hourbank.receipts.agreements import key_of, month_after

    item = AgreementModel(order.account_id, key_of(order.order_id))
    actions = [
        AgreementModel.agreement_id.set(order.order_id),
        AgreementModel.minutes_per_month.set(int(order.minutes)),
        AgreementModel.rate_minor.set(int(order.rate_minor)),
        AgreementModel.amount_minor.set(int(order.amount_minor)),
        AgreementModel.currency.set(order.currency),
        AgreementModel.started_at.set(AgreementModel.started_at | iso(at)),
        AgreementModel.status.set(AgreementModel.status | "active"),
        AgreementModel.next_charge_at.set(facts.period_end or month_after(iso(at))),
    ]
    if facts.subscription_id:
        actions.append(AgreementModel.subscription_id.set(facts.subscription_id))
    if facts.customer_id:
        actions.append(AgreementModel.customer_id.set(facts.customer_id))
    tx.update("agreement", item, actions)


def _after_credit(
    order: OrderModel,
    minutes: int,
    payment_ref: str,
    at: datetime,
    others: OtherOrders | None,
    *,
    closes_waiting: bool,
) -> None:
    """What follows a credit once it committed: the business metrics, a refund parked before its payment
    (O2), and the closes waiting for credit (C3)."""
    metrics.emit(
        {
            metrics.MINUTES_CREDITED: minutes,
            metrics.TOP_UPS_SOLD: 1,
            metrics.INVOICES_PAID: int(order.kind == "auto_top_up" and bool(order.invoice_id)),
        }
    )
    # Read the order again after the credit committed: a refund racing this payment either parked
    # itself before this read (seen here) or will see the credit on its own second look (_take_back).
    fresh = load_order(order.order_id)
    pending = map_of(fresh.pending_refunds if fresh is not None else None).get(payment_ref)
    if pending:  # a refund that arrived before its payment (O2: any order of events)
        settle_refund(
            order.order_id,
            payment_ref=payment_ref,
            charge_ref=payment_ref,
            refunded_minor=int(pending),
            at=at,
            others=others,
        )
    if closes_waiting:
        _complete_waiting(order.account_id)


def _open_ordered_account(order: OrderModel, at: datetime) -> OrderModel:
    """SPEC O7: a name-and-e-mail order's account is opened when it is paid, exactly once however many
    deliveries race (``open_account`` under the order's account id: one wins, the rest find it). If the
    address got an account meanwhile, the order credits that one instead."""
    from hourbank.accounts.account_service import EmailTaken, open_account
    from hourbank.kernel.clock import FixedClock

    try:  # no read first: the open is conditional, and a payment after the first finds opens_account False
        open_account(
            name=order.customer_name or order.customer_email or "customer",
            plan="non_member",
            email=order.customer_email or "",
            created_by="order-form",
            account_id=order.account_id,
            clock=FixedClock(at),
        )
        return order
    except EmailTaken as taken:
        moved = [
            OrderModel.account_id.set(taken.owner),
            OrderModel.opens_account.set(False),
            OrderModel.credits_existing.set(True),
        ]
        updated_if(order, moved, OrderModel.account_id == order.account_id)  # or a concurrent delivery did
        fresh = load_order(order.order_id)
        assert fresh is not None
        return fresh


def settle_failed(order_id: str | None, *, payment_ref: str) -> Settlement:
    """An asynchronous payment failed: nothing to credit; the order says so (unless already paid)."""
    order = load_order(order_id)
    if order is None:
        return Settlement("review", order_id, detail="no such order")
    if order.status == "pending":
        order.update([OrderModel.status.set("failed")], condition=OrderModel.status == "pending")
    return Settlement("ignored", order.order_id, detail=f"payment failed ({payment_ref})")


def settle_refund(
    order_id: str | None,
    *,
    payment_ref: str,
    charge_ref: str,
    refunded_minor: int,
    at: datetime,
    others: OtherOrders | None = None,
) -> Settlement:
    """SPEC O3: a refund takes back the credits its share of the payment bought. ``refunded_minor`` is
    the charge's cumulative refunded amount, so events for partial refunds may arrive in any order."""
    return _take_back(
        order_id,
        payment_ref=payment_ref,
        marker=f"{charge_ref}#{int(refunded_minor)}",
        refunded_minor=int(refunded_minor),
        kind=REFUND,
        flag="refunded",
        at=at,
        others=others,
    )


def settle_dispute(
    order_id: str | None, *, payment_ref: str, dispute_ref: str, at: datetime, others: OtherOrders | None = None
) -> Settlement:
    """SPEC O3: a dispute (chargeback) takes back everything the payment bought; the account is flagged."""
    return _take_back(
        order_id,
        payment_ref=payment_ref,
        marker=dispute_ref,
        refunded_minor=None,
        kind=DISPUTE,
        flag="payment_disputed",
        at=at,
        others=others,
    )


def _take_back(
    order_id: str | None,
    *,
    payment_ref: str,
    marker: str,
    refunded_minor: int | None,
    kind: str,
    flag: str,
    at: datetime,
    others: OtherOrders | None = None,
) -> Settlement:
    order = load_order(order_id)
    if order is None:
        return Settlement("review", order_id, detail="no such order")
    if others is not None and others.covers(order):  # SPEC V1 + O3: takes back the hours it bought, not minutes
        return others.taken_back(order, payment_ref=payment_ref, refunded_minor=refunded_minor, kind=kind, at=at)
    idem = Idempotency(kind, "stripe", marker, fingerprint(order.order_id, payment_ref))

    def attempt() -> Settlement:
        current = load_order(order.order_id)
        assert current is not None
        paid = _payment(current, payment_ref)
        if not paid:  # a dispute takes back the whole payment
            amount = int(current.amount_minor) if refunded_minor is None else refunded_minor
            return _park(current, payment_ref, amount, marker)
        credited, debited = int(paid["credited"]), int(paid.get("debited", 0))
        target = credited if refunded_minor is None else _share(credited, refunded_minor, int(current.amount_minor))
        take = target - debited
        if take <= 0:
            return Settlement("duplicate", current.order_id, detail=marker)
        account = AccountModel.get(current.account_id, consistent_read=True)
        tx = Tx()
        write_account(
            tx,
            account,
            idempotency=idem,
            actions=[AccountModel.flags.add({flag})],
            line=LedgerLine(
                -take, kind, iso(at), "stripe", ref=current.order_id, note=f"{kind} of {payment_ref} ({marker})"
            ),
        )
        new_paid = {**paid, "debited": target}
        if refunded_minor is not None:
            new_paid["refunded_minor"] = max(int(paid.get("refunded_minor", 0)), refunded_minor)
        status = "disputed" if kind == DISPUTE else ("refunded" if target >= credited else current.status)
        tx.update(
            "order",
            current,
            [
                OrderModel.payments[payment_ref].set(new_paid),
                OrderModel.debited_minutes.add(take),
                OrderModel.status.set(status),
            ],
            condition=OrderModel.payments[payment_ref]["debited"] == debited,
        )
        refunded = new_paid.get("refunded_minor") if refunded_minor is not None else None
        payment_book.order_taken_back(tx, current, paid, payment_ref, refunded)
        if commit_or_retry(tx, unless=("idempotency",)) is not None:
            return Settlement("duplicate", current.order_id, detail=marker)
        return Settlement("debited", current.order_id, take)

    return with_retries(attempt)


def _park(order: OrderModel, payment_ref: str, amount: int, marker: str) -> Settlement:
    """O2: a refund (or dispute) of a payment not credited yet is parked on the order; the credit takes it back
    when it lands (``_after_credit``)."""
    if int(map_of(order.pending_refunds).get(payment_ref, 0)) >= amount:
        return Settlement("duplicate", order.order_id, detail=marker)
    order.update([OrderModel.pending_refunds[payment_ref].set(amount)])
    # Look again after parking: if the payment committed meanwhile, its own look for parked
    # refunds may have run before this write, so take back now instead of waiting forever.
    again = load_order(order.order_id)
    if again is not None and payment_ref in _payments(again):
        raise Retry()
    return Settlement("deferred", order.order_id, detail="refund before payment: applied when paid")


def _share(credited: int, refunded_minor: int, amount_minor: int) -> int:
    """O3: the refunded share of what a payment bought, in whole minutes (rounded up), never more than credited."""
    return min(credited, (credited * refunded_minor + amount_minor - 1) // amount_minor)


def _complete_waiting(account_id: str) -> None:
    """SPEC C3: credit that lands completes closes waiting for it."""
    from hourbank.tickets.closing import settle_awaiting

    settle_awaiting(account_id)
