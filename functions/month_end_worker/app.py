"""Month end, step 2 (SPEC M1, M2): close the month for each account of a page from the queue.

Each message is one page of account ids; a page whose account fails is reported (``ReportBatchItemFailures``)
and comes back after the queue's visibility timeout - its accounts already closed are skipped by their
checkpoint, so the retry finishes the page without duplicating anything. After ``maxReceiveCount`` the
page goes to the dead-letter queue. The use case: ``hourbank.monthend.month_close.close_page``.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.monthend import month_close

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle(record: SQSRecord) -> None:
    page = json.loads(record.body)
    if page.get("plan"):  # SPEC W4: billing's rerun - page the accounts here, as the planner does
        logger.info("month end planned", extra=month_close.plan_again(str(page["month"])))
        return
    month, account_ids = str(page["month"]), list(page["account_ids"])
    outcomes = month_close.close_page(month, account_ids)
    logger.info("month end page", extra={"month": month, "accounts": len(account_ids), **outcomes})


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
