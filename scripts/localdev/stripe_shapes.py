"""Stripe objects and events in Stripe's shapes (API reference, version 2026-10-28), for the webhook tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from hourbank.store.models import OrderModel

CREATED_AT = datetime(2026, 11, 18, 9, 46, 40, tzinfo=UTC)
CREATED = int(CREATED_AT.timestamp())


def sid(prefix: str) -> str:
    return f"{prefix}_1Q{secrets.token_hex(10)}"


def event(kind: str, obj: dict, *, created: int = CREATED) -> dict:
    return {
        "id": sid("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def session(
    order: OrderModel,
    *,
    status: str = "paid",
    payment_intent: str | None = None,
    invoice: str | None = None,
    subscription: str | None = None,
    amount: int | None = None,
    currency: str = "usd",
    reference: str | None = None,
    metadata_order: str | None = None,
) -> dict:
    recurring = order.kind == "recurring"
    order_id = order.order_id
    return {
        "id": order.checkout_session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": int(order.amount_minor) if amount is None else amount,
        "amount_total": int(order.amount_minor) if amount is None else amount,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": "http://127.0.0.1:3000/",
        "client_reference_id": reference or order_id,
        "created": CREATED - 120,
        "currency": currency,
        "customer": "cus_Q1hourbank" if recurring else None,
        "customer_creation": "always" if recurring else "if_required",
        "customer_details": {
            "address": None,
            "email": "it@example.test",
            "name": "Corner Bakery",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "customer_email": "it@example.test",
        "expires_at": CREATED + 86_280,
        "invoice": invoice,
        "livemode": False,
        "locale": None,
        "metadata": {"order_id": metadata_order or order_id, "account_id": order.account_id},
        "mode": "subscription" if recurring else "payment",
        "payment_intent": None if recurring else payment_intent,
        "payment_method_types": ["card", "us_bank_account"],
        "payment_status": status,
        "status": "complete",
        "submit_type": None,
        "subscription": subscription,
        "success_url": "http://127.0.0.1:3000/paid",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "url": None,
    }


def invoice(
    order: OrderModel,
    invoice_id: str,
    subscription: str,
    *,
    amount: int | None = None,
    billing_reason: str = "subscription_create",
) -> dict:
    paid = int(order.amount_minor) if amount is None else amount
    sub_metadata = {"order_id": order.order_id, "account_id": order.account_id}
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "amount_due": paid,
        "amount_paid": paid,
        "amount_remaining": 0,
        "attempt_count": 1,
        "attempted": True,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": CREATED - 60,
        "currency": "usd",
        "customer": "cus_Q1hourbank",
        "customer_email": "it@example.test",
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": sid("il"),
                    "object": "line_item",
                    "amount": paid,
                    "currency": "usd",
                    "description": "1 × Support time: 5 h (at $600.00 / month)",
                    "metadata": sub_metadata,
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {"subscription": subscription, "subscription_item": sid("si")},
                    },
                    "quantity": 1,
                }
            ],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": sub_metadata, "subscription": subscription},
        },
        "status": "paid",
        "status_transitions": {"paid_at": CREATED - 30},
        "total": paid,
    }


def charge(
    order: OrderModel, payment_intent: str, *, refunded: int, charge_id: str | None = None, metadata: bool = True
) -> dict:
    return {
        "id": charge_id or sid("ch"),
        "object": "charge",
        "amount": int(order.amount_minor),
        "amount_captured": int(order.amount_minor),
        "amount_refunded": refunded,
        "balance_transaction": sid("txn"),
        "captured": True,
        "created": CREATED - 3600,
        "currency": "usd",
        "livemode": False,
        "metadata": {"order_id": order.order_id, "account_id": order.account_id} if metadata else {},
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": refunded >= int(order.amount_minor),
        "status": "succeeded",
    }


def dispute(order: OrderModel, payment_intent: str) -> dict:
    return {
        "id": sid("du"),
        "object": "dispute",
        "amount": int(order.amount_minor),
        "balance_transactions": [],
        "charge": sid("ch"),
        "created": CREATED,
        "currency": "usd",
        "evidence_details": {
            "due_by": CREATED + 7 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": "needs_response",
    }
