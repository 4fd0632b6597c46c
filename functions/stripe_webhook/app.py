"""POST /webhooks/stripe (API.md; SPEC O1-O3, C3): Stripe's payment events, credited exactly once.

The flow - signature first, the event id deduplicated, the event applied, the answer - is
``hourbank.payments.webhook_endpoint.StripeWebhook``; ``hourbank.orders.payment_matching.apply_event`` applies an event.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.payments.webhook_endpoint import OPENAPI_PATHS, StripeWebhook

__all__ = ["OPENAPI_PATHS", "lambda_handler"]  # scripts/openapi.py reads this function's description here

logger = Logger()
webhook = StripeWebhook(logger)  # one per execution environment, like everything it builds on its first request


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return webhook.handle(event, context)
