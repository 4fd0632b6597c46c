"""The payments port (SPEC O1, O2; STYLE "payments/ is the only code that imports stripe").

Which checkout the application uses is chosen here: Stripe Checkout when a Stripe key is configured,
else the local payment page that stands in for it (issue 4). Webhook signatures are checked with
stripe's own ``Webhook.construct_event``; the local page signs its events with ``sign_webhook`` exactly
as Stripe does, so the same verification runs locally.

Nothing in this package imports ``stripe`` at module level: it costs cold-start time (STYLE 10), and
only the calls that talk to Stripe, or verify what it sent, need it.
"""

from __future__ import annotations

from hourbank.payments.checkout import ORDER_ID, LocalCheckout, StripeCheckout
from hourbank.payments.refunds import LocalRefunds, StripeRefunds, select_refunds
from hourbank.payments.signature import TOLERANCE_S, sign_webhook, verify_webhook


def select_checkout(
    stripe_api_key: str | None, *, success_url: str, cancel_url: str, local_base_url: str
) -> StripeCheckout | LocalCheckout:
    """Stripe Checkout with a Stripe (test or live) secret key; the local payment page without one."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeCheckout(stripe_api_key.strip(), success_url, cancel_url)
    if not local_base_url:
        raise RuntimeError("no Stripe key and no local payment page (LOCAL_CHECKOUT_URL): orders cannot be paid")
    return LocalCheckout(local_base_url)


__all__ = [
    "ORDER_ID",
    "TOLERANCE_S",
    "LocalCheckout",
    "LocalRefunds",
    "StripeCheckout",
    "StripeRefunds",
    "select_checkout",
    "select_refunds",
    "sign_webhook",
    "verify_webhook",
]
