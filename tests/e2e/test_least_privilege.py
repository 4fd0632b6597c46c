"""Least privilege (issue 16): each function is granted exactly the DynamoDB actions, on exactly the tables
and indexes, that its handler was seen to use over the whole test suite - no CrudPolicy, no Scan.

The record comes from ``tests/support/least_privilege.py`` (a botocore hook on every client, attributed to
the running function by the local runtime). Run with the whole suite, this test reads the session's own
record (it is ordered last); run on its own or with part of the suite, it runs the rest of the suite in a
subprocess first, so the answer never depends on which tests happened to run.

When it fails, its message prints the statements to paste into the function's ``Policies`` in
template.yaml: a new function or a new call is fixed by editing template.yaml only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.template import load_template
from tests.support import least_privilege as lp

pytestmark = pytest.mark.after_all_tests
THIS = Path(__file__).resolve()
TESTS = THIS.parents[1]


def _ran_whole_suite(session: pytest.Session) -> bool:
    """Did this session run every test file (other than this one)?"""
    files = {p.resolve() for p in TESTS.rglob("test_*.py")} - {THIS}
    ran = {Path(item.path).resolve() for item in session.items}
    return files <= ran and not session.config.option.keyword and not session.config.option.markexpr


def _observed(session: pytest.Session, tmp_path: Path) -> dict[str, set[lp.Grant]]:
    folder = os.environ.get(lp.RECORDS_ENV)
    if folder and not os.environ.get("PYTEST_XDIST_WORKER"):
        # make test: the suite ran over xdist's workers first, each recording into the folder; between them
        # they must have run every test file, or the answer would depend on which tests ran.
        functions, unknown, files = lp.load_folder(Path(folder))
        for fn, grants in lp.observed.items():  # and what this process ran before the check (tests marked alone)
            functions.setdefault(fn, set()).update(grants)
        files |= lp.files_run
        wanted = {str(p.resolve()) for p in TESTS.rglob("test_*.py")} - {str(THIS)}
        if wanted <= files:
            lp.unknown_tables.update(unknown)
            return functions
    if _ran_whole_suite(session) and not os.environ.get("PYTEST_XDIST_WORKER"):
        return {fn: set(grants) for fn, grants in lp.observed.items()}
    record = tmp_path / "iam.json"
    env = {**os.environ, lp.RECORD_ENV: str(record)}
    this_test = f"{THIS.relative_to(lp.ROOT)}::{CHECK}"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(TESTS), "--deselect", this_test],
        cwd=lp.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert done.returncode == 0, f"the suite must pass to say what each function calls:\n{done.stdout[-3000:]}"
    return lp.load(record)


CHECK = "test_each_function_is_granted_exactly_the_dynamodb_calls_it_makes"


def test_each_function_is_granted_exactly_the_dynamodb_calls_it_makes(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    template = load_template()
    grants, problems = lp.granted(template)
    observed = _observed(request.session, tmp_path)
    assert not lp.unknown_tables, f"calls to tables the template does not declare: {sorted(lp.unknown_tables)}"
    report = list(problems)
    for function in sorted(grants):
        seen = observed.get(function, set())
        if not seen and not grants[function]:
            continue  # no DynamoDB at all (and none granted)
        missing = sorted(seen - grants[function])
        unused = sorted(grants[function] - seen)
        if missing or unused:
            report.append(
                f"{function}: "
                + (f"calls without a grant {missing}; " if missing else "")
                + (f"granted but never called in the suite {unused}; " if unused else "")
                + f"its DynamoDB statements should be:\n{lp.statements(seen)}"
            )
    assert not report, "\n\n".join(report)


def test_the_check_reads_grants_exactly() -> None:
    """The parser the check relies on: a CrudPolicy, a Scan, a wildcard or an ARN it cannot read fail."""
    template = {
        "Resources": {
            "T": {"Type": "AWS::DynamoDB::Table"},
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Policies": [
                        {"DynamoDBCrudPolicy": {"TableName": {"Ref": "T"}}},
                        {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": ["dynamodb:GetItem", "dynamodb:Scan"],
                                    "Resource": [{"Fn::GetAtt": ["T", "Arn"]}],
                                },
                                {
                                    "Effect": "Allow",
                                    "Action": "dynamodb:Query",
                                    "Resource": [{"Fn::Sub": "${T.Arn}/index/by_x"}, {"Fn::Sub": "${T.Arn}/index/*"}],
                                },
                            ]
                        },
                    ]
                },
            },
        }
    }
    grants, problems = lp.granted(template)
    assert grants["Fn"] == {("dynamodb:GetItem", "T"), ("dynamodb:Scan", "T"), ("dynamodb:Query", "T/index/by_x")}
    assert any("DynamoDBCrudPolicy" in p for p in problems)
    assert any("dynamodb:Scan is never granted" in p for p in problems)
    assert any("index/*" in p for p in problems)
    # A transaction needs the item-level action on each item's table; an index query, the index.
    assert lp.needs(
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": "p-Ledger"}},
                {"Update": {"TableName": "p-Accounts"}},
                {"ConditionCheck": {"TableName": "p-Tickets"}},
            ]
        },
    ) == [
        ("dynamodb:PutItem", "p-Ledger", None),
        ("dynamodb:UpdateItem", "p-Accounts", None),
        ("dynamodb:ConditionCheckItem", "p-Tickets", None),
    ]
    assert lp.needs("Query", {"TableName": "p-T", "IndexName": "by_x"}) == [("dynamodb:Query", "p-T", "by_x")]
