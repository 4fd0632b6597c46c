"""Print a token the local gateway accepts (API.md "Identity"):

    python -m devstack token --role technician|billing|customer [--account ID] [--sub S] [--ttl SECONDS]

It is shaped like a Cognito ID token (``cognito:groups``, ``custom:account_id`` for a customer) and signed
with the local key in ``${HOURBANK_CACHE:-~/.cache/hourbank}/dev-jwt/`` (made on first use). The issuer
names the region of ``AWS_DEFAULT_REGION`` (default us-east-1), as the local stack does: mint with the
same setting the stack runs with.

    TOKEN=$(python -m devstack token --role billing)
    curl -s localhost:3000/accounts -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
         -d '{"name": "Acme", "email": "it@acme.example", "plan": "member"}'
"""

from __future__ import annotations

import argparse
import json
import sys

from devstack import jwt_local


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack token",
        description=__doc__.splitlines()[0],
        epilog="\n".join(__doc__.splitlines()[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--role", required=True, choices=sorted(jwt_local.GROUPS))
    parser.add_argument("--account", help="the customer's account id (custom:account_id); required for customer")
    parser.add_argument("--sub", help="the user's id (default: one fixed id per role and account)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    parser.add_argument("--claims", action="store_true", help="also print the claims to stderr")
    args = parser.parse_args(argv)
    if args.role == "customer" and not args.account:
        parser.error("--role customer needs --account ID (the account the customer belongs to)")
    if args.ttl <= 0:
        parser.error("--ttl must be a positive number of seconds")
    token = jwt_local.mint(args.role, account_id=args.account, sub=args.sub, ttl_s=args.ttl)
    if args.claims:
        print(json.dumps(jwt_local.verify(token), indent=2), file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
