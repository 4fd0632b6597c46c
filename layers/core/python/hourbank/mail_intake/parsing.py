"""Received mail, parsed within bounds (SPEC E1): the ``email`` package with ``policy.default``.

Everything a mail can make the parser do is bounded before or while it is done:

* size: a mail over ``MAX_MAIL_BYTES`` is not parsed at all (only its first ``HEAD_BYTES``, for the sender
  to be told); every decoded part is at most its encoded size (base64 and quoted-printable only shrink), so
  no part decodes to more than the mail's size, and nothing is ever decompressed (a zip stays a zip: an
  attachment kept as it came);
* headers: the top-level header block at most ``MAX_HEADER_BYTES`` and ``MAX_HEADERS`` fields, each part at
  most ``MAX_PART_HEADERS``;
* structure: at most ``MAX_STRUCTURE`` multipart boundaries and embedded messages (counted in the raw bytes
  before parsing: nesting can never be deeper than that), at most ``MAX_PARTS`` parts and ``MAX_DEPTH``
  levels (walked without recursion);
* text: the body kept is at most ``MAX_TEXT`` characters (a ticket's description, API.md ``POST /tickets``);
  HTML-only mail becomes text through ``html_text`` (a parser, never patterns) and is never kept as HTML.

``parse`` returns a ``ParsedMail`` or raises ``Unreadable`` with the reason staff see and what could be read
of the sender (to tell them it was received).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from hourbank.kernel.addresses import is_address, one_line
from hourbank.mail_intake.html_text import html_to_text

MAX_MAIL_BYTES = 10 * 1024 * 1024  # SES receives up to 40 MB; the intake parses up to 10 MB
HEAD_BYTES = 64 * 1024  # of a mail too large to parse: enough for its headers, to tell the sender
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 300  # fields of the top-level header block (a real mail has 20-80, Received lines included)
MAX_PART_HEADERS = 50
MAX_STRUCTURE = 64  # boundaries and embedded messages declared in the raw mail
MAX_PARTS = 100
MAX_DEPTH = 8
MAX_TEXT = 20_000  # characters: a ticket's description (API.md POST /tickets)
MAX_SUBJECT = 200  # characters: a ticket's title
NO_SUBJECT = "(no subject)"

_STRUCTURE = re.compile(rb"boundary\s*=|message/(?:rfc822|global)", re.IGNORECASE)
_FIELD = re.compile(rb"^[!-9;-~]+[ \t]*:")  # a header field's name (printable, no colon) then its colon


class Unreadable(Exception):
    """A mail that cannot be taken as a ticket's text: ``reason`` for staff, ``sender`` if one could be read."""

    def __init__(self, reason: str, sender: str | None = None, subject: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.sender, self.subject = reason, sender, subject


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None  # the Message-ID header, None when the mail has none
    sender: str  # the From address, lower-cased, checked as an address
    sender_name: str
    subject: str  # one line, RFC 2047 words decoded, at most MAX_SUBJECT
    text: str  # the body as text (HTML reduced to text), at most MAX_TEXT
    from_html: bool  # the text came from an HTML-only body
    attachments: tuple[Attachment, ...] = ()
    automatic: bool = False  # Auto-Submitted, a bulk/list Precedence, or a bounce: never answered (no loops)
    flagged: str | None = None  # SES's spam or virus verdict when it failed

    @property
    def truncated(self) -> bool:
        return len(self.text) >= MAX_TEXT


@dataclass
class _Walk:
    parts: list[tuple[Message, int]] = field(default_factory=list)


def parse(raw: bytes) -> ParsedMail:
    """The mail in ``raw`` (RFC 5322 bytes, as SES stores it), or ``Unreadable``."""
    if len(raw) > MAX_MAIL_BYTES:
        sender, subject = peek(raw[:HEAD_BYTES])
        size = f"{len(raw) / 1024 / 1024:.1f} MB"
        raise Unreadable(f"the mail is {size}, over the {MAX_MAIL_BYTES // 1024 // 1024} MB we accept", sender, subject)
    _check_head(raw)
    if len(_STRUCTURE.findall(raw)) > MAX_STRUCTURE:
        raise Unreadable("the mail nests too many parts to read", *peek(raw[:HEAD_BYTES]))
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
    except (RecursionError, MemoryError, ValueError, LookupError):
        raise Unreadable("the mail could not be read as MIME", *peek(raw[:HEAD_BYTES])) from None
    assert isinstance(mail, EmailMessage)
    try:
        return _read(mail)
    except Unreadable:
        raise
    except Exception:
        raise Unreadable("the mail could not be read as MIME", *peek(raw[:HEAD_BYTES])) from None


def _read(mail: EmailMessage) -> ParsedMail:
    sender, name = _sender(mail)
    subject = _subject(mail)
    if not sender:
        raise Unreadable("the mail has no sender address we can answer", None, subject)
    parts = _walk(mail, sender, subject)
    text, from_html, body = _body(parts)
    return ParsedMail(
        message_id=_message_id(mail),
        sender=sender,
        sender_name=name,
        subject=subject,
        text=text,
        from_html=from_html,
        attachments=tuple(_attachments(parts, body)),
        automatic=_automatic(mail, sender),
        flagged=_verdict(mail),
    )


def peek(head: bytes) -> tuple[str | None, str | None]:
    """The sender and subject of a mail from its first bytes only (a mail too large or too odd to parse)."""
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:MAX_HEADER_BYTES]
    try:
        mail = BytesParser(policy=policy.default).parsebytes(block, headersonly=True)
        return _sender(mail)[0] or None, _subject(mail)  # type: ignore[arg-type]
    except Exception:
        return None, None


