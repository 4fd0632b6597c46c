"""Onsite visits (API.md ``/visits``; SPEC V1): book, read, extend, cancel.

Its own function: booking and extending create Stripe Checkout Sessions and cancelling refunds, so it
carries the PaymentsLayer and the Stripe key, which the tickets function (and its cold start) need not.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank import visits
from hourbank.api import current_actor, make_resolver
from hourbank.api import responses as R
from hourbank.api.responses import doc
from hourbank.api.visits import BookVisit, CancelVisit, VisitExtension, extension, visit
from hourbank.payments import ORDER_ID, select_checkout
from hourbank.payments.secrets import stripe_api_key
from hourbank.settings import get_settings

logger = Logger()
app = make_resolver()


@cache
def checkout():
    """Once per execution environment: Stripe Checkout (or the local payment page), as for orders."""
    settings = get_settings().payments
    return select_checkout(
        stripe_api_key(settings),
        success_url=f"{settings.website_url}/paid.html?order={ORDER_ID}",
        cancel_url=f"{settings.website_url}/?cancelled={ORDER_ID}",
        local_base_url=settings.local_checkout_url,
    )


@app.post("/visits", responses=doc(201, R.Visit, 403, 404, 409))
def book_visit(body: Annotated[BookVisit, Body()]):
    booked, order = visits.book(
        current_actor(app),
        checkout=checkout(),
        **body.model_dump(),
        idempotency_key=app.current_event.headers.get("idempotency-key"),
    )
    return visit(booked, order), 201


@app.get("/visits/<visit_id>", responses=doc(200, R.Visit, 404))
def get_visit(visit_id: str):
    found = visits.get_visit(current_actor(app), visit_id)
    return visit(found, visits.booking_order(found) if found.state == "awaiting_payment" else None)


@app.post("/visits/<visit_id>/extensions", responses=doc(201, R.VisitExtension, 403, 404, 409))
def extend_visit(visit_id: str, body: Annotated[VisitExtension, Body()]):
    _, order = visits.extend(
        current_actor(app),
        visit_id,
        body.hours,
        checkout=checkout(),
        idempotency_key=app.current_event.headers.get("idempotency-key"),
    )
    return extension(order), 201


@app.post("/visits/<visit_id>/cancel", responses=doc(200, R.Visit, 403, 404, 409))
def cancel_visit(visit_id: str, body: Annotated[CancelVisit, Body()]):
    return visit(visits.cancel(current_actor(app), visit_id, body.reason))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
