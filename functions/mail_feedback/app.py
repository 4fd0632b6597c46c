"""SPEC N1: SES bounces and complaints (configuration set → SNS topic → here) mark the address on its account.

SNS invokes asynchronously, one notice per record; a notice that cannot be read fails the invocation, which
Lambda retries twice and then parks in MailFeedbackFailures (EventInvokeConfig): never retried forever.
Locally: ``scripts/invoke MailFeedbackFunction events/mail_feedback-bounce.json`` against a running stack.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SNSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from hourbank.notifications import feedback

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    marked = []
    for record in SNSEvent(event).records:
        for problem, account_id in feedback.on_notice(record.sns.message):
            logger.info("mail problem", extra={"kind": problem.kind, "account_id": account_id, "at": problem.at})
            marked.append({"kind": problem.kind, "account_id": account_id})
    return {"marked": marked}
