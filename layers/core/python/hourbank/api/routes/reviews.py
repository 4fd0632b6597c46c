"""Payments kept for review (API.md ``/reviews``; SPEC O8): billing lists and resolves them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api import views
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import ReviewResolution

router = APIGatewayHttpRouter()


@router.get("/reviews", responses=doc(200, R.ReviewPage, 403))
def get_reviews(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
):
    """SPEC O8: payments kept for review, newest first (billing)."""
    from hourbank.reviews import payment_reviews  # only these two routes of the accounts function need it

    items, next_cursor = payment_reviews.list_reviews(current_actor(router), limit=limit, cursor=cursor, status=status)
    return {"items": [payment_reviews.view(r) for r in items], "cursor": next_cursor}


@router.post("/reviews/<review_id>/resolve", responses=doc(200, R.ReviewResolved, 403, 404, 409))
def resolve_review(review_id: str, body: Annotated[ReviewResolution, Body()]):
    """SPEC O8: billing settles a review - a note, and optionally a credit (or correction) of an account."""
    from hourbank.reviews import payment_reviews

    review, entry = payment_reviews.resolve(current_actor(router), review_id, **body.model_dump())
    return {"review": payment_reviews.view(review), "ledger_entry": views.ledger_entry(entry) if entry else None}
