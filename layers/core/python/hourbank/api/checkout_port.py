"""The checkout of the functions that take payments (orders, visits; SPEC O1, V1): Stripe Checkout with the
Stripe secret key, or (no key) the stand-in installed in ``hourbank.ports.adapters``: the local payment page.

Built on the first request that needs it and kept for the life of the execution environment (the key is read
from SSM once, ``hourbank.payments.secrets``); kept by the environment's own resolver (``hourbank.api.resolver.kept``),
so an environment retired after a configuration change builds it afresh, as Lambda would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hourbank.api.resolver import kept

if TYPE_CHECKING:
    from hourbank.orders.placing import CheckoutPort
    from hourbank.receipts.agreements import SubscriptionPort


def checkout() -> CheckoutPort:
    return kept("checkout", _build)


def _build() -> CheckoutPort:
    from hourbank.payments.secrets import stripe_api_key
    from hourbank.payments.stripe_checkout import ORDER_ID, select_checkout
    from hourbank.ports.settings import get_settings

    settings = get_settings().payments
    return select_checkout(
        stripe_api_key(settings),
        success_url=f"{settings.website_url}/paid.html?order={ORDER_ID}",
        cancel_url=f"{settings.website_url}/?cancelled={ORDER_ID}",
    )


def subscriptions() -> SubscriptionPort:
    """SPEC O6, W1: Stripe's subscriptions and customer portal (or the local stand-in), kept like the checkout."""
    return kept("subscriptions", _build_subscriptions)


def _build_subscriptions() -> SubscriptionPort:
    from hourbank.payments.secrets import stripe_api_key
    from hourbank.payments.stripe_subscriptions import select_subscriptions
    from hourbank.ports.settings import get_settings

    return select_subscriptions(stripe_api_key(get_settings().payments))


def portal_return_url(account_id: str) -> str:
    """Where the customer portal returns the customer: the portal's agreement page of the account."""
    from urllib.parse import quote

    from hourbank.ports.settings import get_settings

    return f"{get_settings().payments.website_url}/portal/#/accounts/{quote(account_id, safe='')}/agreement"
