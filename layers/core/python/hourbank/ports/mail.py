"""The notifications port (SPEC O5): e-mail to customers.

``SesMailer`` sends through Amazon SES (v2 API; the template grants ``ses:SendEmail`` for the sender
identity). Another adapter installed for the ``mailer`` port (``hourbank.ports.adapters``) replaces it: the
local stack installs one that keeps every message as a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hourbank.kernel.addresses import check_address, one_line
from hourbank.ports import adapters
from hourbank.ports.settings import Settings

if TYPE_CHECKING:
    from email.message import EmailMessage


@dataclass(frozen=True)
class Message:
    message_id: str  # deterministic: the same notice is the same message
    to: str
    subject: str
    text: str
    # SPEC N1: replies come back to the support address (E1), its display name carrying the ticket's reference;
    # ``html`` is the same text escaped (hourbank.notifications.texts), never markup from data.
    reply_to: str = ""
    reply_name: str = ""
    html: str = ""


def mime(message: Message, sender: str) -> EmailMessage:
    """The message as RFC 5322 mail, every header built by the ``email`` package from checked values (issue 23):
    the recipient is an address mail can reach (``hourbank.kernel.addresses``), the subject one line (a ticket's title
    may hold a line break). ``ValueError`` for a recipient that is not one: the caller's notice fails, alone."""
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = check_address(message.to.strip())
    mail["Subject"] = one_line(message.subject)
    local = "".join(c if c.isalnum() or c in "-_." else "." for c in message.message_id)
    mail["Message-ID"] = f"<{local}@{sender.rpartition('@')[2] or 'hourbank'}>"
    if message.reply_to:
        from email.headerregistry import Address

        # Our own configured address (SupportEmail), not a customer's: the email package checks its form.
        mail["Reply-To"] = Address(one_line(message.reply_name), addr_spec=message.reply_to.strip())
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class Mailer(Protocol):
    def send(self, message: Message) -> None: ...


class SesMailer:
    def __init__(self, sender: str, client: Any = None, configuration_set: str = "") -> None:
        if not sender:
            raise RuntimeError("SENDER_EMAIL is not set: the template's SenderEmail parameter names it")
        self.sender = sender
        self._client = client
        self.configuration_set = configuration_set  # SPEC N1: bounces and complaints reported through it

    def send(self, message: Message) -> None:
        from email.policy import SMTP

        if self._client is None:
            import boto3  # lazily: only a function that sends mail pays for the client

            self._client = boto3.client("sesv2")
        mail = mime(message, self.sender)
        extra = {"ConfigurationSetName": self.configuration_set} if self.configuration_set else {}
        self._client.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [str(mail["To"])]},
            Content={"Raw": {"Data": mail.as_bytes(policy=SMTP)}},  # CRLF line ends, as RFC 5322 has them
            EmailTags=[{"Name": "notice", "Value": _tag(message.message_id)}],
            **extra,
        )


def _tag(message_id: str) -> str:
    """SES tag values take only ASCII letters, digits, ``_``, ``-``, ``.`` and ``@`` (up to 256)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-.@") else "-" for c in message_id)[:256]


def mailer(settings: Settings) -> Mailer:
    installed = adapters.installed("mailer")
    if installed is not None:
        return installed(settings)  # type: ignore[no-any-return]
    return SesMailer(settings.sender_email, configuration_set=getattr(settings, "mail_configuration_set", ""))
