"""SPEC N1: the Tickets, Orders and Reviews streams → the e-mails each change means, each sent once.

FilterCriteria in the template deliver only records that can be events (a ticket opened, closed or awaiting
credit; a response; a dispute; an order's link or payment; a review); ``hourbank.notifications`` decides from the
old and new images. Each record is processed alone (Powertools batch processing, ``ReportBatchItemFailures``):
an SES fault or a record of an unexpected shape fails only itself; the stream retries it and, after
``MaximumRetryAttempts`` (with bisection), parks it in NotificationFailures. Every mail is claimed by its
deterministic id first, so a retried or redelivered batch sends nothing twice.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.notifications import events, pipeline
from hourbank.ports.mail import Mailer, Message, mailer
from hourbank.ports.settings import get_settings

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@cache
def _mailer() -> Mailer:
    return mailer(get_settings())


def _send(message: Message) -> None:
    _mailer().send(message)  # the mailer is made on the first e-mail only


def handle(record: DynamoDBRecord) -> None:
    if record.dynamodb is None or record.event_name is None:
        raise events.BadRecord("a stream record without its change")
    source = pipeline.source_of(record.event_source_arn or "")
    change = record.dynamodb
    done = pipeline.notify(source, record.event_name.name, change.old_image, change.new_image, _send)
    if done.sent or done.skipped:
        logger.info("notifications", extra={"sent": done.sent, "already_sent": done.skipped})


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
