"""Stripe events → settlement (SPEC O1-O3). The event has already been verified
(``hourbank.payments.webhook_signature.verify_webhook``) and is a plain dict in Stripe's shapes; no stripe import here.

Exactly-once lives in ``settlement``: every credit is keyed by the payment object, so the same payment
reported by several events (``checkout.session.completed`` and ``invoice.paid`` for a subscription's
first invoice; ``completed`` then ``async_payment_succeeded``) and every redelivery credit once.
This module only decides, per event type, which order and which payment object an event is about:

- one-time orders are keyed by their PaymentIntent (refunds and disputes name it too);
- recurring orders (subscriptions) by the invoice each month's payment pays.

An event whose order cannot be told is not an error: it is a ``review`` outcome (logged; Stripe gets its
200, retrying would not help). An event type we do not handle is ``ignored`` (O2: 200, no change).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from hourbank.invoicing import invoice_issuing
from hourbank.kernel.clock import SYSTEM_CLOCK, Clock
from hourbank.orders.payment_settlement import (
    OtherOrders,
    PaymentFacts,
    Settlement,
    flag_for_review,
    flag_unread,
    load_order,
    payment_record,
    settle_dispute,
    settle_failed,
    settle_paid,
    settle_refund,
)
from hourbank.store.models import map_of

log = logging.getLogger(__name__)


class PaymentLookup(Protocol):
    """Asks Stripe what an event does not say (``hourbank.payments.stripe_checkout.StripeCheckout`` implements it)."""

    def payment_objects(self, payment_intent: str) -> tuple[dict, dict | None]:
        """The PaymentIntent and the invoice it paid (None when it paid none), as plain dicts."""
        ...


Handler = Callable[[dict, datetime, "PaymentLookup | None", "OtherOrders | None"], Settlement]


def apply_event(
    event: dict,
    *,
    clock: Clock = SYSTEM_CLOCK,
    lookup: PaymentLookup | None = None,
    others: OtherOrders | None = None,
) -> Settlement:
    """Apply one verified Stripe event; the settlement time is the event's ``created`` (when Stripe saw
    it happen), so a late redelivery records the same time as the first. ``others`` settles the orders that
    buy no minutes (SPEC V1: a visit's, ``visits.hooks.VISIT_ORDERS``)."""
    kind = str(event.get("type") or "")
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Settlement("ignored", detail=f"event type {kind or '?'} is not handled")
    obj = ((event.get("data") or {}).get("object")) or {}
    created = event.get("created")
    at = datetime.fromtimestamp(int(created), UTC) if isinstance(created, int | float) else clock.now()
    result = handler(obj, at, lookup, others)
    if result.outcome == "review":
        log.warning(
            "stripe event %s (%s) needs review: order %s: %s", event.get("id"), kind, result.order_id, result.detail
        )
        # SPEC O8: never silently dropped - kept where billing sees and settles it (GET /reviews), once per event.
        from hourbank.reviews import payment_reviews

        payment_reviews.record(event, reason=result.detail, order_id=result.order_id, at=at, clock=clock)
    return result


def keep_failed(event: dict, error: BaseException, *, clock: Clock = SYSTEM_CLOCK) -> Settlement | None:
    """SPEC O8: ``event`` could not be applied, for a reason of its own (``error`` is not a fault that may
    pass). Count the failure; once it failed the same way ``payment_reviews.POISON_AFTER`` times it is kept for
    review with the error - where billing sees and settles it, its order flagged - and the answer is a
    ``review`` settlement (Stripe gets its 200). None: not yet, the caller answers 5xx and Stripe retries.
    Nothing of the event was written (its application failed), so a later delivery that succeeds credits
    once, and billing's credit of the review takes the payment's place (``payment_reviews.resolve``)."""
    from hourbank.reviews import payment_reviews

    failures = payment_reviews.count_failure(event, error, clock=clock)
    if failures < payment_reviews.POISON_AFTER:
        return None
    order_id, payment_ref = _credit_of(event)
    reason = f"could not be applied ({failures} deliveries failed the same way): {payment_reviews.error_text(error)}"
    log.error("stripe event %s (%s) kept for review: %s", event.get("id"), event.get("type"), reason)
    created = event.get("created")
    at = datetime.fromtimestamp(int(created), UTC) if isinstance(created, int | float) else clock.now()
    if order_id:
        flag_unread(order_id, reason[:500])  # the order itself may be what cannot be read
    payment_reviews.record(event, reason=reason, order_id=order_id, at=at, clock=clock, payment_ref=payment_ref)
    return Settlement("review", order_id, detail=reason)


def _credit_of(event: dict) -> tuple[str | None, str | None]:
    """The order an event names and the payment it would credit, keyed as ``settle_paid`` keys it (None
    for an event that credits nothing), read from the event alone: nothing that may fail again."""
    kind = str(event.get("type") or "")
    obj = ((event.get("data") or {}).get("object")) or {}
    if not isinstance(obj, dict):
        return None, None
    try:
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            named = obj.get("client_reference_id") or _metadata(obj).get("order_id")
            order_id = str(named)[:200] if named else None
            if obj.get("mode") == "subscription":
                return order_id, _id(obj.get("invoice"))
            return order_id, _id(obj.get("payment_intent")) or (str(obj["id"]) if obj.get("id") else None)
        if kind == "invoice.paid":
            return invoice_order_id(obj), _id(obj.get("id"))
        named = _metadata(obj).get("order_id") or obj.get("client_reference_id")
        return (str(named)[:200] if named else None), None
    except Exception:  # an event of a shape nothing expected still goes to review
        return None, None


# -- checkout sessions -------------------------------------------------------------------------------


def _session_paid(session: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None) -> Settlement:
    """checkout.session.completed (paid) and checkout.session.async_payment_succeeded."""
    order_id, conflict = _session_order(session)
    if conflict:
        return conflict
    if session.get("payment_status") != "paid":
        # Delayed methods (bank debits): completed now, paid or failed later by an async_payment_* event.
        return Settlement(
            "ignored",
            order_id,
            detail=f"checkout {session.get('id')} is {session.get('payment_status')}: waiting for the payment",
        )
    facts = PaymentFacts()
    if session.get("mode") == "subscription":
        # SPEC O6: the agreement's subscription and customer (the billing portal's, W1)
        facts = PaymentFacts(subscription_id=_id(session.get("subscription")), customer_id=_id(session.get("customer")))
        payment_ref = _id(session.get("invoice"))
        if not payment_ref:
            # The subscription's first invoice.paid credits it; keying this payment by anything else
            # would let that invoice credit a second time.
            return Settlement(
                "ignored", order_id, detail="subscription checkout without an invoice: credited by its invoice.paid"
            )
    else:
        payment_ref = _id(session.get("payment_intent")) or str(session.get("id"))
    amount = _int(session.get("amount_total"))
    if amount is None:
        return Settlement("review", order_id, detail=f"checkout {session.get('id')} has no amount_total")
    return settle_paid(
        order_id,
        payment_ref=payment_ref,
        amount_minor=amount,
        currency=str(session.get("currency") or ""),
        at=at,
        others=others,
        facts=facts,
    )


def _session_failed(
    session: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    order_id, conflict = _session_order(session)
    if conflict:
        return conflict
    return settle_failed(order_id, payment_ref=_id(session.get("payment_intent")) or str(session.get("id")))


def _session_order(session: dict) -> tuple[str | None, Settlement | None]:
    """API.md: a session names its order by client_reference_id and metadata.order_id. Two different
    names is a reason for a person to look, never for a guess: both orders are flagged, nothing credited."""
    by_reference = session.get("client_reference_id") or None
    by_metadata = _metadata(session).get("order_id") or None
    if by_reference and by_metadata and by_reference != by_metadata:
        reason = (
            f"checkout {session.get('id')} names order {by_reference} (client_reference_id) "
            f"and {by_metadata} (metadata)"
        )
        for order_id in (by_reference, by_metadata):
            order = load_order(order_id)
            if order is not None:
                flag_for_review(order, reason)
        return by_reference, Settlement("review", by_reference, detail=reason)
    return by_reference or by_metadata, None


# -- invoices ----------------------------------------------------------------------------------------


def invoice_order_id(invoice: dict) -> str | None:
    """The order a Stripe invoice pays: its own metadata, its subscription's (recurring orders: API
    versions since 2025-03-31 put it under parent.subscription_details, older ones at the top), or its
    first line's."""
    parent = invoice.get("parent") or {}
    candidates = [
        _metadata(invoice),
        _metadata(parent.get("subscription_details") or {}),
        _metadata(invoice.get("subscription_details") or {}),
    ]
    lines = ((invoice.get("lines") or {}).get("data")) or []
    if lines:
        candidates.append(_metadata(lines[0]))
    for metadata in candidates:
        if metadata.get("order_id"):
            return str(metadata["order_id"])
    return None


def _invoice_paid(invoice: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None) -> Settlement:
    order_id = invoice_order_id(invoice)
    ours = _our_invoice(invoice) if order_id is None else None
    if ours is not None and ours.order_id:
        # SPEC O4: an invoice that buys credits (auto top-up) names its Hourbank invoice by metadata.invoice_id
        # alone (API.md); it is credited through its order, in the transaction that records it paid.
        order_id = ours.order_id
    if order_id is None:
        if ours is not None:  # an invoice that buys no credits (post-pay, plan): it is paid, that is all
            url = invoice_facts(invoice).receipt_url
            paid_at = at.isoformat(timespec="seconds")
            fresh = invoice_issuing.record_paid(ours, paid_at, payment_ref=_id(invoice.get("id")), receipt_url=url)
            return Settlement("recorded" if fresh else "duplicate", detail=f"invoice {ours.invoice_id} paid")
        if _metadata(invoice).get("invoice_id"):
            return Settlement("review", detail=f"invoice {invoice.get('id')} names an unknown Hourbank invoice")
        return Settlement("review", detail=f"invoice {invoice.get('id')} names no order")
    amount = _int(invoice.get("amount_paid"))
    if amount is None:
        return Settlement("review", order_id, detail=f"invoice {invoice.get('id')} has no amount_paid")
    return settle_paid(
        order_id,
        payment_ref=str(invoice.get("id")),
        amount_minor=amount,
        currency=str(invoice.get("currency") or ""),
        at=at,
        also_known_as=_invoice_intents(invoice),
        others=others,
        facts=invoice_facts(invoice),
    )


def invoice_facts(invoice: dict) -> PaymentFacts:
    """What an invoice says of its payment: Stripe's hosted invoice page (its receipt once paid, SPEC W1) and,
    for a subscription's (O6), the subscription, the customer and the end of the period it paid for."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    subscription = _id(invoice.get("subscription")) or _id(details.get("subscription"))
    lines = ((invoice.get("lines") or {}).get("data")) or []
    period_end = ((lines[0].get("period") or {}).get("end")) if lines and isinstance(lines[0], dict) else None
    url = invoice.get("hosted_invoice_url")
    return PaymentFacts(
        receipt_url=str(url)[:2000] if url else None,
        subscription_id=subscription,
        customer_id=_id(invoice.get("customer")),
        period_end=datetime.fromtimestamp(int(period_end), UTC).isoformat(timespec="seconds")
        if isinstance(period_end, int) and not isinstance(period_end, bool)
        else None,
    )


def _invoice_intents(invoice: dict) -> tuple[str, ...]:
    """The PaymentIntents that paid an invoice: ``payment_intent`` (API versions before 2025-03-31) or its
    ``payments`` list (later ones). Recorded with the credit, so a refund naming one finds the order (O3)."""
    ids = [_id(invoice.get("payment_intent"))]
    payments = invoice.get("payments")
    for paid in (payments.get("data") or []) if isinstance(payments, dict) else []:
        payment = paid.get("payment") if isinstance(paid, dict) else None
        if isinstance(payment, dict):
            ids.append(_id(payment.get("payment_intent")))
    return tuple(i for i in ids if i)


def _our_invoice(invoice: dict):
    metadata = _metadata(invoice)
    return invoice_issuing.load_invoice(metadata.get("account_id"), metadata.get("invoice_id"))


def _invoice_failed(
    invoice: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    """invoice.payment_failed: the invoice stays open (Stripe retries; the link still works) and keeps the
    balance watch from invoicing again (SPEC O4)."""
    ours = _our_invoice(invoice)
    if ours is None:
        return Settlement("ignored", detail=f"invoice {invoice.get('id')} is not an Hourbank invoice")
    error = (invoice.get("last_finalization_error") or {}).get("message") or "payment failed"
    invoice_issuing.record_failed_attempt(ours, f"attempt {invoice.get('attempt_count') or '?'}: {error}")
    return Settlement("recorded", ours.order_id, detail=f"invoice {ours.invoice_id}: payment failed")


def _invoice_given_up(
    invoice: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    """invoice.voided / invoice.marked_uncollectible: void; auto top-up backs off before invoicing again."""
    ours = _our_invoice(invoice)
    if ours is None:
        return Settlement("ignored", detail=f"invoice {invoice.get('id')} is not an Hourbank invoice")
    changed = invoice_issuing.record_given_up(ours, int(at.timestamp()))
    return Settlement("recorded" if changed else "duplicate", ours.order_id, detail=f"invoice {ours.invoice_id} void")


# -- refunds and disputes (SPEC O3) ------------------------------------------------------------------


def _charge_refunded(
    charge: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    refunded = _int(charge.get("amount_refunded"))
    if refunded is None:
        return Settlement("review", detail=f"charge {charge.get('id')} has no amount_refunded")
    order_id, payment_ref, problem = find_payment(charge, lookup)
    if problem:
        return problem
    ref = payment_ref or str(charge.get("id"))
    return settle_refund(
        order_id, payment_ref=ref, charge_ref=str(charge.get("id")), refunded_minor=refunded, at=at, others=others
    )


def _dispute_created(
    dispute: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    order_id, payment_ref, problem = find_payment(dispute, lookup)
    if problem:
        return problem
    ref = payment_ref or _id(dispute.get("charge")) or ""
    return settle_dispute(order_id, payment_ref=ref, dispute_ref=str(dispute.get("id")), at=at, others=others)


def _charge_succeeded(
    charge: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    """SPEC W1: Stripe's receipt link of a payment (``receipt_url``), onto the payment's list item - kept until
    the payment is recorded when it comes first (as it usually does for Checkout)."""
    from hourbank.receipts import payment_book

    url = charge.get("receipt_url")
    ref = _id(charge.get("payment_intent")) or _id(charge.get("id"))
    if not url or not ref:
        return Settlement("ignored", detail=f"charge {charge.get('id')} has no receipt")
    order_id = _metadata(charge).get("order_id")
    record = payment_record(ref)
    if record is not None:
        order_id, ref = record.paid_order_id, record.payment_ref

    def recorded() -> tuple[str, str] | None:
        """The payment's account and time, once the payment is recorded on the list (read after keeping the link)."""
        order = load_order(order_id)
        paid = dict(map_of(order.payments).get(ref) or {}) if order is not None else {}
        return (order.account_id, str(paid["at"])) if order is not None and paid.get("listed") else None

    done = payment_book.receipt_seen(ref, str(url), at.isoformat(timespec="seconds"), recorded)
    return Settlement("recorded", order_id, detail=f"receipt of {ref} {'recorded' if done else 'kept'}")


def _subscription_deleted(
    subscription: dict, at: datetime, lookup: PaymentLookup | None, others: OtherOrders | None
) -> Settlement:
    """SPEC O6: the subscription ended at Stripe (the term's end came, or it was cancelled there): its agreement
    is ``ended``. The subscription carries its order and account (``subscription_data.metadata``)."""
    from hourbank.receipts.agreements import subscription_ended

    metadata = _metadata(subscription)
    order_id, account_id = metadata.get("order_id"), metadata.get("account_id")
    if not order_id or not account_id:
        return Settlement("ignored", detail=f"subscription {subscription.get('id')} names no order")
    changed = subscription_ended(str(account_id), str(order_id), at.isoformat(timespec="seconds"))
    return Settlement("recorded" if changed else "duplicate", str(order_id), detail="agreement ended")


def find_payment(obj: dict, lookup: PaymentLookup | None) -> tuple[str | None, str | None, Settlement | None]:
    """(order id, payment ref, None) for a Charge or Dispute, or a ``review`` settlement when it cannot be
    told which top-up payment it is about.

    Metadata first: a one-time order's PaymentIntent carries ``order_id`` and Stripe copies it to the
    Charge, so a refund names its order; the ref is the PaymentIntent, as the credit was keyed. Else ask
    Stripe (``lookup``): disputes carry no metadata, and a subscription's charge names neither order
    nor invoice. A subscription payment's ref is the invoice (older API versions name it on the charge).
    """
    payment_intent = _id(obj.get("payment_intent"))
    charge = obj.get("charge")
    invoice = _id(obj.get("invoice")) or (_id(charge.get("invoice")) if isinstance(charge, dict) else None)
    order_id = _metadata(obj).get("order_id") or (
        _metadata(charge).get("order_id") if isinstance(charge, dict) else None
    )
    payment_ref = invoice or payment_intent
    if not order_id:
        # SPEC O3: Hourbank's own record of what it credited comes first - the PaymentIntent or invoice it
        # keyed the credit by - so neither metadata on the charge nor a call to Stripe is needed.
        charge_id = (
            _id(charge) if charge is not None else (_id(obj.get("id")) if obj.get("object") == "charge" else None)
        )
        for known in (invoice, payment_intent, charge_id):
            record = payment_record(known)
            if record is not None:
                order_id, payment_ref = record.paid_order_id, record.payment_ref
                invoice = invoice or (payment_ref if payment_ref.startswith("in_") else None)
                break
    if not order_id and lookup is not None and payment_intent:
        intent, paid_invoice = lookup.payment_objects(payment_intent)
        order_id = _metadata(intent).get("order_id")
        if paid_invoice is not None and _id(paid_invoice.get("id")):
            order_id = order_id or invoice_order_id(paid_invoice)
            invoice = payment_ref = _id(paid_invoice.get("id"))
    what = f"{obj.get('object') or 'payment object'} {obj.get('id')}"
    if not order_id:
        return None, None, Settlement("review", detail=f"{what} names no order")
    order = load_order(order_id)
    if order is None:
        return order_id, None, Settlement("review", order_id, detail=f"{what}: no such order")
    if order.kind == "recurring" and not invoice:
        # Credits of a subscription are keyed by invoice; taking back under a PaymentIntent would never
        # meet them (it would wait forever as a refund "before" its payment).
        reason = f"{what} refunds or disputes a subscription payment whose invoice it does not name"
        flag_for_review(order, reason)
        return order_id, None, Settlement("review", order_id, detail=reason)
    return order_id, payment_ref, None


def _metadata(obj: Any) -> dict:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _id(value: Any) -> str | None:
    """A Stripe reference: an id string, or the expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


_HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _session_failed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "invoice.voided": _invoice_given_up,
    "invoice.marked_uncollectible": _invoice_given_up,
    "charge.refunded": _charge_refunded,
    "charge.succeeded": _charge_succeeded,
    "customer.subscription.deleted": _subscription_deleted,
    "charge.dispute.created": _dispute_created,
}
