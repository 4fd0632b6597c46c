"""What people write in a ticket's conversation (SPEC W5; issue 23's inputs): one test of a message's text,
used by the request body (a 400 before any domain code) and by ``tickets.conversation.add_message`` (which
e-mail intake calls too), so both refuse the same things.

Line breaks (``\\r\\n`` and ``\\r`` become ``\\n``) and tabs are kept; every other control character (C0, DEL,
C1) and the separators the ``email`` package counts as line breaks (U+2028, U+2029) are refused, since a
message is shown in pages and quoted in mail. Outer whitespace is dropped; the limit counts what was sent.
"""

from __future__ import annotations

import unicodedata

MESSAGE_MAX_LENGTH = 10_000
_ALLOWED = frozenset("\n\t")


def clean_message_text(value: str, *, limit: int = MESSAGE_MAX_LENGTH) -> str:
    """``value`` trimmed, line breaks as ``\\n``; ``ValueError`` with a sentence when it cannot be a message."""
    if len(value) > limit:
        raise ValueError(f"must be at most {limit:,} characters (this one has {len(value):,})")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValueError("must not be blank")
    for ch in text:
        if ch not in _ALLOWED and (unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029"):
            raise ValueError(f"must not contain control characters (U+{ord(ch):04X}); write plain text")
    return text
