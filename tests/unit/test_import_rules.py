"""Issue 15: what may import what (docs/ARCHITECTURE.md), checked on the source's syntax tree.

(a) ``hourbank.rating`` is pure: no I/O (no AWS SDK, database, HTTP, sockets, Stripe, files or the
    environment) and no other part of Hourbank but the pure ``clock`` and ``errors``;
(b) ``hourbank.store`` imports no domain package (nor the HTTP layer): only the kernel and the ports;
(c) domain code (everything in the layer outside ``hourbank.api``) imports no ``hourbank.api``;
(d) a handler (``functions/*/app.py``) imports domain packages, never ``hourbank.store`` or pynamodb;
(e) a handler has at most 40 code lines (``grep -cvE '^\\s*(#|$)'``: docstrings count);
(f) ``hourbank.kernel`` (clock, ids, errors, identity) imports nothing else of Hourbank;
(g) ``hourbank.ports`` imports no domain package: only the kernel, other ports, the store and the pure rating rules;
(h) ``hourbank.edge`` (what every HTTP entry point shares) imports only the kernel and the ports;
(i) nothing in the product (the layer and the handlers) is part of an import cycle (issue 20: visits depend on
    tickets and orders, never the reverse).

Every import counts: at the top, inside functions (lazy imports), under ``TYPE_CHECKING``, relative ones,
and ``importlib.import_module``/``__import__`` of a constant name. A failure names the file, the line and
the module imported. ``test_each_rule_can_fail`` feeds each checker a source that breaks its rule.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "core" / "python"
PACKAGE = LAYER / "hourbank"
FUNCTIONS = ROOT / "functions"
MAX_HANDLER_LINES = 40

# (a) I/O a pure module must not reach for, by top-level module name.
IO_MODULES = frozenset(
    {
        "boto3",
        "botocore",
        "pynamodb",
        "aws_lambda_powertools",
        "stripe",
        "jwt",
        "requests",
        "urllib",
        "urllib3",
        "http",
        "socket",
        "ssl",
        "os",
        "subprocess",
        "shutil",
        "tempfile",
        "pathlib",
        "sqlite3",
        "asyncio",
    }
)
# (a) the parts of Hourbank rating may use besides itself: pure values and errors.
RATING_MAY_USE = ("hourbank.rating", "hourbank.kernel.clock", "hourbank.kernel.errors")


def _packages() -> frozenset[str]:
    return frozenset(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


# (b) every package of the layer but the store itself, the kernel and the ports is domain (or the HTTP layer
# above it): accounts, tickets, orders, payments, topups, invoicing, monthend, visits, statements, portal,
# reviews, plans, rating, ledger, edge, api, ... - a package added later is covered without editing this list.
# Of the ports, the invitations port records its invitations in the store, so the store may not import it.
BELOW_THE_DOMAIN = frozenset({"store", "kernel", "ports"})
NOT_FOR_THE_STORE = (
    *(f"hourbank.{name}" for name in sorted(_packages() - BELOW_THE_DOMAIN)),
    "hourbank.ports.invitations",
)
HANDLERS_MUST_NOT = ("hourbank.store", "pynamodb")
# (g) and (h): what the ports and the edge may use of Hourbank besides themselves.
PORTS_MAY_USE = ("hourbank.kernel", "hourbank.ports", "hourbank.store", "hourbank.rating")
EDGE_MAY_USE = ("hourbank.kernel", "hourbank.ports", "hourbank.edge")


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int


def _within(name: str, prefixes: tuple[str, ...] | frozenset[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _offending(imports: Iterator[Import], bad: Callable[[str], bool]) -> Iterator[Import]:
    """The imports ``bad`` refuses, once per statement: ``from a import b`` that is refused as ``a`` is not
    reported again as ``a.b``."""
    seen: list[Import] = []
    for imp in imports:
        if bad(imp.module) and not any(s.line == imp.line and _within(imp.module, (s.module,)) for s in seen):
            seen.append(imp)
            yield imp


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every module ``source`` (the module ``module``) imports, anywhere in it. ``from a import b`` yields
    ``a`` and ``a.b`` (``b`` may be a submodule); relative imports are resolved against ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{anchor}.{base}" if base else anchor
            if base != "__future__":
                yield Import(base, node.lineno)
                for alias in node.names:
                    if alias.name != "*":
                        yield Import(f"{base}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                if isinstance(first.value, str):
                    yield Import(first.value, node.lineno)


# -- the rules: each maps (file, module name, source) to the sentences that say what is wrong ------------


def _rating_may_not(module: str) -> bool:
    if module.split(".")[0] in IO_MODULES:
        return True
    return _within(module, ("hourbank",)) and module != "hourbank" and not _within(module, RATING_MAY_USE)


def rating_is_pure(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: rating does no I/O and uses only {', '.join(RATING_MAY_USE)} (a)"
        for imp in _offending(imports_of(source, module, is_package=is_package), _rating_may_not)
    ]


def store_is_below_the_domain(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: the store imports no domain package (b)"
        for imp in _offending(
            imports_of(source, module, is_package=is_package), lambda m: _within(m, NOT_FOR_THE_STORE)
        )
    ]


def domain_is_below_the_api(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: domain code imports no hourbank.api (c)"
        for imp in _offending(
            imports_of(source, module, is_package=is_package), lambda m: _within(m, ("hourbank.api",))
        )
    ]


def handler_uses_the_domain(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: a handler calls the domain, not the store (d)"
        for imp in _offending(
            imports_of(source, module, is_package=is_package), lambda m: _within(m, HANDLERS_MUST_NOT)
        )
    ]


def _only(may_use: tuple[str, ...]) -> Callable[[str], bool]:
    """Refuses every module of Hourbank outside ``may_use`` (and the bare package, which holds nothing)."""
    return lambda m: _within(m, ("hourbank",)) and m != "hourbank" and not _within(m, may_use)


def kernel_stands_alone(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: the kernel imports nothing else of hourbank (f)"
        for imp in _offending(imports_of(source, module, is_package=is_package), _only(("hourbank.kernel",)))
    ]


def ports_are_below_the_domain(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: a port imports no domain package, only {', '.join(PORTS_MAY_USE)} (g)"
        for imp in _offending(imports_of(source, module, is_package=is_package), _only(PORTS_MAY_USE))
    ]


def edge_is_below_the_domain(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    return [
        f"{path}:{imp.line} imports {imp.module}: the edge imports only {', '.join(EDGE_MAY_USE)} (h)"
        for imp in _offending(imports_of(source, module, is_package=is_package), _only(EDGE_MAY_USE))
    ]


def import_cycles(sources: list[Source]) -> list[str]:
    """(i) Every import cycle among ``sources``, each said once as ``a -> b -> ... -> a`` with the line of each
    import. Every import counts (lazy, ``TYPE_CHECKING``, relative, ``import_module``); importing ``a.b.c`` also
    runs the packages ``a`` and ``a.b``. One cycle per strongly connected group of modules: breaking it shows the
    next."""
    known = {s.module: s for s in sources}
    edges: dict[str, dict[str, int]] = {m: {} for m in known}
    for s in sources:
        for imp in imports_of(s.text, s.module, is_package=s.is_package):
            parts = imp.module.split(".")
            for i in range(1, len(parts) + 1):
                target = ".".join(parts[:i])
                if target in known and target != s.module:
                    edges[s.module].setdefault(target, imp.line)
    found = []
    for group in _strongly_connected(edges):
        if len(group) < 2:
            continue
        cycle = _cycle_within(edges, set(group))
        steps = [f"{known[a].path}:{edges[a][b]} imports {b}" for a, b in itertools.pairwise(cycle)]
        found.append(" -> ".join(cycle) + " (i): " + "; ".join(steps))
    return found


def _strongly_connected(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; groups in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return sorted(groups)


def _cycle_within(edges: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    """One shortest cycle through the group's first module (breadth first), as [a, b, ..., a]."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges[node]):
                if child not in group:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def code_lines(source: str) -> int:
    """What ``grep -cvE '^\\s*(#|$)'`` counts: every line neither blank nor a comment (docstrings count)."""
    return sum(1 for line in source.splitlines() if not re.match(r"^\s*(#|$)", line))


