"""Least privilege, derived from what the code does (issue 16).

A pytest plugin (registered by the root conftest) records, for every DynamoDB call made while a
template function's handler runs (``aws_hooks``: the call's parameters and the function's logical id),
the IAM action it needs on the table or index it touches. ``tests/e2e/test_least_privilege.py`` compares
that with the function's policy statements in template.yaml: exactly those actions on exactly those
resources, no ``DynamoDB*Policy`` templates, no Scan, no wildcard.

How IAM authorises each DynamoDB operation (Service Authorization Reference, "Amazon DynamoDB"):
* a Query on an index needs ``dynamodb:Query`` on ``table/T/index/I``; on the table, on ``table/T``;
* TransactWriteItems needs, per item, PutItem / UpdateItem / DeleteItem / ConditionCheckItem on its
  table; TransactGetItems needs GetItem per item;
* BatchGetItem / BatchWriteItem need those actions on each table named.

``python -m tests.support.least_privilege FILE`` prints the policy statements of a recording (the YAML
to paste under a function's ``Policies``).
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support import aws_hooks

ROOT = Path(__file__).resolve().parents[2]
RECORD_ENV = "HOURBANK_IAM_RECORD"  # a file: the session's recording is written there at its end
# A folder: each pytest process (each xdist worker) writes its recording there as <worker>.json at its end,
# with the test files it ran; the check merges them (make test: the suite over workers, then the check).
RECORDS_ENV = "HOURBANK_IAM_RECORDS"
FORBIDDEN_TEMPLATES = (
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "DynamoDBWritePolicy",
    "DynamoDBReconfigurePolicy",
    "DynamoDBBackupFullAccessAndRestorePolicy",
    "DynamoDBRestoreFromBackupPolicy",
)
FORBIDDEN_ACTIONS = ("dynamodb:Scan", "dynamodb:*", "dynamodb:PartiQLSelect")
_TRANSACT_ITEM_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}

Grant = tuple[str, str]  # ("dynamodb:Query", "TicketsTable/index/by_account")

_lock = threading.Lock()
observed: dict[str, set[Grant]] = defaultdict(set)
unknown_tables: set[str] = set()
files_run: set[str] = set()  # the test files this process ran (a worker runs a share of the suite)


def table_logical_ids(template: Mapping[str, Any]) -> list[str]:
    return [name for name, res in template["Resources"].items() if res.get("Type") == "AWS::DynamoDB::Table"]


def _logical(table_name: str, logical_ids: Iterable[str]) -> str | None:
    """Local tables are named ``<prefix>-<LogicalId>`` (scripts/devstack/template.py: create_tables)."""
    for logical in logical_ids:
        if table_name == logical or table_name.endswith(f"-{logical}"):
            return logical
    return None


def needs(operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """The (action, table name, index) triples IAM checks for one DynamoDB call."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        out = []
        for item in params.get("TransactItems") or []:
            ((kind, body),) = item.items()
            out.append((f"dynamodb:{_TRANSACT_ITEM_ACTION[kind]}", body["TableName"], None))
        return out
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", table, None) for table in params.get("RequestItems") or {}]
    if "TableName" in params:
        return [(f"dynamodb:{operation}", params["TableName"], params.get("IndexName"))]
    return [(f"dynamodb:{operation}", "*", None)]


def _record(*, function: str | None, model: Any = None, params: Any = None, event_name: str = "", **_: Any) -> None:
    if function is None or model is None or not event_name.startswith("provide-client-params.dynamodb."):
        return
    logical_ids = _template_tables()
    for action, table, index in needs(model.name, params or {}):
        logical = _logical(table, logical_ids)
        if logical is None:
            with _lock:
                unknown_tables.add(table)
            continue
        resource = logical if index is None else f"{logical}/index/{index}"
        with _lock:
            observed[function].add((action, resource))


@functools.cache
def _template_tables() -> tuple[str, ...]:
    from devstack.template import load_template

    return tuple(table_logical_ids(load_template()))


# ---------------------------------------------------------------- what the template grants


