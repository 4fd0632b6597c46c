"""Issue 15: each API function loads only what its routes use. Before it, every API function imported every view
(``hourbank.api.views`` imported the tickets, orders and S1 code), so the close and the time entry - the hot
paths - loaded ``hourbank.orders`` and the request models of routes they do not serve.

Deterministic: each handler module is imported in a fresh interpreter, as Lambda's Init does (``/opt/python``:
the function's layers; ``/var/task``: its code), and ``sys.modules`` is read. Timings are the benchmark's
(``scripts/bench_cold_start.py``); this test guards the module sets that make them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scripts.localdev.lambda_runtime import functions

pytestmark = pytest.mark.unit

NEVER_AT_IMPORT = {"stripe", "jwt"}  # STYLE 10: imported by the request that needs them, never in Init

# Per function: packages of routes it does not serve. A module counts when it or a submodule of it is loaded.
NOT_ITS_ROUTES = {
    "CloseTicketFunction": {
        "hourbank.orders",
        "hourbank.payments",
        "hourbank.portal",
        "hourbank.reviews",
        "hourbank.statements",
        "hourbank.accounts",
        "hourbank.visits",
        "hourbank.tickets.service_levels",
        "hourbank.api.sla_schemas",
        "hourbank.api.schemas",
        "hourbank.api.routes",
    },
    "PostTimeEntryFunction": {
        "hourbank.orders",
        "hourbank.payments",
        "hourbank.portal",
        "hourbank.reviews",
        "hourbank.statements",
        "hourbank.accounts",
        "hourbank.tickets.closing",
        "hourbank.api.sla_schemas",
        "hourbank.api.routes",
    },
    "TicketsApiFunction": {
        "hourbank.orders",
        "hourbank.payments",
        "hourbank.portal",
        "hourbank.accounts",
        "hourbank.reviews",
        "hourbank.visits",
        "hourbank.api.routes.accounts",
        "hourbank.api.routes.orders",
    },
    "AccountsApiFunction": {
        "hourbank.orders",
        "hourbank.payments",
        "hourbank.tickets",
        "hourbank.visits",
        "hourbank.api.sla_schemas",
        "hourbank.api.routes.tickets",
        # its portal, review and statement routes import those packages when they are first called
        "hourbank.portal",
        "hourbank.reviews",
        "hourbank.statements",
    },
    "OrdersFunction": {
        "hourbank.tickets",
        "hourbank.visits",
        "hourbank.accounts",
        "hourbank.portal",
        "hourbank.api.sla_schemas",
        "hourbank.payments",  # the checkout is built by the first order (hourbank.api.checkout_port)
    },
    "VisitsApiFunction": {
        "hourbank.orders",
        "hourbank.tickets",
        "hourbank.portal",
        "hourbank.api.sla_schemas",
        "hourbank.payments",
    },
    "StripeWebhookFunction": {
        "aws_lambda_powertools.event_handler",  # no resolver: the webhook is not under hourbank.api
        "hourbank.api",
        "hourbank.portal",
        "hourbank.tickets",
        "hourbank.visits",
    },
}

CHILD = "import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"


def loaded_by_import(logical_id: str) -> set[str]:
    spec = functions(strict=False)[logical_id]
    path = [*(str(p) for p in spec.layer_paths), str(spec.code_uri)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(spec.environment, PYTHONPATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1")
    module = spec.handler.rsplit(".", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(module=module)],
        cwd=spec.code_uri,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _hits(loaded: set[str], packages: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("logical_id", sorted(NOT_ITS_ROUTES))
def test_an_api_function_imports_only_what_its_routes_use(logical_id):
    loaded = loaded_by_import(logical_id)
    assert _hits(loaded, NEVER_AT_IMPORT) == []
    assert _hits(loaded, NOT_ITS_ROUTES[logical_id]) == []


def test_every_api_function_is_guarded():
    """A new HTTP function gets its row here (the template's HttpApi events name them)."""
    api = {
        name
        for name, spec in functions(strict=False).items()
        if any(e.get("Type") == "HttpApi" for e in spec.events.values())
    }
    assert api == set(NOT_ITS_ROUTES)
