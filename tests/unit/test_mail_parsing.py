"""SPEC E1: received mail parsed within bounds, on real-shaped mail (tests/fixtures/mail/ and mail built with the
``email`` package): multipart/alternative, HTML-only, attachments, RFC 2047 subjects, 8-bit and quoted-printable
bodies, a 25 MB mail, malformed mail, too many headers, deep nesting."""

from __future__ import annotations

from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from hourbank.mail_intake import parsing
from hourbank.mail_intake.html_text import html_to_text
from hourbank.mail_intake.parsing import Unreadable, parse, peek
from hourbank.mail_intake.replies import references, tagged

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def mail(subject: str = "Printer offline", sender: str = "Ann Example <ann@example.test>") -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "support@hourbank.local"
    m["Subject"] = subject
    m["Message-ID"] = "<m-1@example.test>"
    return m


def test_multipart_alternative_keeps_the_plain_text_never_the_html():
    m = mail()
    m.set_content("The printer on floor 2 is offline.\n")
    m.add_alternative("<p>The printer <b>on floor 2</b> is offline.</p><script>alert(1)</script>", subtype="html")
    parsed = parse(m.as_bytes())
    assert parsed.text == "The printer on floor 2 is offline."
    assert not parsed.from_html and parsed.attachments == ()
    assert (parsed.sender, parsed.sender_name, parsed.message_id) == (
        "ann@example.test",
        "Ann Example",
        "<m-1@example.test>",
    )


def test_html_only_mail_is_reduced_to_text_by_a_parser():
    parsed = parse((FIXTURES / "html-only.eml").read_bytes())
    assert parsed.from_html
    assert parsed.text == "Hello team,\n\nThe VPN drops."
    for markup in ("<", "alert", "color:red", "onerror"):
        assert markup not in parsed.text


def test_html_to_text_drops_scripts_styles_and_keeps_entities_as_characters():
    text = html_to_text("<div>a &lt;b&gt; &amp; c</div><style>x{}</style><script>if (a < b) x()</script><p>d</p>")
    assert text == "a <b> & c\n\nd"  # an entity is text, shown as text (never inserted as HTML: STYLE 17)


def test_attachments_are_listed_with_their_names_and_bytes():
    m = mail()
    m.set_content("Logs attached.")
    m.add_attachment(b"PK\x03\x04 zipped", maintype="application", subtype="zip", filename="logs.zip")
    m.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="=?utf-8?q?=C3=A9cran.png?=")
    parsed = parse(m.as_bytes())
    assert [(a.name, a.content_type, a.data) for a in parsed.attachments] == [
        ("logs.zip", "application/zip", b"PK\x03\x04 zipped"),  # kept as it came: never decompressed
        ("écran.png", "image/png", b"\x89PNG..."),
    ]


@pytest.mark.parametrize(
    ("header", "subject"),
    [
        ("=?utf-8?q?Imprimante_hors_ligne_=E2=80=94_caf=C3=A9?=", "Imprimante hors ligne — café"),
        ("=?UTF-8?B?0J/RgNC40L3RgtC10YAg0L3QtSDRgNCw0LHQvtGC0LDQtdGC?=", "Принтер не работает"),
        ("Re: =?iso-8859-1?q?Caf=E9?= [#ABC234]", "Re: Café [#ABC234]"),
        ("line\r\n break", "line break"),
    ],
)
def test_rfc2047_encoded_words_in_subjects_are_decoded_to_one_line(header, subject):
    raw = f"From: a@example.test\r\nSubject: {header}\r\n\r\nbody\r\n".encode()
    assert parse(raw).subject == subject


def test_an_8bit_latin1_body_is_decoded_by_its_charset():
    parsed = parse((FIXTURES / "latin1-8bit.eml").read_bytes())
    assert parsed.text == "Lé imprimante du café ne répond plus."
    assert (parsed.subject, parsed.sender_name) == ("Imprimante en panne", "Renée Dupont")


def test_a_quoted_printable_body_is_decoded_soft_breaks_joined():
    parsed = parse((FIXTURES / "quoted-printable.eml").read_bytes())
    assert parsed.text == "The printer on floor 2 shows “offline” since this morning. Café too."


