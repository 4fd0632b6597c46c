"""Onsite visits (API.md ``/visits``; SPEC V1): book, read, extend, cancel.

Its own function: booking and extending create Stripe Checkout Sessions and cancelling refunds, so it
carries the PaymentsLayer and the Stripe key, which the tickets function (and its cold start) need not.
The routes live in ``hourbank.api.routes.visits``.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.api.resolver import make_resolver
from hourbank.api.routes import agreements, visits

logger = Logger()
app = make_resolver()
app.include_router(visits.router)
app.include_router(agreements.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
