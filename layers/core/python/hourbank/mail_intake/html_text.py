"""HTML-only mail reduced to text (SPEC E1: nothing in a mail is ever rendered as HTML or executed).

A real parser (the standard library's ``html.parser``), not patterns: tags are dropped, script and style
content with them, block elements become line breaks, entities are decoded. The result is plain text that is
only ever shown as text (the web app's escaping; STYLE 17).
"""

from __future__ import annotations

from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "math", "iframe", "object"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
    }
)


class _Text(HTMLParser):
    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self._add("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self._add("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and data:
            words = " ".join(data.split())
            lead = " " if data[0].isspace() else ""
            trail = " " if data[-1].isspace() and words else ""
            self._add(f"{lead}{words}{trail}")

    def _add(self, text: str) -> None:
        if self.size < self.limit:
            self.parts.append(text)
            self.size += len(text)


def html_to_text(html: str, limit: int = 100_000) -> str:
    """The words of ``html`` as plain text: paragraphs on lines of their own, at most ``limit`` characters."""
    parser = _Text(limit)
    parser.feed(html[: limit * 4])  # markup beyond four times the text kept cannot add to it
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text, blank = [], False
    for line in lines:
        if line or not blank:
            text.append(line)
        blank = not line
    return "\n".join(text).strip()[:limit]
