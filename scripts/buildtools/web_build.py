"""Build the web app (``web/``: TypeScript + Preact, bundled by Vite) into ``web/dist/``, which the local
gateway serves and ``scripts/ops/publish_site.py`` uploads (issue 20 item 7):

    python scripts/buildtools/web_build.py [--force]

``npm ci`` first when ``web/node_modules`` is missing or older than ``web/package-lock.json``; then
``npm run build`` when any source is newer than the last build (``--force``: always). ``make web-build``,
``make dev``, ``make test``, the browser tests' fixture and ``publish_site.py`` all call ``ensure_built``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "dist"
LOCK = WEB / "package-lock.json"
INSTALLED = WEB / "node_modules" / ".package-lock.json"  # npm's own record of what node_modules holds
BUILT = DIST / "index.html"
SOURCES = ("src", "public", "index.html", "paid.html", "portal", "package.json", "vite.config.ts", "tsconfig.json")


def _files() -> Iterator[Path]:
    for name in SOURCES:
        path = WEB / name
        if path.is_dir():
            yield from (p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def _newest(paths: Iterator[Path]) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is missing: install Node.js and npm (.ci/run does: apt-get install nodejs npm)")
    subprocess.run([npm, *args], cwd=WEB, check=True)


def dependencies_stale() -> bool:
    return not INSTALLED.is_file() or INSTALLED.stat().st_mtime < LOCK.stat().st_mtime


def build_stale() -> bool:
    return not BUILT.is_file() or BUILT.stat().st_mtime < _newest(iter([*_files(), LOCK]))


def ensure_built(force: bool = False) -> Path:
    """``web/dist/``, installed and built as needed."""
    if dependencies_stale():
        _npm("ci", "--no-audit", "--no-fund")
        INSTALLED.touch()
    if force or build_stale():
        _npm("run", "build")
        BUILT.touch()
    return DIST


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even when web/dist/ is newer than the sources")
    args = parser.parse_args(argv)
    print(f"web app built in {ensure_built(args.force).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
