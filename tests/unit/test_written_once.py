"""Issue 15: the same idea written once. Each test fails if a second copy of the idea comes back."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "core" / "python" / "hourbank"


def _sources(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _where(pattern: str, base: Path = LAYER) -> list[str]:
    rx = re.compile(pattern, re.M)
    return [str(p.relative_to(ROOT)) for p in _sources(base) if rx.search(p.read_text(encoding="utf-8"))]


def test_one_system_clock() -> None:
    assert _where(r"SystemClock\(\)") == ["layers/core/python/hourbank/kernel/clock.py"]


def test_one_optimistic_commit_helper() -> None:
    # Every "refused: read again" is store.commit_or_retry; no module raises Retry from a TxFailed itself.
    assert _where(r"except TxFailed[^\n]*\n(?:[^\n]*\n){0,6}?\s*raise _?Retry\(\) from exc") == [
        "layers/core/python/hourbank/store/transactions.py"
    ]


def test_one_home_for_iso_times_and_hours_text() -> None:
    assert _where(r"^def iso\(") == ["layers/core/python/hourbank/kernel/clock.py"]
    assert _where(r"^def parse_iso\(") == ["layers/core/python/hourbank/kernel/clock.py"]
    assert _where(r"^def hours_text\(") == ["layers/core/python/hourbank/rating/consumption.py"]
    assert _where(r"from hourbank\.tickets\.common import[^\n]*\b(iso|parse_iso)\b") == []


def test_one_builder_of_the_error_body() -> None:
    """API.md's ``{"error": {"code", "message"}}`` is built in hourbank.kernel.errors alone; the API's error map, the
    resolver's 401 and the webhook function all use it."""
    from hourbank.kernel.errors import error_body, error_result

    assert error_body("not_found", "no ticket") == {"error": {"code": "not_found", "message": "no ticket"}}
    assert error_body("invalid_input", "x", {"fields": ["a"]})["error"]["details"] == {"fields": ["a"]}
    assert json.loads(error_result(401, "unauthorized", "sign in")["body"]) == error_body("unauthorized", "sign in")
    literal = r"""^[^`\n]*\{\s*["']error["']\s*:\s*\{\s*["']code["']"""  # in code, not in a docstring
    assert _where(literal) + _where(literal, ROOT / "functions") == []
    assert _where(r"error_body\(|error_result\(") == [
        "layers/core/python/hourbank/api/resolver.py",
        "layers/core/python/hourbank/kernel/errors.py",
        # the webhook function's answers (issue 15: not in app.py)
        "layers/core/python/hourbank/payments/webhook_endpoint.py",
    ]


def test_scripts_never_import_tests() -> None:
    """scripts <-> tests one way only: tests may import the local stack (scripts/), scripts never import tests/."""
    offenders = []
    for path in _sources(ROOT / "scripts"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n == "tests" or n.startswith("tests.")
            ]
    assert offenders == []


class _Refusing:
    """A Tx whose commit is cancelled with the given refusals (or a bare conflict)."""

    def __init__(self, refused: dict, conflict: bool = False) -> None:
        self.refused, self.conflict = refused, conflict

    def commit(self) -> None:
        from hourbank.store.transactions import TxFailed

        if self.refused or self.conflict:
            raise TxFailed(self.refused, self.conflict, RuntimeError("cancelled"))


def test_commit_or_retry_answers_reads_again_or_lets_a_conflict_through() -> None:
    from hourbank.store.transactions import Retry, TxFailed, commit_or_retry

    assert commit_or_retry(_Refusing({})) is None  # committed
    assert commit_or_retry(_Refusing({"idempotency": None}), unless=("idempotency",)) == {"idempotency": None}
    with pytest.raises(Retry):  # what the attempt read has changed: read again
        commit_or_retry(_Refusing({"account": None}), unless=("idempotency",))
    with pytest.raises(TxFailed):  # a conflict without a refusal: with_retries tries again
        commit_or_retry(_Refusing({}, conflict=True))


# -- issue 20: idioms written once ------------------------------------------------------------------


def test_one_conditional_write_idiom() -> None:
    """'Write if the condition holds, else someone came first' is store.saved_if/updated_if; no module reads
    DynamoDB's ConditionalCheckFailedException itself."""
    assert _where(r"ConditionalCheckFailedException") == ["layers/core/python/hourbank/store/transactions.py"]


class _Item:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.calls: list[tuple] = []

    def save(self, condition=None) -> None:
        self.calls.append(("save", condition))
        if self.error:
            raise self.error

    def update(self, actions, condition=None) -> None:
        self.calls.append(("update", actions, condition))
        if self.error:
            raise self.error


def _failed(kind: type[Exception], code: str) -> Exception:
    from botocore.exceptions import ClientError

    return kind("refused", ClientError({"Error": {"Code": code, "Message": "m"}}, "PutItem"))


def test_saved_if_and_updated_if_answer_a_refused_condition_and_raise_anything_else() -> None:
    from pynamodb.exceptions import PutError, UpdateError

    from hourbank.store.transactions import saved_if, updated_if

    assert saved_if(_Item(None), "cond") is True
    assert saved_if(_Item(_failed(PutError, "ConditionalCheckFailedException")), "cond") is False
    assert updated_if(_Item(None), ["a"], "cond") is True
    item = _Item(_failed(UpdateError, "ConditionalCheckFailedException"))
    assert updated_if(item, ["a"], "cond") is False
    assert item.calls == [("update", ["a"], "cond")]
    with pytest.raises(PutError):
        saved_if(_Item(_failed(PutError, "ProvisionedThroughputExceededException")), "cond")
    with pytest.raises(UpdateError):
        updated_if(_Item(_failed(UpdateError, "ValidationException")), [], "cond")


def test_one_rule_for_a_time_given_by_staff() -> None:
    """When something happened: now or a past time only staff give, never the future (T3, S1): one rule."""
    assert _where(r"must not be in the future") == ["layers/core/python/hourbank/tickets/common.py"]


def test_one_reading_of_a_refused_accounts_available_minutes() -> None:
    assert _where(r"""get\(["']available_minutes["'], \{\}\)""") == ["layers/core/python/hourbank/tickets/common.py"]


def test_when_recorded() -> None:
    from datetime import UTC, datetime, timedelta

    from hourbank.kernel.errors import Forbidden, InvalidInput
    from hourbank.kernel.identity import Actor
    from hourbank.tickets.common import when_recorded

    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    staff, customer = Actor("s", frozenset({"technicians"})), Actor("c", frozenset({"customers"}), "acc_1")
    assert when_recorded(customer, None, now, staff_only="no") == now
    assert when_recorded(staff, now - timedelta(hours=2), now, staff_only="no") == now - timedelta(hours=2)
    with pytest.raises(Forbidden, match=r"^no$"):
        when_recorded(customer, now - timedelta(hours=2), now, staff_only="no")
    with pytest.raises(InvalidInput, match="opened_at: must not be in the future"):
        when_recorded(staff, now + timedelta(seconds=1), now, field="opened_at")


def test_one_rule_for_the_month_a_moment_is_listed_under() -> None:
    """SPEC M1, M3: the company-time month of a close, a visit's payment or refund is Settings.month_of."""
    assert _where(r"\.strftime\(\"%Y-%m\"\)") == [
        "layers/core/python/hourbank/ports/settings.py",
        "layers/core/python/hourbank/statements/monthly_statement.py",  # month arithmetic of the statement
    ]
    assert _where(r"calendar\(\)\.tz\)\.strftime") == ["layers/core/python/hourbank/ports/settings.py"]
