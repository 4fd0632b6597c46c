#!/usr/bin/env python3
"""Print the path of a Python for the template's Lambda runtime (``Runtime: python3.13``), installing it when
the machine has none. ``make build`` puts its directory first on PATH, because ``sam build`` looks for
``python3.<minor>`` there; ``scripts/buildtools/build_check.py`` runs the built functions with it.

Where it looks, in order: ``python3.X`` on PATH, pyenv's versions (``$PYENV_ROOT`` or ``~/.pyenv``), the
usual system places. When none is there it asks Debian's packages (``apt-cache policy python3.X``) and
installs ``python3.X`` and ``python3.X-venv`` from there. It never downloads an interpreter from anywhere
else. A Python without pip (Debian's) gets a venv with pip under ``~/.cache/hourbank``.

Runs with any Python 3 (the machine's default one); stdlib only.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def runtime_version(template: Path = ROOT / "template.yaml") -> str:
    """``3.13`` for ``Runtime: python3.13`` (the Globals' runtime; every function uses it)."""
    found = set(re.findall(r"^\s*Runtime:\s*python(3\.\d+)\s*$", template.read_text(), re.M))
    if len(found) != 1:
        raise SystemExit(f"runtime_python: expected one python runtime in {template}, found {sorted(found)}")
    return found.pop()


def _answers(python: str, version: str, *, pip: bool) -> bool:
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30, check=False)
        if out.returncode != 0 or out.stdout.strip() != version:
            return False
        if pip:
            return (
                subprocess.run(
                    [python, "-m", "pip", "--version"], capture_output=True, timeout=60, check=False
                ).returncode
                == 0
            )
        return True
    except (OSError, subprocess.TimeoutExpired):
        return False


def candidates(version: str) -> list[str]:
    name = f"python{version}"
    found = []
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    pyenv = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found += sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/{name}"), reverse=True)
    found += [f"{prefix}/bin/{name}" for prefix in ("/usr/local", "/usr")]
    return [c for c in dict.fromkeys(found) if os.access(c, os.X_OK)]


def _apt_install(version: str) -> bool:
    """Debian 13 ships python3.13 (Debian 12 does not): install it from Debian's packages when offered."""
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return False
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False}
    subprocess.run(["apt-get", "update", "-qq"], **quiet)
    policy = subprocess.run(
        ["apt-cache", "policy", f"python{version}"], capture_output=True, text=True, check=False
    ).stdout
    candidate = re.search(r"Candidate:\s*(\S+)", policy)
    if not candidate or candidate.group(1) == "(none)":
        return False
    print(f"runtime_python: installing python{version} {candidate.group(1)} from Debian's packages", file=sys.stderr)
    return (
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", f"python{version}", f"python{version}-venv"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            check=False,
        ).returncode
        == 0
    )


def _with_pip(python: str, version: str) -> str | None:
    """A venv of ``python`` (which lacks pip) that has pip: lambda-builders and the check install with it."""
    venv = Path.home() / ".cache" / "hourbank" / f"python{version}-venv"
    inside = str(venv / "bin" / f"python{version}")
    if not _answers(inside, version, pip=True):
        subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=False)
    return inside if _answers(inside, version, pip=True) else None


def find(version: str) -> str:
    usable = [c for c in candidates(version) if _answers(c, version, pip=False)]
    if not usable and _apt_install(version):
        usable = [c for c in candidates(version) if _answers(c, version, pip=False)]
    for python in usable:
        if _answers(python, version, pip=True):
            return python
    for python in usable:
        with_pip = _with_pip(python, version)
        if with_pip:
            return with_pip
    raise SystemExit(
        f"runtime_python: no Python {version} here (PATH, pyenv, /usr) and Debian's packages offer none; "
        f"install python{version} (e.g. `pyenv install {version}` or a Debian release that ships it) and "
        f"rerun. template.yaml says Runtime: python{version}."
    )


if __name__ == "__main__":
    print(find(runtime_version()))
