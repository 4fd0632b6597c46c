"""``python -m devstack``: the local stack's command line.

python -m devstack up | run-schedule NAME --at T | schedules    # the whole template (stack.py)
python -m devstack token --role ROLE [--account ID]             # a token the local gateway accepts
python -m devstack dynamodb fetch | start                       # DynamoDB Local alone
python -m devstack invoke FUNCTION EVENT.json                   # one function, one event (scripts/invoke)
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "token":
        from devstack import dev_token

        return dev_token.main(rest)
    if command == "dynamodb":
        from devstack import dynamodb_cli

        return dynamodb_cli.main(rest)
    if command == "invoke":
        from devstack import invoke

        return invoke.main(rest)
    from devstack import stack

    return stack.main(args)


if __name__ == "__main__":
    raise SystemExit(main())
