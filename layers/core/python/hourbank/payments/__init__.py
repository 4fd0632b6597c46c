"""The payments port (SPEC O1, O2; STYLE "payments/ is the only code that imports stripe").

Which checkout the application uses is chosen here: Stripe Checkout when a Stripe key is configured,
else the stand-in installed for the ``checkout`` port of ``hourbank.adapters`` (the local stack's payment
page, issue 15), else a clear failure. Webhook signatures are checked with stripe's own
``Webhook.construct_event``; the local page signs its events with ``sign_webhook`` exactly as Stripe does,
so the same verification runs locally.

Nothing in this package imports ``stripe`` at module level: it costs cold-start time (STYLE 10), and
only the calls that talk to Stripe, or verify what it sent, need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hourbank.payments.checkout import ORDER_ID, StripeCheckout, without_stripe
from hourbank.payments.refunds import StripeRefunds, select_refunds
from hourbank.payments.signature import TOLERANCE_S, sign_webhook, verify_webhook

if TYPE_CHECKING:
    from hourbank.orders import CheckoutPort


def select_checkout(stripe_api_key: str | None, *, success_url: str, cancel_url: str) -> CheckoutPort:
    """Stripe Checkout with a Stripe (test or live) secret key; without one, the installed stand-in or a failure."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeCheckout(stripe_api_key.strip(), success_url, cancel_url)
    return without_stripe("checkout")  # type: ignore[no-any-return]


__all__ = [
    "ORDER_ID",
    "TOLERANCE_S",
    "StripeCheckout",
    "StripeRefunds",
    "select_checkout",
    "select_refunds",
    "sign_webhook",
    "verify_webhook",
]
