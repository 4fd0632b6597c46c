"""Top-up orders from the web form (API.md ``POST /orders``; SPEC O1, O6, P1).

Public routes (``Auth: NONE``): a new customer orders with name and e-mail, an owner signed in orders for
their account (the bearer token is checked here, ``optional_actor``). The buyer is sent to Stripe Checkout,
or to the local payment page when no Stripe key is configured. Nothing is credited here: only the payment
webhook credits (O2).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank import orders
from hourbank.api import make_resolver, optional_actor, views
from hourbank.api import responses as R
from hourbank.api.responses import doc
from hourbank.api.schemas import OrderRequest
from hourbank.errors import NotFound
from hourbank.orders.settlement import load_order
from hourbank.payments import ORDER_ID, select_checkout
from hourbank.payments.secrets import stripe_api_key
from hourbank.settings import get_settings
from hourbank.store import AccountModel

logger = Logger()
app = make_resolver(public=True)


@cache
def checkout() -> orders.CheckoutPort:
    """Once per execution environment: the Stripe client (or the local page) and its secret key."""
    settings = get_settings().payments
    return select_checkout(
        stripe_api_key(settings),
        success_url=f"{settings.website_url}/paid.html?order={ORDER_ID}",
        cancel_url=f"{settings.website_url}/?cancelled={ORDER_ID}",
        local_base_url=settings.local_checkout_url,
    )


@app.post("/orders", responses=doc(201, R.Order, 403, 404, 409))
def create_order(body: Annotated[OrderRequest, Body()]):
    # The same form submitted twice with one Idempotency-Key is one order (and one Checkout Session).
    order, _ = orders.create_order(
        optional_actor(app),
        checkout=checkout(),
        **body.model_dump(),
        idempotency_key=app.current_event.headers.get("idempotency-key"),
    )
    return views.order(order), 201


@app.post("/orders/quote", responses=doc(200, R.Quote, 403, 404))
def quote_order(body: Annotated[OrderRequest, Body()]):
    account, priced = orders.price_order(optional_actor(app), **body.model_dump())
    return views.quote(priced, account.plan if account else "non_member")


@app.get("/plans", responses=doc(200, R.PriceTable))
def get_price_table():
    """Seed 000's price table for the order form, from the plan catalogue (public, cacheable)."""
    from hourbank.orders.pricing import price_table
    from hourbank.plans import catalogue

    return price_table(catalogue())


@app.get("/orders/<order_id>", responses=doc(200, R.Order, 404))
def get_order(order_id: str):
    """The order's state for the page Checkout returns to. The order id (unguessable) is the key to it, as
    Stripe's own success URLs carry the session id; it shows the account's balance once paid."""
    optional_actor(app)  # a bad token is still a 401
    order = load_order(order_id) if order_id.startswith("ord_") else None
    if order is None:
        raise NotFound("order not found")
    # SPEC O7: an order for a known address never shows that account; an unpaid one opened none.
    balance = None
    if order.status != "pending" and not order.credits_existing:
        try:
            balance = AccountModel.get(order.account_id)
        except AccountModel.DoesNotExist:  # a failed payment of a name-and-e-mail order opened no account
            balance = None
    return views.order(order, balance)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
