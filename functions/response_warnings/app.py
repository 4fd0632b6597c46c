"""SPEC S1: warn technicians before an unanswered ticket falls due.

EventBridge Scheduler runs this every 5 minutes (``SLA_SWEEP_MINUTES``). The clock is the event's
scheduled ``time``, so a run fired by hand as if at a moment (``scripts/local.py run-schedule
ResponseWarnings --at ...``) behaves as at that moment. It reads one range of the ``by_queue`` index: open
tickets due in (now, now + lead + sweep]; each unanswered, unwarned one gets one e-mail through the
notifications port (SES in AWS, the outbox locally), guarded by a conditional marker on the ticket so
overlapping or retried runs send it once. The use case: ``hourbank.tickets.service_levels.warn_scheduled``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.ports.mail import Mailer, mailer
from hourbank.ports.settings import get_settings
from hourbank.tickets.service_levels import warn_scheduled

logger = Logger()


@cache
def _mailer() -> Mailer:
    return mailer(get_settings())


def _now(event: dict) -> datetime:
    text = (event or {}).get("time")
    if not text:
        return datetime.now(UTC)
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    result = warn_scheduled(_now(event), _mailer().send)
    logger.info("response warnings", extra=result)
    return result
