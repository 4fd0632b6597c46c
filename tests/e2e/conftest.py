"""End-to-end fixtures: the template's functions behind the local gateway, driven over real HTTP.

* ``gateway`` (session): a ``scripts.localdev.gateway.Gateway`` on a free port, every HttpApi route of
  template.yaml, the functions' environment from the template with the session's DynamoDB Local tables.
* ``gateway_url`` (session): its base URL, ``"http://127.0.0.1:PORT"``.
* ``http`` (session): ``http(method, path, body=None, token=None, headers=None) -> (status, json)``; a dict
  or list body is sent as JSON, str/bytes as they are; never raises for a 4xx/5xx.
* ``http_reply`` (session): the same call returning a ``Reply`` with the response headers too.
* ``token`` (session): ``scripts.localdev.jwt_local.mint`` - ``token("customer", account_id=...)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from scripts.localdev.http_client import Reply, request

if TYPE_CHECKING:
    from scripts.localdev.gateway import Gateway


def _refresh_app_config() -> None:
    """The application reads its settings once and binds its models once: make both see the env now."""
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

    get_settings.cache_clear()
    transactions.bind()


@contextmanager
def serve(tables: dict[str, str]) -> Iterator[Gateway]:
    """The template's functions behind a local gateway on ``tables``; the environment before comes back after
    (a module with tables of its own nests this inside the session's gateway)."""
    from scripts.localdev import gateway as local_gateway
    from scripts.localdev import lambda_runtime, local_env
    from scripts.localdev.lambda_runtime import apply_environment, functions

    saved = dict(os.environ)
    specs = functions(table_names=tables)
    apply_environment(specs)
    _refresh_app_config()
    served = local_gateway.start(specs, host="127.0.0.1", port=0)
    local_env.apply(specs, served.url)  # the payment page and the order form are this gateway's
    _refresh_app_config()
    lambda_runtime.retire_environments()  # handlers that cached the in-process tests' settings start cold
    try:
        yield served
    finally:
        served.stop()
        lambda_runtime.retire_environments()
        os.environ.clear()
        os.environ.update(saved)
        _refresh_app_config()


@pytest.fixture(scope="session")
def gateway(tables: dict[str, str]) -> Iterator[Gateway]:
    with serve(tables) as served:
        yield served


@pytest.fixture(scope="session")
def gateway_url(gateway: Gateway) -> str:
    return gateway.url


@pytest.fixture(scope="session")
def http_reply(gateway_url: str) -> Callable[..., Reply]:
    def call(
        method: str, path: str, body: Any = None, token: str | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return request(gateway_url, method, path, body, token, headers)

    return call


@pytest.fixture(scope="session")
def http(http_reply: Callable[..., Reply]) -> Callable[..., tuple[int, Any]]:
    def call(
        method: str, path: str, body: Any = None, token: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        reply = http_reply(method, path, body, token, headers)
        return reply.status, reply.body

    return call


@pytest.fixture(scope="session")
def token() -> Callable[..., str]:
    from scripts.localdev.jwt_local import mint

    return mint
