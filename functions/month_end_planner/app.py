"""Month end, step 1 (SPEC M1): on the 1st after midnight (company timezone; the schedule in the template),
page through every account by plan and send the pages to the worker queue. The planner reads keys only
(the Accounts ``by_plan`` index) and writes nothing but messages, so rerunning it is harmless: the
workers skip accounts already closed (M2). The use case: ``hourbank.monthend`` (``month_to_close``,
``plan_month``).

Event: the schedule's ``{"job": "month-end"}`` (the month is the one before the event's ``time``), or
``{"month": "2026-11"}`` to run a given month by hand.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.monthend import month_close
from hourbank.ports import queue
from hourbank.ports.settings import get_settings

logger = Logger()


def _month(event: dict) -> str:
    month, at = event.get("month"), event.get("time")
    return month_close.month_to_close(str(month) if month else None, str(at) if at else None)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    month = _month(event or {})
    url = get_settings().month_end_queue_url
    planned = month_close.plan_month(month, lambda bodies: queue.send(url, bodies))
    logger.info("month end planned", extra=planned)
    return planned
