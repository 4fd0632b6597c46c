"""Run one function of template.yaml with one event, like ``sam local invoke`` (no Docker):

    scripts/invoke FUNCTION events/<file>.json [--endpoint URL] [--prefix hourbank]   # or: python -m devstack invoke
    scripts/invoke PostTimeEntryFunction events/post_time_entry-remote.json
    scripts/invoke StripeWebhookFunction events/stripe_webhook-checkout-completed.json --sign
    scripts/invoke post_time_entry events/post_time_entry-remote.json          # the CodeUri folder works too
    cat event.json | scripts/invoke CloseTicketFunction -

FUNCTION is the template's logical id or its CodeUri folder name. It runs as Lambda would run it, in a
process of its own with only its template variables, its own layers and the runtime's boto3
(``scripts/devstack/lambda_runtime.py``). The handler's result is printed as JSON on stdout; the
function's own logs and the invocation line go to stderr. Exit status 1 if it raised.

Tables: with ``--endpoint`` or ``AWS_ENDPOINT_URL_DYNAMODB`` set (a running ``python -m devstack up``, or
``python -m devstack dynamodb start``) the function uses that engine and the tables named by ACCOUNTS_TABLE
and friends when set, else ``{prefix}-{LogicalId}`` as the local stack names them. Otherwise a throw-away
in-memory DynamoDB Local is started with the template's tables and stopped afterwards.

``scripts/invoke`` runs this with the repo's .venv python when there is one.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PREFIX = "hourbank"  # what `python -m devstack up` names its tables: hourbank-<LogicalId>


def _local_aws_env(endpoint: str | None) -> None:
    """Credentials good for DynamoDB Local only; never the developer's real ones or profile."""
    from devstack.aws_env import isolate

    # An engine named in the shell (a running local stack) is the one to use, not a leftover to drop.
    isolate(endpoint=endpoint or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))


def find_function(specs: Mapping[str, Any], name: str) -> Any:
    """By logical id, then case-insensitively, then by CodeUri folder (post_time_entry)."""
    if name in specs:
        return specs[name]
    for spec in specs.values():
        if name.lower() in (spec.logical_id.lower(), spec.code_uri.name.lower()):
            return spec
    choices = ", ".join(f"{s.logical_id} ({s.code_uri.name})" for s in specs.values())
    raise SystemExit(f"invoke: no function {name!r} in template.yaml; it has: {choices}")


def table_names(template: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """``{prefix}-{LogicalId}``, or the name the environment already gives a table (ACCOUNTS_TABLE=...)."""
    from devstack.template import table_definitions

    names = {logical_id: f"{prefix}-{logical_id}" for logical_id in table_definitions(template)}
    variables = (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get(
        "Variables"
    ) or {}
    for var, value in variables.items():
        if isinstance(value, dict) and value.get("Ref") in names and os.environ.get(var):
            names[value["Ref"]] = os.environ[var]
    return names


@contextlib.contextmanager
def engine_and_tables(template: Mapping[str, Any], prefix: str) -> Iterator[dict[str, str]]:
    """The running engine's tables, or a throw-away in-memory engine with the template's tables."""
    if os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        import boto3

        names = table_names(template, prefix)
        existing = set(boto3.client("dynamodb").list_tables(Limit=100).get("TableNames", []))
        missing = sorted(set(names.values()) - existing)
        if missing:
            print(
                f"invoke: warning: {os.environ['AWS_ENDPOINT_URL_DYNAMODB']} has no table "
                f"{', '.join(missing)} (is the local stack up? is --prefix right?)",
                file=sys.stderr,
            )
        yield names
        return
    from devstack import dynamodb_local
    from devstack.template import create_tables

    print("invoke: starting an in-memory DynamoDB Local for this call", file=sys.stderr)
    with dynamodb_local.start(in_memory=True) as engine:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = engine.endpoint
        try:
            yield create_tables(engine.client(), prefix, template)
        finally:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


def read_event(source: str) -> Any:
    if source == "-":
        return json.load(sys.stdin)
    path = Path(source)
    if not path.exists() and (ROOT / path).exists():
        path = ROOT / path
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"invoke: no event file {source}") from None
    except ValueError as exc:
        raise SystemExit(f"invoke: {source} is not JSON ({exc})") from None


def _stack_url() -> str:
    """The running local stack's URL (checkout links point at its payment page), else the default port."""
    state = ROOT / ".local" / "stack.json"
    try:
        return str(json.loads(state.read_text())["url"])
    except (OSError, ValueError, KeyError):
        return "http://127.0.0.1:3000"


def sign(event: dict) -> dict:
    """Sign the event's body as Stripe would, now (a stored signature expires after 300 s)."""
    from devstack.local_env import webhook_secret
    from hourbank.payments.webhook_signature import sign_webhook

    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "stripe-signature"}
    headers["stripe-signature"] = sign_webhook(event.get("body") or "", webhook_secret())
    return {**event, "headers": headers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/invoke",
        description=__doc__.splitlines()[0],
        epilog="\n".join(__doc__.splitlines()[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("function", help="logical id (PostTimeEntryFunction) or CodeUri folder (post_time_entry)")
    parser.add_argument("event", help="event JSON file, or - for stdin")
    parser.add_argument("--endpoint", help="DynamoDB endpoint of a running engine (else AWS_ENDPOINT_URL_DYNAMODB)")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="table name prefix on that engine (hourbank)")
    parser.add_argument(
        "--sign",
        action="store_true",
        help="sign the body now with the local Stripe webhook secret (Stripe-Signature header)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    from devstack import lambda_runtime, local_env
    from devstack.template import load_template

    event = read_event(args.event)
    template = load_template()
    spec = find_function(lambda_runtime.functions(template, table_names(template, args.prefix)), args.function)
    _local_aws_env(args.endpoint)
    stdout = sys.stdout
    # The function's logs (Powertools writes to stdout) belong with the invocation line on stderr.
    with contextlib.redirect_stdout(sys.stderr), engine_and_tables(template, args.prefix) as names:
        specs = lambda_runtime.functions(template, table_names=names)
        spec = specs[spec.logical_id]
        table_values = set(names.values())
        env = {
            key: (os.environ[key] if key in os.environ and value not in table_values else value)
            for key, value in spec.environment.items()
        }  # the caller's settings win, as in stack.py
        spec = dataclasses.replace(spec, environment=env)
        local_env.apply({}, _stack_url())  # this process signs with the local secret (--sign)
        # As Lambda runs it: a process of its own with only its variables (the local payment page and
        # secret where its *_PARAM ask for them, no SSM), its own layers and the runtime's boto3.
        runtime = lambda_runtime.use_processes(
            lambda_runtime.Processes(endpoint=os.environ["AWS_ENDPOINT_URL_DYNAMODB"], base_url=_stack_url())
        )
        if args.sign:
            event = sign(event)
        try:
            result = lambda_runtime.invoke(spec, event, source="invoke")
        except lambda_runtime.InvocationError as exc:
            cause = exc.cause
            error = {
                "errorMessage": str(cause),
                "errorType": type(cause).__name__,
                "stackTrace": getattr(cause, "stack_trace", None) or traceback.format_tb(cause.__traceback__),
            }
            print(json.dumps(error, indent=2), file=stdout)
            return 1
        finally:
            runtime.stop()
    print(json.dumps(result, indent=2, default=str), file=stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
