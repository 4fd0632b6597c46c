"""Invoice generation (issue 5): Invoices stream → a payable invoice at Stripe (or the installed stand-in).

FilterCriteria deliver only new invoice records. Each is issued alone (``ReportBatchItemFailures``):
Stripe's rate limits and 5xx are retried by the client with backoff under idempotency keys derived from
the invoice id; what still fails is retried by the stream and then dead-lettered with its reason.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.invoicing.invoice_issuing import InvoicingPort, issue_new
from hourbank.payments.secrets import stripe_api_key
from hourbank.payments.stripe_invoicing import select_invoicing
from hourbank.ports.settings import get_settings

logger = Logger()
# A batch whose every record failed is reported item by item too, not raised: the same retries either way.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@cache
def _port() -> InvoicingPort:
    return select_invoicing(stripe_api_key(get_settings().payments))


def handle(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb else None
    logger.info("invoice", extra=issue_new(image, _port))  # a failure is noted on the invoice, then raised


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
