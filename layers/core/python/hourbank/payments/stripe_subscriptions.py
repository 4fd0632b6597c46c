"""Subscriptions and the customer portal (SPEC O6, W1), implementing ``hourbank.receipts.agreements.SubscriptionPort``.

``StripeSubscriptions`` ends a recurring agreement's subscription - at the end of the period paid
(``cancel_at_period_end``) or at once (``DELETE /v1/subscriptions/{id}``) - and opens a billing-portal session
(``POST /v1/billing_portal/sessions``) where the customer changes the card and sees the invoices on Stripe's own
pages: Hourbank never shows a card form of its own. Without a Stripe key the application uses what is installed
for the ``subscriptions`` port of ``hourbank.ports.adapters`` (the local stack's stand-in), else it fails.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hourbank.payments.stripe_checkout import StripeClientHolder, without_stripe

if TYPE_CHECKING:
    from hourbank.receipts.agreements import SubscriptionPort


class StripeSubscriptions(StripeClientHolder):
    def cancel(self, subscription_id: str, *, at_period_end: bool, idempotency_key: str) -> str | None:
        client = self._stripe()
        options: Any = {"idempotency_key": idempotency_key}
        if at_period_end:
            sub = client.v1.subscriptions.update(subscription_id, {"cancel_at_period_end": True}, options)
        else:
            sub = client.v1.subscriptions.cancel(subscription_id, None, options)
        ends = getattr(sub, "cancel_at", None) or getattr(sub, "ended_at", None)
        return datetime.fromtimestamp(int(ends), UTC).isoformat(timespec="seconds") if ends else None

    def portal_session(self, customer_id: str, return_url: str) -> str:
        session = self._stripe().v1.billing_portal.sessions.create({"customer": customer_id, "return_url": return_url})
        return str(session.url)


def select_subscriptions(stripe_api_key: str | None) -> SubscriptionPort:
    """Stripe with a Stripe (test or live) secret key; without one, the installed stand-in or a failure."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeSubscriptions(stripe_api_key.strip())
    return without_stripe("subscriptions")  # type: ignore[no-any-return]
