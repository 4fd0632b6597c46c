"""Cold import of every function, two trees side by side (issue 15: before → after), and the floor an API function
cannot go under while it validates requests.

    git worktree add /tmp/hourbank-before <commit>    # or: git archive <commit> | tar -x -C /tmp/hourbank-before
    python scripts/bench_import_compare.py --before /tmp/hourbank-before [--runs 9]

Each import runs in a fresh interpreter with the environment ``scripts/bench_cold_start.py`` gives its children
(the function's code and the core layer on ``PYTHONPATH``, the template's variables, dummy tables, the local payment
settings) and is timed the same way; the rows are interleaved run by run - ``import boto3``, the floors, then each
function from the old tree and from this one - so load on the machine hits both alike. Byte-code is cached in a
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

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts import bench_cold_start as cold  # noqa: E402
from scripts.benchlib import LOCAL_BASE_URL, percentile  # noqa: E402

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
CHILD_CODE = (
    "import json, sys, time\nt0 = time.perf_counter()\nexec(compile(sys.argv[1], 'floor', 'exec'))\n"
    "print(json.dumps({'ms': (time.perf_counter() - t0) * 1000}))\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the older tree")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    before_root = args.before.resolve()

    from scripts.localdev.local_env import PARAMS, payment_env
    from scripts.localdev.template import load_template, table_env

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
    modules: dict[object, list[int]] = {}
    with tempfile.TemporaryDirectory(prefix="hourbank-bench-pycache-") as pycache:

        def env(root: Path, code: Path | None) -> dict[str, str]:
            out = cold.child_env(dummy, pycache, code, pay)
            out["PYTHONPATH"] = os.pathsep.join(
                [str(root / "layers" / "core" / "python"), *([str(code)] if code else [])]
            )
            return out

        for run in range(args.runs + 1):  # run 0 fills the byte-code caches and is discarded
            result, _ = cold.run_child(cold.CHILD_IMPORT, ["boto3"], env(ROOT, None), ROOT)
            if run:
                ms.setdefault("boto3", []).append(result["ms"])
            for label, code in FLOORS.items():
                result, _ = cold.run_child(CHILD_CODE, [code], env(ROOT, None), ROOT)
                if run:
                    ms.setdefault(label, []).append(result["ms"])
            for function in functions:
                for tag, root in (("before", before_root), ("after", ROOT)):
                    code_dir = root / function.code_uri
                    result, _ = cold.run_child(cold.CHILD_IMPORT, [function.module], env(root, code_dir), code_dir)
                    if run:
                        ms.setdefault((function.name, tag), []).append(result["ms"])
                        modules.setdefault((function.name, tag), []).append(result["modules"])
            print(f"run {run}/{args.runs}", file=sys.stderr, flush=True)

    boto3 = statistics.median(ms["boto3"])
    print(f"N = {args.runs} fresh interpreters per row, interleaved; medians (p90)\n")
    print("| Import | before ms | before × boto3 | after ms | after × boto3 | modules before → after |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `import boto3` (yardstick) | | | {boto3:.0f} ({percentile(ms['boto3'], 90):.0f}) | 1.00 | |")
    for label in FLOORS:
        m = statistics.median(ms[label])
        print(f"| {label} | | | {m:.0f} ({percentile(ms[label], 90):.0f}) | {m / boto3:.2f} | |")
    for function in functions:
        b, a = ms[(function.name, "before")], ms[(function.name, "after")]
        mb, ma = statistics.median(b), statistics.median(a)
        nb = statistics.median(modules[(function.name, "before")])
        na = statistics.median(modules[(function.name, "after")])
        print(
            f"| {function.name} | {mb:.0f} ({percentile(b, 90):.0f}) | {mb / boto3:.2f} "
            f"| {ma:.0f} ({percentile(a, 90):.0f}) | {ma / boto3:.2f} | {nb:.0f} → {na:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
