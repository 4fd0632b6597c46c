"""POST /tickets/{ticket_id}/time-entries: rate and record a technician's time (SPEC T1-T6, C4)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.api import responses as R
from hourbank.api import views
from hourbank.api.resolver import current_actor, make_resolver
from hourbank.api.responses import doc
from hourbank.api.schemas import TimeEntry
from hourbank.tickets.entries import post_entry
from hourbank.visits.hooks import VISIT_WORK

logger = Logger()
app = make_resolver()


@app.post(
    "/tickets/<ticket_id>/time-entries",
    responses={
        **doc(201, R.RatedEntry, 402, 403, 404, 409, description="recorded"),
        200: {
            "description": "the entry first posted with this Idempotency-Key",
            "content": {"application/json": {"model": R.RatedEntry}},
        },
    },
)
def post_time_entry(ticket_id: str, body: Annotated[TimeEntry, Body()]):
    entry, created = post_entry(
        current_actor(app),
        ticket_id,
        **body.model_dump(),  # work_type, started_at, minutes, note
        # A client that retries with the same key gets the first entry back, not a second one.
        idempotency_key=app.current_event.headers.get("idempotency-key"),
        prepaid=VISIT_WORK,  # SPEC V1: a visit's ticket is gated by its prepaid hours, not the balance
    )
    return views.entry(entry), 201 if created else 200


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