def test_an_unknown_charset_is_read_as_utf8_with_replacements_not_refused():
    raw = b"From: a@example.test\r\nSubject: x\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\nok \xff\r\n"
    assert parse(raw).text == "ok \ufffd"


def test_a_25_mb_mail_is_refused_cleanly_with_its_sender_for_the_reply():
    head = b"From: Big <big@example.test>\r\nSubject: Huge scan\r\nContent-Type: text/plain\r\n\r\n"
    raw = head + (b"a" * 998 + b"\r\n") * (25 * 1024 * 1024 // 1000)
    with pytest.raises(Unreadable) as refused:
        parse(raw)
    assert "over the 10 MB" in refused.value.reason
    assert (refused.value.sender, refused.value.subject) == ("big@example.test", "Huge scan")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without any header at all",
        b"Subject: no sender\r\n\r\nhello\r\n",
        b"From: not an address\r\nSubject: x\r\n\r\nhello\r\n",
    ],
)
def test_malformed_mail_is_unreadable_never_a_crash(raw):
    with pytest.raises(Unreadable):
        parse(raw)


def test_a_multipart_without_its_boundary_is_still_read():
    raw = b"From: a@example.test\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\nplain words\r\n"
    parsed = parse(raw)
    assert parsed.sender == "a@example.test"  # the defect is the sender's; what can be read is kept


def test_too_many_headers_are_refused_before_parsing():
    raw = b"From: a@example.test\r\n" + b"X-Filler: y\r\n" * (parsing.MAX_HEADERS + 1) + b"\r\nbody\r\n"
    with pytest.raises(Unreadable, match="header fields"):
        parse(raw)


def _nested(depth: int) -> bytes:
    inner: MIMEMultipart | MIMEText = MIMEText("deep")
    for _ in range(depth):
        outer = MIMEMultipart("mixed")
        outer.attach(inner)
        inner = outer
    inner["From"] = "a@example.test"
    inner["Subject"] = "nested"
    return inner.as_bytes()


def test_deep_nesting_is_refused_and_moderate_nesting_read():
    assert parse(_nested(3)).text == "deep"
    with pytest.raises(Unreadable, match="nested more than"):
        parse(_nested(parsing.MAX_DEPTH + 2))
    with pytest.raises(Unreadable, match="too many parts"):
        parse(_nested(parsing.MAX_STRUCTURE + 5))  # refused from the raw bytes, before the parser recurses


def test_automatic_mail_is_marked_so_it_is_never_answered():
    m = mail(sender="MAILER-DAEMON@example.test")
    m.set_content("bounce")
    assert parse(m.as_bytes()).automatic
    m = mail()
    m["Auto-Submitted"] = "auto-replied"
    m.set_content("I am away")
    assert parse(m.as_bytes()).automatic


def test_ses_virus_and_spam_verdicts_are_read_from_the_headers_ses_wrote():
    raw = b"X-SES-Virus-Verdict: FAIL\r\nFrom: a@example.test\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse(raw).flagged == "SES found a virus in the mail"


def test_peek_reads_sender_and_subject_from_a_head_only():
    assert peek(b"From: a@example.test\r\nSubject: hi\r\n\r\nbody") == ("a@example.test", "hi")
    assert peek(b"\xff\xfe") == (None, "(no subject)")


@pytest.mark.parametrize(
    ("subject", "found"),
    [
        ("Re: Printer offline [#ABC234]", ["ABC234"]),
        ("re: printer [#abc234]", ["ABC234"]),
        ("Ticket #XYZ789 again", ["XYZ789"]),
        ("ref: HJK456 update", ["HJK456"]),
        ("Printer offline", []),
        ("[#ABC10I]", []),  # 1, 0 and I are not in the reference alphabet
        ("#PRINTERS", []),  # seven letters: a word, not a reference
    ],
)
def test_references_in_subjects(subject, found):
    assert references(subject) == found


def test_a_reply_subject_carries_the_reference_once():
    assert tagged("Printer offline", "ABC234") == "Re: Printer offline [#ABC234]"
    assert tagged("Re: Printer offline [#ABC234]", "ABC234") == "Re: Printer offline [#ABC234]"
