"""Refund adapters (SPEC V1: a cancelled visit, or prepaid hours a completed visit did not use, are paid
back). ``StripeRefunds`` refunds a PaymentIntent through Stripe, idempotent per key as the visit's
exactly-once bookkeeping requires (Stripe's idempotency key). Without a Stripe key the application uses
what is installed for the ``refunds`` port of ``hourbank.ports.adapters`` (the local stack's stand-in), else it
fails.
"""

from __future__ import annotations

from typing import Any, Protocol

from hourbank.payments.stripe_checkout import StripeClientHolder, without_stripe


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


def select_refunds(stripe_api_key: str | None) -> RefundPort:
    """Stripe with a Stripe (test or live) secret key; without one, the installed stand-in or a failure."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeRefunds(stripe_api_key.strip())
    return without_stripe("refunds")  # type: ignore[no-any-return]
