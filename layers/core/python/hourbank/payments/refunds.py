"""Refund adapters (SPEC V1: a cancelled visit, or prepaid hours a completed visit did not use, are paid
back). ``StripeRefunds`` refunds a PaymentIntent through Stripe; ``LocalRefunds`` stands in for it on the
local stack (no Stripe key), as ``LocalCheckout`` stands in for Checkout: the refund gets a deterministic
id and is recorded on the visit exactly as a Stripe refund would be.

Both are idempotent per key, as the visit's exactly-once bookkeeping requires: Stripe through the
idempotency key, the local one because its id is a hash of the key.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from hourbank.payments.checkout import StripeClientHolder


class RefundPort(Protocol):
    def refund(self, payment_ref: str, amount_minor: int, *, idempotency_key: str, metadata: dict[str, str]) -> str:
        """Refund ``amount_minor`` of the payment ``payment_ref``; returns the refund's id. Idempotent per key."""
        ...


class StripeRefunds(StripeClientHolder):
    """POST /v1/refunds against the PaymentIntent the payment was keyed by (a Charge id works too)."""

    def refund(self, payment_ref: str, amount_minor: int, *, idempotency_key: str, metadata: dict[str, str]) -> str:
        params: dict[str, Any] = {"amount": int(amount_minor), "metadata": metadata, "reason": "requested_by_customer"}
        if payment_ref.startswith("ch_"):
            params["charge"] = payment_ref
        else:
            params["payment_intent"] = payment_ref
        refund = self._stripe().v1.refunds.create(params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return str(refund.id)


class LocalRefunds:
    """The local stack's stand-in: nothing leaves the machine; the refund id follows from the key."""

    def refund(self, payment_ref: str, amount_minor: int, *, idempotency_key: str, metadata: dict[str, str]) -> str:
        return "re_local_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


def select_refunds(stripe_api_key: str | None) -> StripeRefunds | LocalRefunds:
    """Stripe with a Stripe (test or live) secret key; the local stand-in without one."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeRefunds(stripe_api_key.strip())
    return LocalRefunds()
