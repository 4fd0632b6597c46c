"""Top-up orders from the web form (API.md ``POST /orders``; SPEC O1, O6, P1), quotes and the price table.

Public routes (``Auth: NONE``): the routes live in ``hourbank.api.routes.orders``; this function is their
resolver (``public=True``: the routes check an optional bearer token themselves) and its handler.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.api.resolver import make_resolver
from hourbank.api.routes import orders

logger = Logger()
app = make_resolver(public=True)
app.include_router(orders.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
