"""Accounts API: create and read accounts, their ledger, and billing adjustments (API.md).

The routes live in the core layer (``hourbank.api.routes.accounts``, ``hourbank.api.routes.reviews``); this
function is their resolver and its handler.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.api.resolver import make_resolver
from hourbank.api.routes import accounts, contacts, reviews

logger = Logger()
app = make_resolver()
app.include_router(accounts.router)
app.include_router(reviews.router)
app.include_router(contacts.router)  # SPEC W1: an account's contacts


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
