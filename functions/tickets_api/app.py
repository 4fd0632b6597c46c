"""Tickets API: open and read tickets, emergency upgrade/downgrade (SPEC T3), credit-back (SPEC C6), the
queue and service levels (SPEC S1), disputes, received mail (SPEC E1). The routes live in
``hourbank.api.routes.tickets`` and ``hourbank.api.routes.inbox``."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.api.resolver import make_resolver
from hourbank.api.routes import inbox, tickets

logger = Logger()
app = make_resolver()
app.include_router(tickets.router)
app.include_router(inbox.router)  # SPEC E1: received mail, for staff


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
