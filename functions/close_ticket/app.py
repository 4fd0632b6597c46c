"""POST /tickets/{ticket_id}/close: debit the ticket's consumption (SPEC C1-C5); a visit's ticket completes
its visit (V1)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.api import responses as R
from hourbank.api import views
from hourbank.api.resolver import current_actor, make_resolver
from hourbank.api.responses import doc
from hourbank.tickets.closing import close_ticket

logger = Logger()
app = make_resolver()


@app.post("/tickets/<ticket_id>/close", responses=doc(200, R.CloseResult, 403, 404))
def close(ticket_id: str):
    from hourbank.visits.hooks import VISIT_WORK  # light; the visit's own code loads when a visit's ticket closes

    return views.close_result(close_ticket(current_actor(app), ticket_id, prepaid=VISIT_WORK))  # SPEC V1


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
