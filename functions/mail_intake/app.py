"""E-mail intake (SPEC E1): SES stores each mail to the support address in the mail bucket (receipt rule, S3
action); S3 invokes this function with the object's event; ``hourbank.mail_intake.receiving.receive`` turns
the mail into a ticket, a message on one, or an inbox item for staff, and answers the sender once.

S3 invokes asynchronously: a failure is retried by Lambda (``EventInvokeConfig``), then parked with its event in
``MailIntakeFailures`` (docs/RUNBOOK.md). A retry is safe: the mail's inbox item is claimed with "does not
exist", so a mail delivered twice has one effect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.mail_intake.receiving import Context, Stored, receive
from hourbank.ports.mail import Mailer, Message, mailer
from hourbank.ports.objects import objects
from hourbank.ports.settings import get_settings
from hourbank.store.transactions import ensure_bound

logger = Logger()
metrics = Metrics()
SES_SETUP_OBJECT = "AMAZON_SES_SETUP_NOTIFICATION"  # SES writes it once when the rule is made: not a mail


@cache
def _mailer() -> Mailer:
    return mailer(get_settings())


def _send(message: Message) -> None:
    _mailer().send(message)  # the mailer is made on the first reply only


def _received_at(text: str | None) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return datetime.now(UTC)


@metrics.log_metrics
@logger.inject_lambda_context
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict:
    ensure_bound()
    ctx = Context(objects=objects(), send=_send, website_url=get_settings().website_url)
    done = []
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)  # S3 events carry keys URL-encoded ("+" for a space)
        if key.rpartition("/")[2] == SES_SETUP_OBJECT:
            continue
        stored = Stored(record.s3.bucket.name, key, _received_at(record.event_time))
        item = receive(stored, ctx)
        metrics.add_metric(name=f"MailReceived_{item.status}", unit=MetricUnit.Count, value=1)
        logger.info("mail received", extra={"mail_id": item.mail_id, "status": item.status, "key": key})
        done.append({"mail_id": item.mail_id, "status": item.status})
    return {"received": done}
