"""SPEC W5: one test of a message's text (hourbank.kernel.text), shared by the request body and add_message."""

from __future__ import annotations

import pytest

from hourbank.kernel.text import MESSAGE_MAX_LENGTH, clean_message_text

pytestmark = pytest.mark.unit


def test_W5_text_is_trimmed_and_keeps_its_lines_and_tabs():
    assert clean_message_text("  one\r\ntwo\rthree\tfour \n") == "one\ntwo\nthree\tfour"
    assert clean_message_text("é ünïcode 👍") == "é ünïcode 👍"


@pytest.mark.parametrize(
    "text", ["", " \n\t ", "bell\x07", "nul\x00", "esc\x1b[0m", "del\x7f", "c1\x85 mid", "sep\u2028 mid", "x" * 10_001]
)
def test_W5_blank_control_characters_and_over_long_text_are_refused(text):
    with pytest.raises(ValueError):
        clean_message_text(text)


def test_W5_the_limit_counts_what_was_sent():
    assert len(clean_message_text("x" * MESSAGE_MAX_LENGTH)) == MESSAGE_MAX_LENGTH