def _resource(value: Any) -> str:
    """``!GetAtt T.Arn`` -> "T"; ``!Sub "${T.Arn}/index/I"`` -> "T/index/I"; anything else is refused."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        name, attr = target if isinstance(target, list) else target.split(".", 1)
        if attr == "Arn":
            return name
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text = value["Fn::Sub"]
        if text.startswith("${") and ".Arn}/index/" in text:
            name, index = text[2:].split(".Arn}/index/", 1)
            if index and "*" not in index and "$" not in index:
                return f"{name}/index/{index}"
    raise ValueError(
        f'unrecognised DynamoDB resource {value!r}: use !GetAtt Table.Arn or !Sub "${{Table.Arn}}/index/name"'
    )


def granted(template: Mapping[str, Any]) -> tuple[dict[str, set[Grant]], list[str]]:
    """Each function's DynamoDB grants from its inline policy statements, and the problems found."""
    out: dict[str, set[Grant]] = {}
    problems: list[str] = []
    for name, res in template["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        grants: set[Grant] = set()
        for policy in res["Properties"].get("Policies") or []:
            if isinstance(policy, str):
                if "DynamoDB" in policy:
                    problems.append(f"{name}: managed policy {policy} (grant table actions inline)")
                continue
            for key in policy:
                if key in FORBIDDEN_TEMPLATES:
                    problems.append(f"{name}: {key} (grant exactly the actions it uses, inline)")
            for statement in policy.get("Statement") or []:
                actions = statement.get("Action")
                actions = [actions] if isinstance(actions, str) else list(actions or [])
                dynamo = [a for a in actions if a.lower().startswith("dynamodb:")]
                if not dynamo:
                    continue
                if statement.get("Effect") != "Allow" or "NotAction" in statement or "NotResource" in statement:
                    problems.append(f"{name}: only plain Allow statements are checked")
                for action in dynamo:
                    if action in FORBIDDEN_ACTIONS or "*" in action:
                        problems.append(f"{name}: {action} is never granted")
                resources = statement.get("Resource")
                resources = resources if isinstance(resources, list) else [resources]
                for resource in resources:
                    try:
                        target = _resource(resource)
                    except ValueError as exc:
                        problems.append(f"{name}: {exc}")
                        continue
                    grants.update((action, target) for action in dynamo)
        out[name] = grants
    return out, problems


def statements(grants: Iterable[Grant]) -> str:
    """The policy statements (YAML) granting exactly ``grants``: one statement per set of resources."""
    by_actions: dict[tuple[str, ...], list[str]] = defaultdict(list)
    per_resource: dict[str, list[str]] = defaultdict(list)
    for action, resource in sorted(grants):
        per_resource[resource].append(action)
    for resource, actions in per_resource.items():
        by_actions[tuple(sorted(actions))].append(resource)
    lines = ["- Statement:"]
    for actions, resources in sorted(by_actions.items()):
        refs = []
        for resource in sorted(resources):
            if "/index/" in resource:
                table, index = resource.split("/index/")
                refs.append(f'!Sub "${{{table}.Arn}}/index/{index}"')
            else:
                refs.append(f"!GetAtt {resource}.Arn")
        lines.append(f"    - Effect: Allow\n      Action: [{', '.join(actions)}]\n      Resource: [{', '.join(refs)}]")
    return "\n".join(lines)


# ---------------------------------------------------------------- pytest plugin


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_all_tests: runs after every other test (reads the session's record)")
    aws_hooks.add("provide-client-params", _record)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The check reads what the whole session recorded, so it runs after every other test."""
    last = [item for item in items if item.get_closest_marker("after_all_tests")]
    if last:
        items[:] = [item for item in items if item not in last] + last


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    files_run.add(str((ROOT / location[0]).resolve()))


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get(RECORD_ENV)
    if target:
        Path(target).write_text(json.dumps(snapshot(), indent=1, sort_keys=True))
    folder = os.environ.get(RECORDS_ENV)
    if folder and not _is_xdist_controller(session):
        name = f"{os.environ.get('PYTEST_XDIST_WORKER', 'process')}-{os.getpid()}"
        Path(folder, f"{name}.json").write_text(json.dumps(snapshot(), indent=1, sort_keys=True))


def _is_xdist_controller(session: pytest.Session) -> bool:
    """The process that only hands tests to xdist's workers records nothing of its own."""
    return bool(getattr(session.config.option, "numprocesses", None)) and not os.environ.get("PYTEST_XDIST_WORKER")


def snapshot() -> dict[str, Any]:
    with _lock:
        return {
            "functions": {fn: sorted(map(list, grants)) for fn, grants in observed.items()},
            "unknown_tables": sorted(unknown_tables),
            "files": sorted(files_run),
        }


def load(path: Path) -> dict[str, set[Grant]]:
    data = json.loads(Path(path).read_text())
    return {fn: {tuple(g) for g in grants} for fn, grants in data["functions"].items()}


def load_folder(folder: Path) -> tuple[dict[str, set[Grant]], set[str], set[str]]:
    """The recordings of the processes that ran the suite between them, merged: grants by function, unknown
    tables, and the test files they ran."""
    functions: dict[str, set[Grant]] = defaultdict(set)
    unknown: set[str] = set()
    files: set[str] = set()
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text())
        for fn, grants in data["functions"].items():
            functions[fn] |= {tuple(g) for g in grants}
        unknown |= set(data["unknown_tables"])
        files |= set(data.get("files", []))
    return dict(functions), unknown, files


if __name__ == "__main__":  # python -m tests.support.least_privilege RECORDING.json
    import sys

    for function, grants in sorted(load(Path(sys.argv[1])).items()):
        print(f"{function}:\n{statements(grants)}\n")
