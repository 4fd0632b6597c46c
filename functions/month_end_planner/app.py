"""Month end, step 1 (SPEC M1): on the 1st after midnight (company timezone; the schedule in the template),
page through every account by plan and send the pages to the worker queue. The planner reads keys only
(the Accounts ``by_plan`` index) and writes nothing but messages, so rerunning it is harmless: the
workers skip accounts already closed (M2).

Event: the schedule's ``{"job": "month-end"}`` (the month is the one before the event's ``time``), or
``{"month": "2026-11"}`` to run a given month by hand.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank import metrics, monthend, queue, statements
from hourbank.settings import get_settings
from hourbank.store import ensure_bound

logger = Logger()


def _month(event: dict) -> str:
    tz = get_settings().calendar().tz
    if event.get("month"):
        month = str(event["month"])
        statements.parse_month(month)
        statements.require_ended(month, monthend.SYSTEM_CLOCK.now(), tz)  # SPEC M1
        return month
    now = monthend.SYSTEM_CLOCK.now()
    at = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")) if event.get("time") else now
    month = statements.previous_month(at, tz)
    statements.require_ended(month, now, tz)  # SPEC M1: an event dated ahead plans nothing
    return month


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    ensure_bound()
    month = _month(event or {})
    pages = accounts = 0
    url = get_settings().month_end_queue_url
    batch: list[dict] = []
    for page in monthend.plan_pages():
        batch.append({"month": month, "account_ids": page})
        pages, accounts = pages + 1, accounts + len(page)
        if len(batch) == queue.SQS_BATCH:
            queue.send(url, batch)
            batch = []
    if batch:
        queue.send(url, batch)
    logger.info("month end planned", extra={"month": month, "pages": pages, "accounts": accounts})
    metrics.emit({metrics.MONTH_END_ACCOUNTS_PLANNED: accounts})
    return {"month": month, "pages": pages, "accounts": accounts}
