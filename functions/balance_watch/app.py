"""The balance watch (SPEC O4, O5): Accounts stream → one auto top-up invoice and one low-balance e-mail
per crossing of the threshold.

FilterCriteria in the template deliver only MODIFY records of accounts with auto top-up or the e-mail on;
this function decides from the old and new images (``hourbank.topups``). Each record is processed alone
(Powertools batch processing, ``ReportBatchItemFailures``): a record of an unexpected shape, or an e-mail
SES refuses, fails only itself; the stream retries it and, after ``MaximumRetryAttempts``, sends it to
the on-failure queue. Everything written is keyed by the crossing, so a retried batch writes nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank import topups
from hourbank.notify import Mailer, Message, mailer
from hourbank.settings import get_settings
from hourbank.store import ensure_bound

logger = Logger()
# A batch whose every record failed is reported item by item too, not raised: the same retries either way.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@cache
def _mailer() -> Mailer:
    return mailer(get_settings())


def _changed_at(record: DynamoDBRecord) -> datetime:
    stamp = record.dynamodb.approximate_creation_date_time if record.dynamodb else None
    return stamp.astimezone(UTC) if isinstance(stamp, datetime) else datetime.now(UTC)


def handle(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None:
        raise topups.BadImage("a stream record without its change")
    crossing = topups.crossing_of(change.old_image, change.new_image)
    if crossing is None:
        return
    at = _changed_at(record)
    facts = topups.describe(crossing)
    if crossing.top_up:
        outcome = topups.create_top_up(crossing, at)
        logger.info("auto top-up", extra={**facts, "outcome": outcome, "invoice_id": crossing.invoice_id})
    if crossing.notify and crossing.email and topups.claim_notice(crossing, at):
        subject, text = topups.low_balance_message(crossing, get_settings().payments.website_url or "our website")
        try:
            _mailer().send(Message(crossing.notice_id, crossing.email, subject, text))
        except Exception:
            topups.release_notice(crossing)  # the retry of this record sends it
            raise
        logger.info("low-balance e-mail sent", extra=facts)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    ensure_bound()
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
