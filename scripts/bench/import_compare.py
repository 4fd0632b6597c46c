"""Cold import of every function, two trees side by side (issue 15: before → after), and the floor an API function
cannot go under while it validates requests.

    git worktree add /tmp/hourbank-before <commit>    # or: git archive <commit> | tar -x -C /tmp/hourbank-before
    python -m bench.import_compare --before /tmp/hourbank-before [--runs 9]

Each import runs in a fresh interpreter with the environment ``scripts/bench/cold_start.py`` gives its children
(the function's code and the core layer on ``PYTHONPATH``, the template's variables, dummy tables, the local payment
settings), timed by wall clock (as there) and by the process's CPU time; the rows are interleaved run by run -
``import boto3``, the floors, then each function from the old tree and from this one - so load on the machine
hits both alike. Byte-code is cached in a
private directory (one discarded warm-up run). Prints Markdown (medians, p90, × ``import boto3``).

The floors: ``Logger`` + ``pynamodb.models`` (every API function's store) + Powertools' ``APIGatewayHttpResolver``,
with and without ``enable_validation=True`` (pydantic): no Hourbank code at all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench import cold_start as cold
from bench.benchlib import LOCAL_BASE_URL, percentile

ROOT = Path(__file__).resolve().parents[2]

FLOORS = {
    "floor: `Logger` + `pynamodb.models` + `APIGatewayHttpResolver(enable_validation=True)`": (
        "from aws_lambda_powertools import Logger\nimport pynamodb.models\n"
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
        "APIGatewayHttpResolver(enable_validation=True)\n"
    ),
    "floor without validation: the same, `APIGatewayHttpResolver()`": (
        "from aws_lambda_powertools import Logger\nimport pynamodb.models\n"
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\nAPIGatewayHttpResolver()\n"
    ),
}
# Wall time (perf_counter, as scripts/bench/cold_start.py) and the CPU time of the process (process_time): on a
# machine other work is loading, a child waits for a core and its wall time grows; its CPU time far less so.
CHILD_CODE = (
    "import json, sys, time\nw0, c0 = time.perf_counter(), time.process_time()\n"
    "exec(compile(sys.argv[1], 'import', 'exec'))\n"
    "print(json.dumps({'ms': (time.perf_counter() - w0) * 1000, 'cpu_ms': (time.process_time() - c0) * 1000,"
    " 'modules': len(sys.modules)}))\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the older tree")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    before_root = args.before.resolve()

    from devstack.local_env import PARAMS, payment_env
    from devstack.template import load_template, table_env

    template = load_template()
    tables = [k for k, v in template["Resources"].items() if v.get("Type") == "AWS::DynamoDB::Table"]
    dummy = table_env({t: f"bench-{t}" for t in tables})
    functions = cold.functions_of_template()
    for name in PARAMS:
        os.environ.pop(name, None)
    queue_dir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    pay = {
        **payment_env(LOCAL_BASE_URL, outbox_dir=str(queue_dir / "outbox")),
        "OUTBOX_DIR": str(queue_dir / "outbox"),
        "HOURBANK_QUEUE_DIR": str(queue_dir),
        "MONTH_END_QUEUE_URL": (queue_dir / "MonthEndQueue").as_uri(),
    }
    ms: dict[object, list[float]] = {}
    cpu: dict[object, list[float]] = {}
    modules: dict[object, list[int]] = {}
    with tempfile.TemporaryDirectory(prefix="hourbank-bench-pycache-") as pycache:

        def env(root: Path, code: Path | None) -> dict[str, str]:
            out = cold.child_env(dummy, pycache, code, pay)
            out["PYTHONPATH"] = os.pathsep.join(
                [str(root / "layers" / "core" / "python"), *([str(code)] if code else [])]
            )
            return out

        for run in range(args.runs + 1):  # run 0 fills the byte-code caches and is discarded
            result, _ = cold.run_child(CHILD_CODE, ["import boto3"], env(ROOT, None), ROOT)
            if run:
                ms.setdefault("boto3", []).append(result["ms"])
                cpu.setdefault("boto3", []).append(result["cpu_ms"])
            for label, code in FLOORS.items():
                result, _ = cold.run_child(CHILD_CODE, [code], env(ROOT, None), ROOT)
                if run:
                    ms.setdefault(label, []).append(result["ms"])
                    cpu.setdefault(label, []).append(result["cpu_ms"])
            for function in functions:
                for tag, root in (("before", before_root), ("after", ROOT)):
                    code_dir = root / function.code_uri
                    result, _ = cold.run_child(CHILD_CODE, [f"import {function.module}"], env(root, code_dir), code_dir)
                    if run:
                        ms.setdefault((function.name, tag), []).append(result["ms"])
                        cpu.setdefault((function.name, tag), []).append(result["cpu_ms"])
                        modules.setdefault((function.name, tag), []).append(result["modules"])
            print(f"run {run}/{args.runs}", file=sys.stderr, flush=True)

    for title, data in (("CPU time of the import (process_time)", cpu), ("wall time of the import (perf_counter)", ms)):
        boto3 = statistics.median(data["boto3"])
        print(f"{title}: N = {args.runs} fresh interpreters per row, interleaved; medians (p90)\n")
        print("| Import | before ms | before × boto3 | after ms | after × boto3 | modules before → after |")
        print("|---|---:|---:|---:|---:|---:|")
        print(f"| `import boto3` (yardstick) | | | {boto3:.0f} ({percentile(data['boto3'], 90):.0f}) | 1.00 | |")
        for label in FLOORS:
            m = statistics.median(data[label])
            print(f"| {label} | | | {m:.0f} ({percentile(data[label], 90):.0f}) | {m / boto3:.2f} | |")
        for function in functions:
            b, a = data[(function.name, "before")], data[(function.name, "after")]
            mb, ma = statistics.median(b), statistics.median(a)
            nb = statistics.median(modules[(function.name, "before")])
            na = statistics.median(modules[(function.name, "after")])
            print(
                f"| {function.name} | {mb:.0f} ({percentile(b, 90):.0f}) | {mb / boto3:.2f} "
                f"| {ma:.0f} ({percentile(a, 90):.0f}) | {ma / boto3:.2f} | {nb:.0f} → {na:.0f} |"
            )
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
