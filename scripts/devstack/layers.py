"""The template's layers as ``sam build`` would build them, without the network (issue 15):

* a layer whose ``ContentUri`` holds a ``python/`` directory (CoreLayer) is that source directory, as is;
* a layer with a ``requirements.txt`` (DepsLayer, PaymentsLayer: ``BuildMethod: python3.x``) becomes a
  directory under ``.local/layers/<LogicalId>/python`` holding exactly the files of the distributions
  its requirements name and their dependency closure (extras included as asked), taken from the
  distributions installed in this interpreter (the dev venv: the same pins), as pip would lay them out;
* what the Lambda Python runtime ships beside every function (boto3 and what it needs) is built the same
  way into ``.local/layers/runtime``.

Each directory carries a stamp naming what it holds (``name==version`` per line): a changed pin or
requirement rebuilds it, otherwise it is reused. Files are hard links where possible (a copy otherwise).
Workers of the local runtime (``lambda_runtime``) get these on ``sys.path``, and nothing else.
"""

from __future__ import annotations

import fcntl
import importlib.metadata as md
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from devstack.template import REPO_ROOT

LAYER_TYPE = "AWS::Serverless::LayerVersion"
LAYERS_DIR = REPO_ROOT / ".local" / "layers"
# What Lambda's Python runtime puts on the path after the layers (/var/runtime): the AWS SDK.
RUNTIME_PROVIDED = ("boto3",)
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(\(?[^;]*\)?)?\s*(?:;(.*))?$")
_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")
_lock = threading.Lock()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(line: str) -> tuple[str, set[str], str] | None:
    """(name, extras, marker) of one requirement line; None for blanks, comments and options."""
    line = line.split(" #", 1)[0].strip()
    if not line or line.startswith(("#", "-")):
        return None
    found = _REQUIREMENT.match(line)
    if not found:
        raise ValueError(f"cannot read the requirement {line!r}")
    extras = {_canonical(e) for e in (found.group(2) or "").split(",") if e.strip()}
    return found.group(1), extras, (found.group(4) or "").strip()


def closure(requirements: Iterable[str]) -> list[md.Distribution]:
    """The installed distributions ``requirements`` name and everything they need, as pip resolves them
    here: a dependency behind an ``extra ==`` marker only when that extra is asked for; one behind another
    marker when it is installed (the environment marker held when the venv was made)."""
    wanted: dict[str, md.Distribution] = {}
    extras_of: dict[str, set[str]] = {}
    todo: list[tuple[str, set[str], bool]] = []
    for line in requirements:
        parsed = _parse(line)
        if parsed:
            todo.append((parsed[0], parsed[1], True))
    while todo:
        name, extras, required = todo.pop()
        key = _canonical(name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            if required:
                raise RuntimeError(f"{name} is not installed in {sys.prefix}: run `make setup`") from None
            continue  # a marker-only dependency this interpreter does not need
        new_extras = extras - extras_of.get(key, set())
        if key in wanted and not new_extras:
            continue
        wanted[key] = dist
        extras_of[key] = extras_of.get(key, set()) | extras
        for requirement in dist.requires or []:
            parsed = _parse(requirement)
            if not parsed:
                continue
            dep, dep_extras, marker = parsed
            asked = _EXTRA.findall(marker)
            if asked and not {_canonical(a) for a in asked} & extras_of[key]:
                continue
            todo.append((dep, dep_extras, not marker))
    return [wanted[k] for k in sorted(wanted)]


def _stamp(dists: Iterable[md.Distribution]) -> str:
    return "".join(f"{_canonical(d.metadata['Name'])}=={d.version}\n" for d in dists)


def _materialise(dists: list[md.Distribution], target: Path) -> Path:
    """``target`` holding exactly the files of ``dists`` (site-packages layout), rebuilt when they change."""
    stamp = _stamp(dists)
    stamp_file = target / ".hourbank-layer"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # One builder at a time, across processes too (a stack and a test may both start cold).
    with _lock, open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp_file.exists() and stamp_file.read_text() == stamp:
            return target
        building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        for dist in dists:
            root = Path(str(dist.locate_file(""))).resolve()
            for file in dist.files or []:
                if "__pycache__" in file.parts or file.parts[0] == "..":
                    continue  # bytecode is the interpreter's business; ../bin scripts are not in a layer
                source = Path(str(dist.locate_file(file))).resolve()
                if not source.is_file() or not source.is_relative_to(root):
                    continue
                dest = building / file
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(source, dest)
                except OSError:
                    shutil.copy2(source, dest)
        (building / ".hourbank-layer").write_text(stamp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(building, target)
    return target


def runtime_dir() -> Path:
    """What the Lambda runtime provides beside the handler: boto3, botocore and their dependencies."""
    return _materialise(closure(RUNTIME_PROVIDED), LAYERS_DIR / "runtime")


def layer_dir(logical_id: str, resource: Mapping[str, Any], root: Path = REPO_ROOT) -> Path:
    """The directory a layer puts on the path (its ``python/``), built as ``sam build`` would."""
    content = root / resource["Properties"]["ContentUri"]
    if (content / "python").is_dir():
        return content / "python"
    requirements = content / "requirements.txt"
    if not requirements.exists():
        raise FileNotFoundError(f"{logical_id}: {content} has neither python/ nor requirements.txt")
    return _materialise(closure(requirements.read_text().splitlines()), LAYERS_DIR / logical_id / "python")


def layer_dirs(template: Mapping[str, Any], root: Path = REPO_ROOT) -> dict[str, Path]:
    """Every layer of ``template``: logical id -> the directory on its functions' path."""
    return {
        name: layer_dir(name, res, root)
        for name, res in (template.get("Resources") or {}).items()
        if res.get("Type") == LAYER_TYPE
    }


def _top_levels(dists: Iterable[md.Distribution]) -> set[str]:
    names: set[str] = set()
    for dist in dists:
        for file in dist.files or []:
            first = file.parts[0]
            if first == ".." or first.endswith((".dist-info", ".data")) or first == "__pycache__":
                continue
            name = first[:-3] if first.endswith(".py") else first.split(".", 1)[0]
            if name.isidentifier():
                names.add(name)
    return names


def importable(logical_id: str, resource: Mapping[str, Any], root: Path = REPO_ROOT) -> frozenset[str]:
    """The top-level module names a layer puts on the path (without building it)."""
    content = root / resource["Properties"]["ContentUri"]
    if (content / "python").is_dir():
        return frozenset(
            p.stem if p.suffix == ".py" else p.name
            for p in (content / "python").iterdir()
            if p.suffix == ".py" or (p.is_dir() and p.name.isidentifier())
        )
    return frozenset(_top_levels(closure((content / "requirements.txt").read_text().splitlines())))


def runtime_importable() -> frozenset[str]:
    """The top-level module names the Lambda runtime provides: the standard library and boto3's closure."""
    return frozenset(sys.stdlib_module_names) | _top_levels(closure(RUNTIME_PROVIDED)) | {"__future__"}
