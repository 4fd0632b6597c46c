"""Issue 15: `make build` finds the runtime's Python itself. With only the machine's default python3 (3.11) on
PATH, `sam build` failed ("python3.13 ... not on your PATH"); scripts/buildtools/runtime_python.py finds 3.13 (pyenv,
/usr) or installs it from Debian's packages, and says clearly when there is none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from buildtools import runtime_python

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_templates_runtime():
    assert runtime_python.runtime_version() == "3.13"


def test_found_with_only_the_default_python_on_path():
    """The PATH of a plain shell (no pyenv shims): the finder still answers a 3.13 that has pip."""
    found = subprocess.run(
        [sys.executable, "scripts/buildtools/runtime_python.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        timeout=600,
    )
    assert found.returncode == 0, found.stderr
    python = found.stdout.strip()
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert version == "(3, 13)"
    assert subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0


def test_none_anywhere_stops_with_what_to_do(monkeypatch):
    monkeypatch.setattr(runtime_python, "candidates", lambda version: [])
    monkeypatch.setattr(runtime_python, "_apt_install", lambda version: False)
    with pytest.raises(SystemExit) as stop:
        runtime_python.find("3.13")
    assert "no Python 3.13" in str(stop.value) and "Runtime: python3.13" in str(stop.value)


def test_a_wrong_version_on_path_is_not_taken(tmp_path, monkeypatch):
    """A `python3.13` that is really another version (a stale shim or link) is skipped, not trusted."""
    fake = tmp_path / "python3.13"
    fake.write_text("#!/bin/sh\necho 3.12\n")
    fake.chmod(0o755)
    monkeypatch.setattr(runtime_python, "candidates", lambda version: [str(fake)])
    monkeypatch.setattr(runtime_python, "_apt_install", lambda version: False)
    with pytest.raises(SystemExit):
        runtime_python.find("3.13")
