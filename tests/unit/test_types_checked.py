"""Issue 15: types are checked. mypy is pinned, configured for what ships and the scripts, and run by
``make lint`` (which ``make test`` runs) right after ruff; there it must report no issue."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_is_pinned() -> None:
    pins = re.findall(r"^mypy==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pins and all(re.fullmatch(r"\d+\.\d+(\.\d+)?", p) for p in pins), pins


def test_make_lint_runs_mypy_after_ruff() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert lint, "no lint target"
    steps = [line.strip() for line in lint.group(1).splitlines()]
    assert "$(VENV)/bin/mypy" in steps, steps
    assert steps.index("$(VENV)/bin/mypy") == steps.index("$(VENV)/bin/ruff format --check .") + 1
    assert re.search(r"^test: lint\b", makefile, re.M)


def test_mypy_checks_the_layer_every_handler_and_the_scripts() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert set(config["files"]) == {"layers/core/python/hourbank", "functions", "scripts"}
    # every handler is app.py: without package bases from the root, mypy stops at a duplicate module "app"
    assert config["explicit_package_bases"] is True
    assert "layers/core/python" in config["mypy_path"]
    assert not config.get("ignore_errors") and not config.get("exclude"), "nothing is left out"
