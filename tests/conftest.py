"""Root conftest: an AWS environment that cannot reach AWS, DynamoDB Local, and markers by folder.

The environment is fixed at import, before any test module (or anything it imports) builds a boto3
client: a client captures region and credentials when it is made, so setting them later is too late.
Values are overridden, not defaulted: a developer's real credentials or profile must never leak in.
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from scripts.localdev.dynamodb_local import DynamoDBLocal

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        # ~/.aws/config can set endpoints, SSO or credential processes per service: read none of it.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
)
for _name in (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    # Set only by the dynamodb_local fixture; one left over from a shell would redirect moto's clients.
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
):
    os.environ.pop(_name, None)

TESTS = Path(__file__).resolve().parent
# Folder -> marker. Also the run order: in-process tests first, so none of them runs after the
# session-wide DynamoDB Local fixtures have pointed the environment at an engine.
KINDS = ("unit", "integration", "e2e")


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
    from scripts.localdev.dynamodb_local import start

    with start() as engine, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL_DYNAMODB", engine.endpoint)
        yield engine


@pytest.fixture(scope="session")
def tables(dynamodb_local: DynamoDBLocal) -> Iterator[dict[str, str]]:
    """The template's tables under a random prefix, named to the code through the template's env vars."""
    from scripts.localdev.template import create_tables, table_env

    names = create_tables(dynamodb_local.client(), f"t{secrets.token_hex(2)}")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in table_env(names).items():
            mp.setenv(key, value)
        _refresh_app_config(bind=True)
        yield names
    _refresh_app_config(bind=False)


def _refresh_app_config(bind: bool) -> None:
    """Settings are read once per process and the models bind once: make both see the current env."""
    settings = _optional_module("settings")
    get_settings = getattr(settings, "get_settings", None)
    if get_settings is not None and hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    store = _optional_module("store")
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
