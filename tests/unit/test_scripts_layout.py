"""Issue 20: scripts/ says what it holds. The local stack is one package, ``devstack``, with no import loop
inside it (lazy imports inside functions count: they loop all the same, only later); the tools import each
other and the product by name, from the import roots pyproject.toml lists once, and no file edits sys.path
for its own imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
DEVSTACK = SCRIPTS / "devstack"
# The local runtime sets each function's sys.path as Lambda does (its code, its layers, the runtime's boto3):
# that is what it emulates, not an import of its own.
RUNTIME_PATH_SETTERS = {"scripts/devstack/lambda_runtime.py", "scripts/devstack/lambda_worker.py"}


def _sources(*bases: Path) -> list[Path]:
    return sorted(p for base in bases for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path, package: str, modules: set[str]) -> set[str]:
    """Every module of ``package`` the file imports, at the top or inside a function (lazy), as
    ``package.module``; ``from package import module`` names the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(package + ".")}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == package:
                found |= {f"{package}.{a.name}" for a in node.names if a.name in modules}
            elif node.module.startswith(package + "."):
                found.add(node.module)
    return found


def import_cycles(base: Path, package: str) -> list[list[str]]:
    """The import loops among the modules of base/<package>, each as the path that closes it."""
    files = _sources(base / package)
    modules = {p.stem for p in files}
    graph = {f"{package}.{p.stem}": _imported(p, package, modules) for p in files}
    graph = {module: {m for m in targets if m in graph and m != module} for module, targets in graph.items()}
    cycles: list[list[str]] = []
    seen_loops: set[frozenset[str]] = set()
    done: set[str] = set()

    def walk(module: str, trail: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in trail:
                loop = [*trail[trail.index(target) :], target]
                if frozenset(loop) not in seen_loops:
                    seen_loops.add(frozenset(loop))
                    cycles.append(loop)
            elif target not in done:
                walk(target, [*trail, target])
        done.add(module)

    for module in sorted(graph):
        walk(module, [module])
    return cycles


def test_the_local_stack_has_no_import_loop() -> None:
    assert len(_sources(DEVSTACK)) > 20
    cycles = import_cycles(SCRIPTS, "devstack")
    assert cycles == [], "import loops in scripts/devstack:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_loop_finder_sees_lazy_imports(tmp_path: Path) -> None:
    """A loop closed by an import inside a function is found too."""
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loopy import b\n")
    (package / "b.py").write_text("def later():\n    from loopy.a import thing\n")
    (package / "c.py").write_text("import loopy.a\n")
    assert import_cycles(tmp_path, "loopy") == [["loopy.a", "loopy.b", "loopy.a"]]
    (package / "b.py").write_text("def later():\n    import json\n")
    assert import_cycles(tmp_path, "loopy") == []


def _edits_sys_path(tree: ast.AST) -> list[int]:
    """Lines that change sys.path: ``sys.path.insert/append/extend/remove``, or an assignment to it."""
    lines = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"insert", "append", "extend", "remove", "clear"}:
                target = node.func.value
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            target = next((t.value if isinstance(t, ast.Subscript) else t for t in targets), None)
        if target is not None and ast.unparse(target) == "sys.path":
            lines.append(node.lineno)
    return lines


def test_no_file_edits_sys_path_for_its_own_imports() -> None:
    """The import roots are pyproject.toml's (pytest's pythonpath, mypy_path, ruff's src; make setup writes
    the same list into the venv): scripts and tests import devstack, hourbank and the functions by name."""
    files = [*_sources(SCRIPTS, ROOT / "tests"), SCRIPTS / "invoke"]
    offenders = [
        f"{rel}:{line}"
        for path in files
        if (rel := str(path.relative_to(ROOT))) not in RUNTIME_PATH_SETTERS
        for line in _edits_sys_path(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    ]
    assert offenders == []
    runtime = ast.parse((DEVSTACK / "lambda_runtime.py").read_text(encoding="utf-8"))
    assert _edits_sys_path(runtime), "the finder no longer sees the runtime's own sys.path set-up"


def test_nothing_imports_the_old_scripts_package() -> None:
    """scripts/ is an import root, not a package: ``scripts.devstack`` would be a second copy of devstack."""
    offenders = []
    for path in [*_sources(SCRIPTS, ROOT / "tests", ROOT / "functions", ROOT / "layers"), SCRIPTS / "invoke"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "scripts"]
    assert offenders == []
    assert not (SCRIPTS / "__init__.py").exists()


def test_the_venv_knows_the_import_roots(tmp_path: Path) -> None:
    """The command lines (``python -m devstack up``, ``python -m ops.month_end``, ``scripts/invoke``) run in the
    venv, from any directory: ``make setup`` wrote pyproject's import roots into it (``make paths``)."""
    run = subprocess.run(
        [sys.executable, "-c", "import devstack.stack, ops.month_end, bench.benchlib, buildtools.openapi, hourbank"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, f"run `make paths` (part of make setup):\n{run.stderr}"
