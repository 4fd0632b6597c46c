"""Onsite visits (API.md ``/visits``; SPEC V1): book, read, extend, cancel.

Booking and extending create checkout sessions and cancelling refunds, so these routes are their own
function's, which carries the PaymentsLayer and the Stripe key (``hourbank.api.checkout_port``, as for orders).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api.checkout_port import checkout
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.visit_schemas import BookVisit, CancelVisit, VisitExtension, extension, visit
from hourbank.visits import booking

router = APIGatewayHttpRouter()


@router.post("/visits", responses=doc(201, R.Visit, 403, 404, 409))
def book_visit(body: Annotated[BookVisit, Body()]):
    booked, order = booking.book(
        current_actor(router),
        checkout=checkout(),
        **body.model_dump(),
        idempotency_key=router.current_event.headers.get("idempotency-key"),
    )
    return visit(booked, order), 201


@router.get("/visits/<visit_id>", responses=doc(200, R.Visit, 404))
def get_visit(visit_id: str):
    found = booking.get_visit(current_actor(router), visit_id)
    return visit(found, booking.booking_order(found) if found.state == "awaiting_payment" else None)


@router.post("/visits/<visit_id>/extensions", responses=doc(201, R.VisitExtension, 403, 404, 409))
def extend_visit(visit_id: str, body: Annotated[VisitExtension, Body()]):
    _, order = booking.extend(
        current_actor(router),
        visit_id,
        body.hours,
        checkout=checkout(),
        idempotency_key=router.current_event.headers.get("idempotency-key"),
    )
    return extension(order), 201


@router.post("/visits/<visit_id>/cancel", responses=doc(200, R.Visit, 403, 404, 409))
def cancel_visit(visit_id: str, body: Annotated[CancelVisit, Body()]):
    return visit(booking.cancel(current_actor(router), visit_id, body.reason))