def _check_head(raw: bytes) -> None:
    """The top-level header block: its size and number of fields, counted before anything parses it."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    block = raw if end < 0 else raw[:end]
    if len(block) > MAX_HEADER_BYTES:
        raise Unreadable("the mail's headers are too long to read", *peek(raw[:HEAD_BYTES]))
    fields = sum(1 for line in block.splitlines() if _FIELD.match(line))
    if fields > MAX_HEADERS:
        raise Unreadable(f"the mail has {fields} header fields, more than the {MAX_HEADERS} we read")
    if end < 0 and not fields:
        raise Unreadable("the mail has no headers")


def _sender(mail: Message) -> tuple[str, str]:
    try:
        value = str(mail.get("from") or "")
    except (ValueError, IndexError, TypeError):
        return "", ""
    pairs = getaddresses([value]) if value else []
    name, address = pairs[0] if pairs else parseaddr(value)
    address = address.strip().lower()
    if not address or not is_address(address):
        return "", ""
    return address, one_line(name)[:200]


def _subject(mail: Message) -> str:
    try:
        subject = one_line(str(mail.get("subject") or ""))
    except (ValueError, IndexError, TypeError, LookupError):
        subject = ""
    return subject[:MAX_SUBJECT] or NO_SUBJECT


def _message_id(mail: Message) -> str | None:
    try:
        value = one_line(str(mail.get("message-id") or ""))
    except (ValueError, IndexError, TypeError):
        return None
    return value[:998] or None


def _walk(mail: Message, sender: str, subject: str) -> list[tuple[Message, int]]:
    """Every leaf part with its depth, breadth first, without recursion; ``Unreadable`` past the bounds."""
    queue: list[tuple[Message, int]] = [(mail, 0)]
    leaves: list[tuple[Message, int]] = []
    seen = 0
    while queue:
        part, depth = queue.pop(0)
        seen += 1
        if seen > MAX_PARTS:
            raise Unreadable(f"the mail has more than {MAX_PARTS} parts", sender, subject)
        if depth > MAX_DEPTH:
            raise Unreadable(f"the mail's parts are nested more than {MAX_DEPTH} deep", sender, subject)
        if depth and len(part.keys()) > MAX_PART_HEADERS:
            raise Unreadable("a part of the mail has too many header fields", sender, subject)
        if part.is_multipart():
            payload = part.get_payload()
            queue.extend((child, depth + 1) for child in payload if isinstance(child, Message))
        else:
            leaves.append((part, depth))
    return leaves


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except (ValueError, IndexError, TypeError):
        return "application/octet-stream"


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename()
    except (ValueError, IndexError, TypeError, LookupError):
        return True
    return disposition == "attachment" or bool(filename) or not _content_type(part).startswith("text/")


def _decoded_text(part: Message) -> str:
    """A text part as str: its charset when Python knows it, else UTF-8 with replacement characters."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = "utf-8"
    try:
        charset = part.get_content_charset() or "utf-8"
        return data.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace")


def _body(parts: list[tuple[Message, int]]) -> tuple[str, bool, Message | None]:
    """The text of the first text/plain part that is not an attachment, else the first HTML part's words."""
    texts = [p for p, _ in parts if not _is_attachment(p)]
    for part in texts:
        if _content_type(part) == "text/plain":
            return _clean(_decoded_text(part)), False, part
    for part in texts:
        if _content_type(part) == "text/html":
            return html_to_text(_decoded_text(part), MAX_TEXT), True, part
    return "", False, None


def _clean(text: str) -> str:
    """Line ends made ``\\n``, control characters other than tab and newline dropped, at most MAX_TEXT."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in text[: MAX_TEXT * 2] if c in "\n\t" or c.isprintable())
    return kept.strip()[:MAX_TEXT]


def _attachments(parts: list[tuple[Message, int]], body: Message | None) -> list[Attachment]:
    out: list[Attachment] = []
    for part, _ in parts:
        if part is body or not _is_attachment(part):
            continue
        data = part.get_payload(decode=True)
        try:
            name = one_line(part.get_filename() or "")
        except (ValueError, IndexError, TypeError, LookupError):
            name = ""
        out.append(
            Attachment(
                name=name[:200] or f"attachment-{len(out) + 1}",
                content_type=_content_type(part),
                data=data if isinstance(data, bytes) else b"",
            )
        )
    return out


_AUTOMATIC_SENDERS = ("mailer-daemon@", "postmaster@", "no-reply@", "noreply@", "do-not-reply@")


def _automatic(mail: Message, sender: str) -> bool:
    """RFC 3834: never answer an automatic mail (a bounce, an auto-reply, a list): no mail loops."""
    auto = str(mail.get("auto-submitted") or "no").strip().lower()
    precedence = str(mail.get("precedence") or "").strip().lower()
    return (
        auto != "no"
        or precedence in ("bulk", "list", "junk", "auto_reply")
        or bool(mail.get("list-id"))
        or sender.startswith(_AUTOMATIC_SENDERS)
    )


def _verdict(mail: Message) -> str | None:
    """SES's scan (the receipt rule's ScanEnabled) writes these first, above anything the sender wrote."""
    if str(mail.get("x-ses-virus-verdict") or "").strip().upper() == "FAIL":
        return "SES found a virus in the mail"
    if str(mail.get("x-ses-spam-verdict") or "").strip().upper() == "FAIL":
        return "SES marked the mail as spam"
    return None
