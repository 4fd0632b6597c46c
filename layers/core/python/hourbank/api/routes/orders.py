"""Top-up orders from the web form (API.md ``POST /orders``; SPEC O1, O6, P1) and the price table.

Public routes (``Auth: NONE``): a new customer orders with name and e-mail, an owner signed in orders for
their account (the bearer token is checked here, ``optional_actor``). The buyer is sent to Stripe Checkout,
or to the local payment page when no Stripe key is configured (``hourbank.api.checkout_port``). Nothing is
credited here: only the payment webhook credits (O2).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api import views
from hourbank.api.checkout_port import checkout
from hourbank.api.resolver import optional_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import OrderRequest
from hourbank.orders import placing

router = APIGatewayHttpRouter()


@router.post("/orders", responses=doc(201, R.Order, 403, 404, 409))
def create_order(body: Annotated[OrderRequest, Body()]):
    # The same form submitted twice with one Idempotency-Key is one order (and one Checkout Session).
    order, _ = placing.create_order(
        optional_actor(router),
        checkout=checkout(),
        **body.model_dump(),
        idempotency_key=router.current_event.headers.get("idempotency-key"),
    )
    return views.order(order), 201


@router.post("/orders/quote", responses=doc(200, R.Quote, 403, 404))
def quote_order(body: Annotated[OrderRequest, Body()]):
    account, priced = placing.price_order(optional_actor(router), **body.model_dump())
    return views.quote(priced, account.plan if account else "non_member")


@router.get("/plans", responses=doc(200, R.PriceTable))
def get_price_table():
    """Seed 000's price table for the order form, from the plan catalogue (public, cacheable)."""
    from hourbank.orders.pricing import price_table
    from hourbank.plans.catalogue import catalogue

    return price_table(catalogue())


@router.get("/orders/<order_id>", responses=doc(200, R.Order, 404))
def get_order(order_id: str):
    """The order's state for the page Checkout returns to (``orders.order_page``)."""
    optional_actor(router)  # a bad token is still a 401
    return views.order(*placing.order_page(order_id))
