"""The balance watch (SPEC O4, O5): Accounts stream → one auto top-up invoice and one low-balance e-mail
per crossing of the threshold.

FilterCriteria in the template deliver only MODIFY records of accounts with auto top-up or the e-mail on;
``hourbank.topups.balance_watch.on_change`` decides from the old and new images. Each record is processed alone
(Powertools batch processing, ``ReportBatchItemFailures``): a record of an unexpected shape, or an e-mail
SES refuses, fails only itself; the stream retries it and, after ``MaximumRetryAttempts``, sends it to
the on-failure queue. Everything written is keyed by the crossing, so a retried batch writes nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.ports.mail import Mailer, Message, mailer
from hourbank.ports.settings import get_settings
from hourbank.topups import balance_watch

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
        raise balance_watch.BadImage("a stream record without its change")
    balance_watch.on_change(change.old_image, change.new_image, _changed_at(record), _send, _note)


def _send(message: Message) -> None:
    _mailer().send(message)  # the mailer is made on the first e-mail only


def _note(what: str, facts: dict) -> None:
    logger.info(what, extra=facts)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
