"""E-mail intake (SPEC E1): SES stores each mail to the support address in the mail bucket (receipt rule, S3
action); S3 invokes this function with the object's event; ``hourbank.mail_intake.receiving`` turns each mail
into a ticket, a message on one, or an inbox item for staff, and answers the sender once.

S3 invokes asynchronously: a failure is retried by Lambda (``EventInvokeConfig``), then parked with its event in
``MailIntakeFailures`` (docs/RUNBOOK.md). A retry is safe: the mail's inbox item is claimed with "does not
exist", so a mail delivered twice has one effect.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.mail_intake.receiving import Context, receive, stored_mails
from hourbank.ports.mail import Mailer, Message, mailer
from hourbank.ports.objects import objects
from hourbank.ports.settings import get_settings

logger = Logger()


@cache
def _mailer() -> Mailer:
    return mailer(get_settings())


def _send(message: Message) -> None:
    _mailer().send(message)  # the mailer is made on the first reply only


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    ctx = Context(objects=objects(), send=_send, website_url=get_settings().website_url)
    done = []
    for stored in stored_mails(event):
        item = receive(stored, ctx)
        logger.info("mail received", extra={"mail_id": item.mail_id, "status": item.status, "key": stored.key})
        done.append({"mail_id": item.mail_id, "status": item.status})
    return {"received": done}
