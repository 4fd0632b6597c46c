"""Month end, step 2 (SPEC M1, M2): close the month for each account of a page from the queue.

Each message is one page of account ids; a page whose account fails is reported (``ReportBatchItemFailures``)
and comes back after the queue's visibility timeout - its accounts already closed are skipped by their
checkpoint, so the retry finishes the page without duplicating anything. After ``maxReceiveCount`` the
page goes to the dead-letter queue.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank import metrics, monthend
from hourbank.settings import get_settings
from hourbank.store import ensure_bound

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle(record: SQSRecord) -> None:
    page = json.loads(record.body)
    month, account_ids = str(page["month"]), list(page["account_ids"])
    tz = get_settings().calendar().tz
    outcomes: dict[str, int] = {}
    for account_id in account_ids:
        closed = monthend.close_month(account_id, month, tz, now=monthend.SYSTEM_CLOCK.now())
        outcomes[closed.outcome] = outcomes.get(closed.outcome, 0) + 1
    logger.info("month end page", extra={"month": month, "accounts": len(account_ids), **outcomes})
    metrics.emit({metrics.MONTH_END_ACCOUNTS_SETTLED: len(account_ids)})  # closed, already closed or gone


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    ensure_bound()
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