def handler_is_thin(path: str, module: str, source: str, is_package: bool = False) -> list[str]:
    n = code_lines(source)
    if n <= MAX_HANDLER_LINES:
        return []
    return [f"{path} has {n} code lines, more than {MAX_HANDLER_LINES} (e): the use case belongs in the domain"]


# -- the code as it is ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    path: str  # relative to the repository
    module: str
    is_package: bool
    text: str


def _layer(under: str) -> list[Source]:
    base = LAYER / under.replace(".", "/")
    found = []
    for p in sorted(base.rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        rel = p.relative_to(LAYER).with_suffix("")
        is_package = rel.name == "__init__"
        module = ".".join(rel.parent.parts if is_package else rel.parts)
        found.append(Source(str(p.relative_to(ROOT)), module, is_package, p.read_text(encoding="utf-8")))
    return found


def _check(rule: Callable[..., list[str]], sources: list[Source]) -> None:
    found = [msg for s in sources for msg in rule(s.path, s.module, s.text, s.is_package)]
    assert not found, "\n" + "\n".join(found)


HANDLERS = sorted(p.parent.name for p in FUNCTIONS.glob("*/app.py"))


def _handler(name: str) -> Source:
    path = FUNCTIONS / name / "app.py"
    return Source(str(path.relative_to(ROOT)), f"functions.{name}.app", False, path.read_text(encoding="utf-8"))


def test_rating_imports_no_io_and_no_other_part_of_hourbank_a() -> None:
    sources = _layer("hourbank.rating")
    assert len(sources) > 3
    _check(rating_is_pure, sources)


def test_the_store_imports_no_domain_package_b() -> None:
    sources = _layer("hourbank.store")
    assert len(sources) > 2
    assert {"hourbank.accounts", "hourbank.tickets", "hourbank.rating", "hourbank.api"} <= set(NOT_FOR_THE_STORE)
    _check(store_is_below_the_domain, sources)


def test_domain_code_imports_no_api_c() -> None:
    sources = [s for s in _layer("hourbank") if not _within(s.module, ("hourbank.api",))]
    assert len(sources) > 30
    _check(domain_is_below_the_api, sources)


@pytest.mark.parametrize("name", HANDLERS)
def test_a_handler_imports_the_domain_not_the_store_d(name: str) -> None:
    _check(handler_uses_the_domain, [_handler(name)])


@pytest.mark.parametrize("name", HANDLERS)
def test_a_handler_has_at_most_40_code_lines_e(name: str) -> None:
    _check(handler_is_thin, [_handler(name)])


LAZY = "def f():\n    {}\n"  # an import inside a function, run when it is first called


def test_the_kernel_imports_nothing_else_of_hourbank_f() -> None:
    sources = _layer("hourbank.kernel")
    assert {s.module for s in sources} >= {"hourbank.kernel.clock", "hourbank.kernel.errors"}
    _check(kernel_stands_alone, sources)


def test_the_ports_import_no_domain_package_g() -> None:
    sources = _layer("hourbank.ports")
    assert {s.module for s in sources} >= {"hourbank.ports.adapters", "hourbank.ports.settings"}
    _check(ports_are_below_the_domain, sources)


def test_the_edge_imports_only_the_kernel_and_the_ports_h() -> None:
    sources = _layer("hourbank.edge")
    assert {s.module for s in sources} >= {"hourbank.edge.request_body", "hourbank.edge.snapstart"}
    _check(edge_is_below_the_domain, sources)


def test_the_product_has_no_import_cycle_i() -> None:
    sources = [*_layer("hourbank"), *(_handler(name) for name in HANDLERS)]
    assert len(sources) > 80
    cycles = import_cycles(sources)
    assert not cycles, "\n" + "\n".join(cycles)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "hourbank.tickets.closing": LAZY.format("from hourbank.visits.completion import close_visit"),
                "hourbank.visits.completion": "from hourbank.tickets.closing import CloseResult\n",
            },
            "hourbank.tickets.closing -> hourbank.visits.completion -> hourbank.tickets.closing (i): "
            "hourbank/tickets/closing.py:2 imports hourbank.visits.completion; "
            "hourbank/visits/completion.py:1 imports hourbank.tickets.closing",
            id="i-lazy-two",
        ),
        pytest.param(
            {
                "hourbank.a": "from hourbank import b\n",
                "hourbank.b": "if TYPE_CHECKING:\n    from hourbank.c import X\n",
                "hourbank.c": "import importlib\nimportlib.import_module('hourbank.a')\n",
            },
            "hourbank.a -> hourbank.b -> hourbank.c -> hourbank.a (i)",
            id="i-three-type-checking-import-module",
        ),
        pytest.param(
            {
                "hourbank.p": "from hourbank.q import X\n",  # the package's __init__
                "hourbank.p.m": "X = 1\n",
                "hourbank.q": "from hourbank.p.m import Y\n",  # runs hourbank.p first
            },
            "hourbank.p -> hourbank.q -> hourbank.p (i)",
            id="i-through-a-package",
        ),
    ],
)
def test_the_cycle_rule_can_fail(files: dict[str, str], expected: str) -> None:
    sources = [Source(m.replace(".", "/") + ".py", m, False, text) for m, text in files.items()]
    found = import_cycles(sources)
    assert found and expected in found[0], found


