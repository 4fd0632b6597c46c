"""The web app's sources (issue 20 item 7; STYLE 16, 17): nothing is ever inserted as HTML (text stays text,
Preact escapes it), every view reads the API through the one client, and one view lives in one file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "web" / "src"
SOURCES = sorted(p for p in SRC.rglob("*") if p.suffix in (".ts", ".tsx"))


def test_there_are_sources():
    assert {"api.ts", "auth.ts", "format.ts"} <= {p.name for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_nothing_is_inserted_as_html(source):
    text = source.read_text()
    for sink in ("dangerouslySetInnerHTML", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in text, f"{source.name} uses {sink}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_only_the_api_client_calls_fetch(source):
    if source.name == "api.ts":
        return
    assert not re.search(r"\bfetch\(", source.read_text()), f"{source.name} calls fetch: use src/api.ts"


def test_one_view_per_file():
    for view in (SRC / "views").rglob("*View.tsx"):
        exported = re.findall(r"^export function (\w+View)\b", view.read_text(), re.M)
        assert exported == [view.stem], (view.name, exported)
