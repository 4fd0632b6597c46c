"""The notifications port (SPEC O5): e-mail to customers.

``SesMailer`` sends through Amazon SES (v2 API; the template grants ``ses:SendEmail`` for the sender
identity). Another adapter installed for the ``mailer`` port (``hourbank.ports.adapters``) replaces it: the
local stack installs one that keeps every message as a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from hourbank.ports import adapters
from hourbank.ports.settings import Settings


@dataclass(frozen=True)
class Message:
    message_id: str  # deterministic: the same notice is the same message
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


class SesMailer:
    def __init__(self, sender: str, client: Any = None) -> None:
        if not sender:
            raise RuntimeError("SENDER_EMAIL is not set: the template's SenderEmail parameter names it")
        self.sender = sender
        self._client = client

    def send(self, message: Message) -> None:
        if self._client is None:
            import boto3  # lazily: only a function that sends mail pays for the client

            self._client = boto3.client("sesv2")
        self._client.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [message.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                }
            },
            EmailTags=[{"Name": "notice", "Value": message.message_id.replace("#", "-")[:256]}],
        )


def mailer(settings: Settings) -> Mailer:
    installed = adapters.installed("mailer")
    if installed is not None:
        return installed(settings)  # type: ignore[no-any-return]
    return SesMailer(settings.sender_email)