def test_what_the_cycle_rule_allows() -> None:
    files = {
        "hourbank.visits.completion": "from hourbank.tickets.closing import CloseResult\n",
        "hourbank.tickets.closing": "from hourbank.tickets.common import load\n",
        "hourbank.tickets.common": "from hourbank.kernel.errors import NotFound\n",
        "hourbank.kernel.errors": "import json\n",
    }
    assert import_cycles([Source(m.replace(".", "/") + ".py", m, False, t) for m, t in files.items()]) == []


# -- each rule can fail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "module", "source", "expected"),
    [
        pytest.param(rating_is_pure, "r.py", "hourbank.rating.x", "import boto3\n", ":1 imports boto3", id="a-boto3"),
        pytest.param(
            rating_is_pure,
            "r.py",
            "hourbank.rating.x",
            LAZY.format("from botocore.config import Config"),
            ":2 imports botocore.config",
            id="a-lazy-botocore",
        ),
        pytest.param(
            rating_is_pure, "r.py", "hourbank.rating.x", "import os\nos.environ['X']\n", "imports os", id="a-environ"
        ),
        pytest.param(
            rating_is_pure, "r.py", "hourbank.rating.x", "from urllib.request import urlopen\n", "urllib", id="a-http"
        ),
        pytest.param(
            rating_is_pure,
            "r.py",
            "hourbank.rating.x",
            "from hourbank.store import AccountModel\n",
            "imports hourbank.store",
            id="a-store",
        ),
        pytest.param(
            rating_is_pure,
            "r.py",
            "hourbank.rating.x",
            "from hourbank.ports import settings\n",
            "imports hourbank.ports",
            id="a-settings",
        ),
        pytest.param(
            rating_is_pure, "r.py", "hourbank.rating.x", "from .. import store\n", "imports hourbank.store", id="a-rel"
        ),
        pytest.param(
            store_is_below_the_domain,
            "s.py",
            "hourbank.store.x",
            LAZY.format("from hourbank.tickets.common import account_of"),
            "s.py:2 imports hourbank.tickets",
            id="b-lazy-tickets",
        ),
        pytest.param(
            store_is_below_the_domain,
            "s.py",
            "hourbank.store",
            "from hourbank import rating\n",
            "imports hourbank.rating",
            id="b-rating",
        ),
        pytest.param(
            store_is_below_the_domain,
            "s.py",
            "hourbank.store.x",
            "import importlib\nimportlib.import_module('hourbank.ledger')\n",
            ":2 imports hourbank.ledger",
            id="b-import-module",
        ),
        pytest.param(
            domain_is_below_the_api,
            "d.py",
            "hourbank.tickets.x",
            "from hourbank.api import error_response\n",
            "d.py:1 imports hourbank.api",
            id="c-api",
        ),
        pytest.param(
            domain_is_below_the_api,
            "d.py",
            "hourbank.tickets",
            LAZY.format("from ..api.views import ticket_view"),
            "d.py:2 imports hourbank.api.views",
            id="c-lazy-relative",
        ),
        pytest.param(
            handler_uses_the_domain,
            "functions/f/app.py",
            "functions.f.app",
            "from hourbank.store import ensure_bound\n",
            "functions/f/app.py:1 imports hourbank.store",
            id="d-store",
        ),
        pytest.param(
            handler_uses_the_domain,
            "functions/f/app.py",
            "functions.f.app",
            LAZY.format("from pynamodb.exceptions import DoesNotExist"),
            ":2 imports pynamodb.exceptions",
            id="d-lazy-pynamodb",
        ),
        pytest.param(
            handler_uses_the_domain,
            "functions/f/app.py",
            "functions.f.app",
            "from hourbank import store\n",
            "imports hourbank.store",
            id="d-from-package",
        ),
        pytest.param(
            handler_is_thin,
            "functions/f/app.py",
            "functions.f.app",
            '"""doc"""\n# a comment\n\n' + "x = 1\n" * 40,
            "has 41 code lines",
            id="e-41-lines",
        ),
        pytest.param(
            kernel_stands_alone,
            "k.py",
            "hourbank.kernel.x",
            LAZY.format("from hourbank.ports.settings import get_settings"),
            "k.py:2 imports hourbank.ports.settings",
            id="f-lazy-settings",
        ),
        pytest.param(
            ports_are_below_the_domain,
            "p.py",
            "hourbank.ports.x",
            "if TYPE_CHECKING:\n    from hourbank.tickets.common import load\n",
            "p.py:2 imports hourbank.tickets",
            id="g-tickets",
        ),
        pytest.param(
            ports_are_below_the_domain,
            "p.py",
            "hourbank.ports.x",
            "from hourbank.api.resolver import kept\n",
            "imports hourbank.api",
            id="g-api",
        ),
        pytest.param(
            edge_is_below_the_domain,
            "e.py",
            "hourbank.edge.x",
            "from hourbank.store.transactions import ensure_bound\n",
            "e.py:1 imports hourbank.store",
            id="h-store",
        ),
    ],
)
def test_each_rule_can_fail(rule, path: str, module: str, source: str, expected: str) -> None:
    found = rule(path, module, source, module in ("hourbank.store", "hourbank.tickets"))
    assert found and expected in found[0], found


