"""Hourly: unpaid visits whose payment window has passed are removed, leaving nothing behind (SPEC V1).

Event: the Scheduler's default event (its ``time`` is the moment swept up to), or ``{"at": "<ISO>"}`` by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.visits.expiry import expire_due

logger = Logger()


def _at(event: dict) -> datetime:
    text = event.get("at") or event.get("time")
    if not text:
        return datetime.now(UTC)
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    at = _at(event or {})
    done = expire_due(at)
    logger.info("visit expiry swept", extra={"at": at.isoformat(), **done})
    return {"at": at.isoformat(), **done}
