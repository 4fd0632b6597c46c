"""What SnapStart's priming hook costs and what it takes off a restored environment's first requests (issue 15).

    python -m bench.priming [--runs 7]

For each API function (an HttpApi event in template.yaml), in a fresh interpreter with the function's layers and
code on ``sys.path`` (as in ``scripts/bench/cold_start.py``): ``import <handler module>`` (Init), then the
before-snapshot hooks (``snapshot_restore_py``) run once - the priming, paid when a version is published - then
the same synthetic requests again, as a restored environment would answer its first requests: the difference is
what priming takes off them (Powertools builds each route's parameters and validation models on first use; lazy
imports). No network: the priming requests stop before any domain code. Prints a Markdown table (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from devstack.lambda_runtime import functions

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
import snapshot_restore_py as hooks
before = len(sys.modules)
for func, args, kwargs in reversed(hooks.get_before_snapshot()):
    func(*args, **kwargs)
t2 = time.perf_counter()
added = len(sys.modules) - before
for func, args, kwargs in reversed(hooks.get_before_snapshot()):  # the same requests, once primed
    func(*args, **kwargs)
t3 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "prime_ms": (t2 - t1) * 1000, "again_ms": (t3 - t2) * 1000,
                  "modules": added}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    specs = {
        name: spec
        for name, spec in functions(strict=False).items()
        if any(e.get("Type") == "HttpApi" for e in spec.events.values())
    }
    results: dict[str, list[dict]] = {name: [] for name in specs}
    for run in range(args.runs + 1):  # run 0 warms the byte-code cache and is discarded
        for name, spec in specs.items():
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POWERTOOLS_"))}
            path = [*(str(p) for p in spec.layer_paths), str(spec.code_uri)]
            env.update(spec.environment, PYTHONPATH=os.pathsep.join(path), AWS_DEFAULT_REGION="us-east-1")
            env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"  # as Lambda sets it for an Init it will snapshot
            done = subprocess.run(
                [sys.executable, "-c", CHILD.format(module=spec.handler.rsplit(".", 1)[0])],
                cwd=spec.code_uri,
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            )
            if run:
                results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"N = {args.runs} fresh interpreters per function, medians")
    print()
    print(
        "| Function | routes | import ms (Init) | priming ms (once per version) | same requests once primed ms | "
        "taken off the first requests ms | modules priming imports |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rows in results.items():
        routes = sum(1 for e in specs[name].events.values() if e.get("Type") == "HttpApi")

        def med(key: str, rows: list[dict] = rows) -> float:
            return statistics.median(r[key] for r in rows)

        print(
            f"| {name} | {routes} | {med('import_ms'):.0f} | {med('prime_ms'):.0f} | {med('again_ms'):.1f} | "
            f"{med('prime_ms') - med('again_ms'):.0f} | {med('modules'):.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