@pytest.mark.parametrize(
    ("rule", "module", "source"),
    [
        pytest.param(rating_is_pure, "hourbank.rating.x", "from hourbank.rating.calendar import X\n", id="a-own"),
        pytest.param(rating_is_pure, "hourbank.rating.x", "from hourbank.kernel.clock import iso\n", id="a-clock"),
        pytest.param(rating_is_pure, "hourbank.rating.x", "from decimal import Decimal\n", id="a-stdlib"),
        pytest.param(
            store_is_below_the_domain, "hourbank.store.x", "from hourbank.kernel.errors import X\n", id="b-errors"
        ),
        pytest.param(domain_is_below_the_api, "hourbank.tickets.x", "from hourbank.apiary import X\n", id="c-prefix"),
        pytest.param(handler_uses_the_domain, "functions.f.app", "from hourbank import topups\n", id="d-domain"),
        pytest.param(handler_is_thin, "functions.f.app", "# c\n\n" * 50 + "x = 1\n" * 40, id="e-40-lines"),
        pytest.param(kernel_stands_alone, "hourbank.kernel.x", "from hourbank.kernel.errors import X\n", id="f-own"),
        pytest.param(
            ports_are_below_the_domain, "hourbank.ports.x", "from hourbank.store.models import X\n", id="g-store"
        ),
        pytest.param(
            ports_are_below_the_domain, "hourbank.ports.x", "from hourbank.rating.calendar import X\n", id="g-rating"
        ),
        pytest.param(
            edge_is_below_the_domain, "hourbank.edge.x", "from hourbank.ports import adapters\n", id="h-ports"
        ),
    ],
)
def test_what_each_rule_allows(rule, module: str, source: str) -> None:
    assert rule("f.py", module, source) == []
