"""Root conftest: an AWS environment that cannot reach AWS, DynamoDB Local, and markers by folder.

The environment is fixed at import, before any test module (or anything it imports) builds a boto3
client: a client captures region and credentials when it is made, so setting them later is too late.
Values are overridden, not defaulted: a developer's real credentials or profile must never leak in.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from devstack.adapters import install as install_local_adapters
from devstack.aws_env import isolate as isolate_aws_env
from tests.support import aws_hooks

if TYPE_CHECKING:
    from devstack.dynamodb_local import DynamoDBLocal

# Before anything builds a boto3 client: tests never reach AWS (scripts/devstack/aws_env.py).
isolate_aws_env()
# Before any botocore session exists: hooks on every client (least privilege, fault injection; issue 16).
aws_hooks.install()
# The local stack's stand-ins for SQS, SES, Cognito and the JWKS URL (scripts/devstack/adapters.py).
install_local_adapters()

TESTS = Path(__file__).resolve().parent
# Folder -> marker. Also the run order: in-process tests first, so none of them runs after the
# session-wide DynamoDB Local fixtures have pointed the environment at an engine.
KINDS = ("unit", "integration", "e2e")
# Where in-process tests pretend the local stack is served (checkout URLs point there).
LOCAL_BASE_URL = "http://127.0.0.1:3000"


def pytest_configure(config: pytest.Config) -> None:
    from tests.support import least_privilege

    config.pluginmanager.register(least_privilege, "hourbank-least-privilege")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder, so `pytest -m unit` and friends cannot miss a test that forgot its marker."""
    rank: dict[int, int] = {}
    for item in items:
        for index, kind in enumerate(KINDS):
            if item.path.is_relative_to(TESTS / kind):
                item.add_marker(kind)
                rank[id(item)] = index
                break
    items.sort(key=lambda item: rank.get(id(item), len(KINDS)))


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    """One in-memory engine per session on a free port; botocore (and so pynamodb) finds it through
    AWS_ENDPOINT_URL_DYNAMODB, exactly as the code finds the real service without any endpoint."""
    from devstack.dynamodb_local import start

    with start() as engine, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL_DYNAMODB", engine.endpoint)
        yield engine


@pytest.fixture(scope="session")
def tables(dynamodb_local: DynamoDBLocal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The template's tables under a random prefix, named to the code through the template's env vars."""
    from devstack.local_env import payment_env
    from devstack.template import create_tables, table_env

    names = create_tables(dynamodb_local.client(), f"t{secrets.token_hex(2)}")
    with pytest.MonkeyPatch.context() as mp:
        # The payment functions as the local stack runs them: the local payment page, the local secret.
        outbox = str(tmp_path_factory.mktemp("outbox"))  # e-mails (SPEC O5) as files
        queues = tmp_path_factory.mktemp("queues")  # SQS queues as directories (scripts/devstack/queues.py)
        mp.setenv("HOURBANK_QUEUE_DIR", str(queues))
        mp.setenv("MONTH_END_QUEUE_URL", (queues / "MonthEndQueue").as_uri())
        # Large statements (issue 23): the bucket's local name (lambda_runtime.local_refs); objects are files
        # beside the outbox (scripts/devstack/adapters.LocalExports).
        mp.setenv("STATEMENTS_BUCKET", "hourbank-local-statementsbucket")
        # Where S1 warnings go (the template's TechniciansEmail default): every address sent to is checked (issue 23).
        mp.setenv("TECHNICIANS_EMAIL", "technicians@example.com")
        for key, value in {**table_env(names), **payment_env(LOCAL_BASE_URL, outbox_dir=outbox)}.items():
            mp.setenv(key, value)
        _refresh_app_config(bind=True)
        yield names
    _refresh_app_config(bind=False)


def _refresh_app_config(bind: bool) -> None:
    """Settings are read once per process and the models bind once: make both see the current env."""
    settings = _optional_module("ports.settings")
    get_settings = getattr(settings, "get_settings", None)
    if get_settings is not None and hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    store = _optional_module("store.transactions")
    if bind and hasattr(store, "bind"):
        store.bind()


def _optional_module(name: str) -> ModuleType | None:
    """``hourbank.<name>``, or None while the application package does not have it yet.

    Only the module's own absence counts: an ImportError from inside it is a real bug and propagates.
    """
    try:
        return importlib.import_module(f"hourbank.{name}")
    except ImportError as exc:
        if exc.name in ("hourbank", f"hourbank.{name}"):
            return None
        raise
