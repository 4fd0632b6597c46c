"""E-mail addresses and the headers of the mail we write (issue 23; SPEC O7, W1, N1).

``check_address`` is the one test of an address, wherever one enters (accounts, orders, and anything later
that takes one): ``email-validator`` (the library pydantic's ``EmailStr`` uses), without its DNS check - no
network on a request. Refused, among others: control characters (U+001C-U+001E were taken for line breaks
by the ``email`` package: a 500 after the account was written), quoted or internationalised local parts and
domain literals (Amazon SES sends neither: it has no SMTPUTF8), and more than ``MAX_LENGTH`` characters
(Cognito's username, which is the address, holds at most 128). An internationalised domain is kept in its
ASCII (punycode) form, the one SES and Cognito take.

``one_line`` makes a header's text (a subject built from a ticket's title) a single line: the ``email``
package refuses a header with a line break, and counts U+001C-U+001E, U+0085, U+2028 and U+2029 as ones.
"""

from __future__ import annotations

MAX_LENGTH = 128  # Cognito: a username is 1-128 characters (the portal's username is the address, W1)


def check_address(value: str) -> str:
    """``value`` if it is an address SES and Cognito take (the ASCII form of an internationalised domain), else
    ``ValueError`` with a sentence a person can act on."""
    if len(value) > MAX_LENGTH:
        raise ValueError(f"enter an address like name@example.com of at most {MAX_LENGTH} characters")
    # Lazily: the library (and the DNS package it imports) costs ~90 ms to import; only a request that
    # carries an address pays it.
    from email_validator import EmailNotValidError, validate_email

    try:
        # test_environment: addresses at *.test (RFC 2606, what the tests and the local stack use) are taken;
        # DNS is never asked (check_deliverability off either way).
        valid = validate_email(value, check_deliverability=False, allow_smtputf8=False, test_environment=True)
    except EmailNotValidError as exc:
        # The library's reason names what is wrong ("U+001D before the @-sign"); said as a rule, like our others.
        reason = str(exc).replace(" should ", " must ")
        raise ValueError(f"enter an address like name@example.com that mail can be sent to ({reason})") from None
    return value if value.isascii() else valid.ascii_email or value


def is_address(value: str) -> bool:
    try:
        check_address(value)
    except ValueError:
        return False
    return True


def one_line(text: str) -> str:
    """``text`` with every line break or other non-printing character as a space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
