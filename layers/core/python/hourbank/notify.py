"""The notifications port (SPEC O5): e-mail to customers.

``SesMailer`` sends through Amazon SES (v2 API; the template grants ``ses:SendEmail`` for the sender
identity). ``OutboxMailer`` is the local stand-in: every message is a readable file in a directory
(``.local/outbox`` on the local stack), one ``.eml`` per message plus an ``outbox.jsonl`` index that tests
and people can read. Which one is used follows the settings: ``OUTBOX_DIR`` set → the outbox.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from hourbank.settings import Settings


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


class OutboxMailer:
    """Messages as files: ``<dir>/<message id>.eml`` and one JSON line per message in ``outbox.jsonl``."""

    _lock = threading.Lock()

    def __init__(self, directory: str | Path, sender: str = "support@hourbank.local") -> None:
        self.directory = Path(directory)
        self.sender = sender

    def send(self, message: Message) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = self.sender, message.to, message.subject
        email["Message-ID"] = f"<{message.message_id.replace('#', '.')}@hourbank.local>"
        email.set_content(message.text)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in message.message_id)
        (self.directory / f"{safe}.eml").write_text(email.as_string(), encoding="utf-8")
        line = {
            "message_id": message.message_id,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self._lock, open(self.directory / "outbox.jsonl", "a", encoding="utf-8") as index:
            index.write(json.dumps(line) + "\n")


def read_outbox(directory: str | Path) -> list[dict]:
    path = Path(directory) / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mailer(settings: Settings) -> Mailer:
    if settings.outbox_dir:
        return OutboxMailer(settings.outbox_dir)
    return SesMailer(settings.sender_email)
