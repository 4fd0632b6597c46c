"""Checkout adapters implementing ``hourbank.orders.placing.CheckoutPort`` (SPEC O1, O6).

``StripeCheckout`` creates a Stripe Checkout Session per order, idempotent per order as the port requires
(an idempotency key derived from the order id). Without a Stripe key the application uses what is
installed for the ``checkout`` port of ``hourbank.ports.adapters`` (the local stack's stand-in), else it fails.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hourbank.ports import adapters
from hourbank.rating.consumption import hours_text  # SPEC U1: the one hours text (rating alone, no I/O)

if TYPE_CHECKING:  # annotations only: the adapter reads attributes, it never touches DynamoDB
    import stripe

    from hourbank.orders.placing import CheckoutPort
    from hourbank.store.models import AccountModel, OrderModel


def idempotency_key(order_id: str) -> str:
    """One Checkout Session per order, however often create_order is retried (Stripe keeps keys 24 h)."""
    return f"order-{order_id}-checkout"


def money_text(minor: int, currency: str) -> str:
    """SPEC U2: minor units shown once, for people (the catalogue's currencies have two decimals)."""
    return f"{currency.upper()} {Decimal(int(minor)).scaleb(-2):,.2f}"


ORDER_ID = "{ORDER_ID}"  # in success and cancel URLs: replaced by the order's id


def checkout_params(order: OrderModel, account: AccountModel, success_url: str, cancel_url: str) -> dict[str, Any]:
    """The POST /v1/checkout/sessions body for an order: one line, priced inline (price_data), so the
    catalogue stays the single source of prices and nothing has to be set up in Stripe first."""
    order_id, recurring = order.order_id, order.kind == "recurring"
    success_url, cancel_url = success_url.replace(ORDER_ID, order_id), cancel_url.replace(ORDER_ID, order_id)
    hours = hours_text(int(order.minutes))
    currency = order.currency.lower()  # Stripe writes currencies in lower case (API.md)
    ids = {"order_id": order_id, "account_id": order.account_id}
    rate = money_text(int(order.rate_minor), currency)
    description = f"{hours} h {'every month ' if recurring else ''}at {rate}/h"
    if int(order.discount_minor or 0):
        description += f", less {money_text(int(order.discount_minor), currency)} bulk discount (P1)"
    name = f"Support time: {hours} h"
    if getattr(order, "visit_id", None):  # SPEC V1: a visit's booking or extension, paid in money
        name, description = str(order.title), f"Onsite visit {order.visit_id}: {int(order.visit_hours)} h"
    price_data: dict[str, Any] = {
        "currency": currency,
        "unit_amount": int(order.amount_minor),
        "product_data": {"name": name, "description": description},
    }
    params: dict[str, Any] = {
        "mode": "subscription" if recurring else "payment",
        "line_items": [{"price_data": price_data, "quantity": 1}],
        # O2: the webhook finds the order by both, and flags an event where they disagree.
        "client_reference_id": order_id,
        "metadata": ids,
        "customer_email": account.email,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if recurring:  # SPEC O6: N hours every month, charged automatically
        price_data["recurring"] = {"interval": "month"}
        # Copied to the subscription, so every month's invoice.paid names the order
        # (invoice.parent.subscription_details.metadata).
        params["subscription_data"] = {"metadata": ids}
    else:
        # Copied to the PaymentIntent and its Charge, so refunds and disputes name the order (O3).
        params["payment_intent_data"] = {"metadata": ids}
    return params


def without_stripe(port: str) -> Any:
    """No Stripe key: the stand-in installed for ``port`` in ``hourbank.ports.adapters`` (the local stack's, made
    anew for the caller), else a clear failure - in AWS nothing is installed and a payment function needs
    its key (the template names the SSM parameter that holds it)."""
    adapter = adapters.installed(port)
    if adapter is None:
        raise RuntimeError(
            f"no Stripe key (STRIPE_API_KEY_PARAM names an empty or missing parameter) and no {port} adapter "
            "installed: payments cannot be taken"
        )
    return adapter()


class StripeClientHolder:
    """A ``stripe.StripeClient`` made on first use (STYLE 10: only a call to Stripe pays for importing it).
    ``http_client`` is stripe's pluggable transport: tests pass a recording fake and see exactly the
    requests Stripe would get. Network retries are safe: every POST carries an idempotency key."""

    def __init__(self, api_key: str, *, http_client: Any = None, max_network_retries: int = 2) -> None:
        self.api_key = api_key
        self._http_client = http_client
        self._max_network_retries = max_network_retries
        self._client: stripe.StripeClient | None = None

    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            import stripe

            self._client = stripe.StripeClient(
                self.api_key, http_client=self._http_client, max_network_retries=self._max_network_retries
            )
        return self._client


class StripeCheckout(StripeClientHolder):
    """Stripe Checkout (test or live key)."""

    def __init__(
        self, api_key: str, success_url: str, cancel_url: str, *, http_client: Any = None, max_network_retries: int = 2
    ) -> None:
        super().__init__(api_key, http_client=http_client, max_network_retries=max_network_retries)
        self.success_url = success_url
        self.cancel_url = cancel_url

    def create_checkout(self, order: OrderModel, account: AccountModel) -> tuple[str, str]:
        session = self._stripe().v1.checkout.sessions.create(
            checkout_params(order, account, self.success_url, self.cancel_url),  # type: ignore[arg-type]
            {"idempotency_key": idempotency_key(order.order_id)},
        )
        if not session.url:
            raise RuntimeError(f"Stripe returned checkout session {session.id} without a URL")
        return session.id, session.url

    def payment_objects(self, payment_intent: str) -> tuple[dict, dict | None]:
        """``hourbank.orders.payment_matching.PaymentLookup``: the PaymentIntent and the invoice it paid (if any),
        as plain dicts. Disputes name only a charge and a PaymentIntent, and since API version
        2025-03-31 neither a Charge nor a PaymentIntent names its invoice: InvoicePayment links them."""
        client = self._stripe()
        intent = client.v1.payment_intents.retrieve(payment_intent).to_dict()
        found = client.v1.invoice_payments.list(
            {
                "payment": {"type": "payment_intent", "payment_intent": payment_intent},
                "expand": ["data.invoice"],
                "limit": 1,
            }
        ).to_dict()
        for row in found.get("data") or []:
            if isinstance(row.get("invoice"), dict):
                return intent, row["invoice"]
        return intent, None


def select_checkout(stripe_api_key: str | None, *, success_url: str, cancel_url: str) -> CheckoutPort:
    """Stripe Checkout with a Stripe (test or live) secret key; without one, the installed stand-in or a failure."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeCheckout(stripe_api_key.strip(), success_url, cancel_url)
    return without_stripe("checkout")  # type: ignore[no-any-return]
