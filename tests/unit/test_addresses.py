"""Addresses and the headers of the mail we write (issue 23 item 2): one check, the library's; every header
built by the ``email`` package from checked values."""

from __future__ import annotations

import pytest

from hourbank.kernel.addresses import check_address, one_line
from hourbank.ports.mail import Message, SesMailer, mime

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "address",
    [
        "a\u001db@example.test",
        "a\u001cb@example.test",
        "a\u001eb@example.test",
        "a\nb@example.test",
        "a@b",
        "é@x.example",
    ],
)
def test_an_address_mail_cannot_reach_is_refused(address):
    with pytest.raises(ValueError, match="address"):
        check_address(address)


def test_a_subject_is_one_line_whatever_the_title_held():
    assert one_line("Printer\u001doffline\r\nBcc: x@example.test\u2028now") == "Printer offline Bcc: x@example.test now"


class FakeSes:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send_email(self, **kwargs) -> None:
        self.sent.append(kwargs)


def test_ses_is_given_mail_whose_headers_the_email_package_built():
    ses = FakeSes()
    SesMailer("support@hourbank.example", client=ses).send(
        Message("sla-warning#tkt_1", "ann@example.test", "Due soon: Printer\u001doffline\nBcc: eve@example.test", "x")
    )
    [call] = ses.sent
    raw = call["Content"]["Raw"]["Data"].decode()
    headers = raw.split("\r\n\r\n", 1)[0]
    assert "Subject: Due soon: Printer offline Bcc: eve@example.test\r\n" in headers + "\r\n"
    assert "\r\nBcc:" not in headers and call["Destination"] == {"ToAddresses": ["ann@example.test"]}


def test_a_notice_to_an_address_no_mail_can_reach_fails_alone_before_ses():
    ses = FakeSes()
    with pytest.raises(ValueError, match="U\\+001D"):
        SesMailer("support@hourbank.example", client=ses).send(Message("m#1", "a\u001db@example.test", "Hi", "x"))
    assert ses.sent == []
    assert mime(Message("m#2", "ann@example.test", "Hi", "x"), "s@hourbank.example")["To"] == "ann@example.test"


@pytest.mark.parametrize(
    ("code", "message", "refused"),
    [
        ("ValidationException", "Size of hashkey has exceeded the maximum size limit of2048 bytes", True),
        ("ValidationException", "Aggregated size of all range keys has exceeded the size limit of 1024 bytes", True),
        ("ValidationException", "Hash primary key values must be under 2048 bytes, and range primary key", True),
        ("ValidationException", "ExpressionAttributeValues contains invalid value", False),
        ("ConditionalCheckFailedException", "The conditional request failed", False),
    ],
)
def test_a_key_dynamodb_refuses_for_its_size_is_told_from_other_refusals(code, message, refused):
    """Issue 23: AWS's words and DynamoDB Local's; a 400 for these, never a 500 or ``contention``."""
    from botocore.exceptions import ClientError

    from hourbank.store.outage import key_refused

    assert key_refused(ClientError({"Error": {"Code": code, "Message": message}}, "GetItem")) is refused
