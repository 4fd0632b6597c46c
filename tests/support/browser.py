"""Fixtures for browser tests of the local stack's pages (issue 12; the order form's test has the same
ones inline and can import these): ``site`` (the gateway with ``web/``, the local payment page and the local
sign-in, on the session's DynamoDB Local tables), ``call`` (plain HTTP to it) and ``browser`` (Debian's
chromium through Playwright; skipped on a developer's machine without it, a failure in CI).

    from tests.support import browser as fixtures
    site, call, browser = fixtures.site, fixtures.call, fixtures.browser
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.http_client import Reply, request

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tables: dict[str, str]) -> Iterator[str]:
    """The local stack's gateway with its pages, as ``python -m devstack up`` serves it."""
    from buildtools.web_build import ensure_built
    from devstack import gateway, lambda_runtime, local_env
    from devstack.web import WEB_ROOT, LocalPages
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

    ensure_built()
    saved = dict(os.environ)
    specs = lambda_runtime.functions(table_names=tables)
    lambda_runtime.apply_environment(specs)
    served = gateway.start(
        specs, host="127.0.0.1", port=0, pages=LocalPages(WEB_ROOT, lambda: served.url, local_env.webhook_secret)
    )
    local_env.apply(specs, served.url)
    lambda_runtime.retire_environments()  # new configuration, new execution environments
    get_settings.cache_clear()
    transactions.bind()
    try:
        yield served.url
    finally:
        served.stop()
        os.environ.clear()
        os.environ.update(saved)
        lambda_runtime.retire_environments()
        get_settings.cache_clear()
        transactions.bind()


@pytest.fixture(scope="module")
def call(site: str) -> Callable[..., Reply]:
    def send(
        method: str, path: str, body: Any = None, token: str | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return request(site, method, path, body, token, headers)

    return send


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI, but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_page(browser: Any, site: str) -> Iterator[Callable[..., Any]]:
    """``new_page(viewport=None, timezone=...)``: a page in a context of its own (desktop size by default), its
    JavaScript errors collected on ``page.js_errors``; every context is closed after the test."""
    contexts: list[Any] = []

    def make(viewport: dict | None = None, timezone: str = "America/New_York") -> Any:
        context = browser.new_context(
            base_url=site,
            locale="en-US",
            timezone_id=timezone,
            accept_downloads=True,
            viewport=viewport or {"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()
