"""Issue 20: no function of the product (the layer's package and the handlers) is over 60 code lines.

A code line is what ``grep -cvE '^\\s*(#|$)'`` counts (docstrings count, as for the handlers' 40 in
test_import_rules), from the ``def`` line to the function's last line; a nested function counts in the one
that holds it too. ruff's C901/PLR0912/PLR0915 (pyproject) gate the paths, branches and statements; this
gates the length, which those do not see (a long run of straight-line code).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = (ROOT / "layers" / "core" / "python" / "hourbank", ROOT / "functions")
MAX_FUNCTION_LINES = 60


def long_functions(path: str, source: str, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``path:line name has N code lines`` for each function of ``source`` over ``limit`` code lines."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = lines[node.lineno - 1 : node.end_lineno]
            n = sum(1 for line in body if not re.match(r"^\s*(#|$)", line))
            if n > limit:
                found.append(f"{path}:{node.lineno} {node.name} has {n} code lines, more than {limit}")
    return found


def _product() -> list[Path]:
    return sorted(p for base in PRODUCT for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_function_of_the_product_is_over_60_code_lines() -> None:
    sources = _product()
    assert len(sources) > 50
    found = [msg for p in sources for msg in long_functions(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))]
    assert not found, "split into named steps:\n" + "\n".join(found)


def _function(code_lines: int, *, padding: str = "") -> str:
    body = "".join(f"    x{i} = {i}\n{padding}" for i in range(code_lines - 2))
    return f'def f():\n    """doc"""\n{body}\n'


def test_the_rule_can_fail() -> None:
    assert long_functions("m.py", _function(61)) == ["m.py:1 f has 61 code lines, more than 60"]
    nested = "def outer():\n" + "".join("    " + line + "\n" for line in _function(60).splitlines())
    assert [msg.split(" has")[0] for msg in long_functions("m.py", nested)] == ["m.py:1 outer"]
    async_ = "async " + _function(61)
    assert long_functions("m.py", async_) == ["m.py:1 f has 61 code lines, more than 60"]


def test_what_the_rule_allows() -> None:
    assert long_functions("m.py", _function(60)) == []
    # Blank lines and comments are not code lines.
    assert long_functions("m.py", _function(60, padding="\n    # why\n")) == []
