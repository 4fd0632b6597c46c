"""DynamoDB Local for humans: ``fetch`` it into the cache, or ``start`` it with the template's tables.

    python -m devstack dynamodb fetch
    python -m devstack dynamodb start [--port N] [--db-path DIR]

``start`` stays in the foreground until Ctrl-C and prints the ``export`` lines that point the code (and
the AWS CLI) at it. Tables are named ``hourbank-<LogicalId>`` so a persistent ``--db-path`` finds them
again next time.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

from devstack import dynamodb_local
from devstack.template import create_tables, table_env

TABLE_PREFIX = "hourbank"


def cmd_fetch(_: argparse.Namespace) -> int:
    print(dynamodb_local.ensure_jar())
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_start(args: argparse.Namespace) -> int:
    # A plain kill (SIGTERM) must stop the engine too, not orphan the JVM.
    signal.signal(signal.SIGTERM, _interrupt)
    engine = dynamodb_local.start(port=args.port, db_path=args.db_path)
    try:
        names = create_tables(engine.client(), TABLE_PREFIX)
        env = {"AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint, **table_env(names)}
        print(f"DynamoDB Local {dynamodb_local.ENGINE_VERSION} on {engine.endpoint} (log: {engine.log_path})")
        print("storage:", args.db_path.resolve() if args.db_path else "in memory (gone on exit)")
        print("# paste into your shell:")
        for key, value in env.items():
            print(f"export {key}={shlex.quote(value)}")
        print("Ctrl-C stops it.", flush=True)
        try:
            code = engine.process.wait()
        except KeyboardInterrupt:
            print("\nstopping", file=sys.stderr)
            return 0
        print(f"DynamoDB Local exited with code {code}:\n{engine.log()}", file=sys.stderr)
        return 1
    finally:
        engine.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack dynamodb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="download and verify DynamoDB Local into the cache; print its path")
    fetch.set_defaults(func=cmd_fetch)
    start = sub.add_parser("start", help="run DynamoDB Local with the template's tables until Ctrl-C")
    start.add_argument("--port", type=int, default=None, help="port to listen on (default: a free one)")
    start.add_argument("--db-path", type=Path, default=None, help="keep data in this directory")
    start.set_defaults(func=cmd_start)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
