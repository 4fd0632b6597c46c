"""Issue 15: the same idea written once. Each test fails if a second copy of the idea comes back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "core" / "python" / "hourbank"


def _sources(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _where(pattern: str, base: Path = LAYER) -> list[str]:
    rx = re.compile(pattern, re.M)
    return [str(p.relative_to(ROOT)) for p in _sources(base) if rx.search(p.read_text(encoding="utf-8"))]


def test_one_system_clock() -> None:
    assert _where(r"SystemClock\(\)") == ["layers/core/python/hourbank/clock.py"]


def test_one_optimistic_commit_helper() -> None:
    # Every "refused: read again" is store.commit_or_retry; no module raises Retry from a TxFailed itself.
    assert _where(r"except TxFailed[^\n]*\n(?:[^\n]*\n){0,6}?\s*raise _?Retry\(\) from exc") == [
        "layers/core/python/hourbank/store/tx.py"]


def test_one_home_for_iso_times_and_hours_text() -> None:
    assert _where(r"^def iso\(") == ["layers/core/python/hourbank/clock.py"]
    assert _where(r"^def parse_iso\(") == ["layers/core/python/hourbank/clock.py"]
    assert _where(r"^def hours_text\(") == ["layers/core/python/hourbank/rating/consumption.py"]
    assert _where(r"from hourbank\.tickets\.common import[^\n]*\b(iso|parse_iso)\b") == []
