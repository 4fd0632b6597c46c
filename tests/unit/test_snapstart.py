"""Issue 15: the API functions' cold import cannot reach 1.3 x ``import boto3`` while they validate requests
(docs/BENCHMARKS.md, "Issue 15: cold import per function"), so they run with Lambda SnapStart and a priming hook.

The hooks are run here as Lambda runs them: in a fresh interpreter per function, the handler module is imported
(Init), then the before-snapshot hooks that ``snapshot_restore_py`` (shipped by Lambda's Python runtimes; pinned in
requirements-dev.txt) holds are called in reverse order of registration, with every socket connection refused:
priming must not talk to AWS. Then the after-restore hooks, twice from one memory state, as two environments
restored from one snapshot would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from devstack.lambda_runtime import functions
from devstack.template import load_template

pytestmark = pytest.mark.unit

CHILD = r"""
import json, random, socket, sys
import snapshot_restore_py as hooks
import {module}

before = set(sys.modules)
def refused(*args, **kwargs):
    raise AssertionError("priming opened a connection")
socket.socket.connect = refused
socket.create_connection = refused

answers = []
for func, args, kwargs in reversed(hooks.get_before_snapshot()):  # Lambda: reverse order of registration
    answers.append(func(*args, **kwargs))

state = random.getstate()
draws = []
for _ in range(2):  # two environments restored from the same snapshot
    random.setstate(state)
    for func, args, kwargs in hooks.get_after_restore():
        func(*args, **kwargs)
    draws.append(random.random())
print(json.dumps({{"answers": answers, "primed": sorted(set(sys.modules) - before), "draws": draws}}))
"""


def api_functions() -> dict:
    return {
        name: spec
        for name, spec in functions(strict=False).items()
        if any(e.get("Type") == "HttpApi" for e in spec.events.values())
    }


def run_hooks(spec, init_type: str = "snap-start") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    path = [*(str(p) for p in spec.layer_paths), str(spec.code_uri)]
    env.update(spec.environment, PYTHONPATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1")
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = init_type  # Lambda sets snap-start for an Init it will snapshot
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(module=spec.handler.rsplit(".", 1)[0])],
        cwd=spec.code_uri,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_api_function_runs_with_snapstart_on_a_published_alias():
    resources = load_template()["Resources"]
    for name in api_functions():
        props = resources[name]["Properties"]
        assert props.get("SnapStart") == {"ApplyOn": "PublishedVersions"}, name
        assert props.get("AutoPublishAlias"), f"{name}: SnapStart applies to published versions only"


@pytest.mark.parametrize("name", sorted(n for n in api_functions() if n != "StripeWebhookFunction"))
def test_priming_answers_every_route_without_io_and_reaches_no_domain_code(name):
    spec = api_functions()[name]
    outcome = run_hooks(spec)
    (answers,) = [a for a in outcome["answers"] if a is not None]  # one resolver, primed once
    routes = {(m, p) for m, p, _ in answers}
    expected = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in spec.events.values()
        if event.get("Type") == "HttpApi"
    }
    assert routes == expected
    # 401: the priming identity is refused before any domain call; 400: a route that needs fields; GET /plans
    # reads only the catalogue shipped in the layer.
    assert {status for _, _, status in answers} <= {200, 400, 401}
    assert outcome["draws"][0] != outcome["draws"][1]  # reseeded after each restore


def test_priming_the_accounts_function_imports_what_its_lazy_routes_need():
    primed = run_hooks(api_functions()["AccountsApiFunction"])["primed"]
    assert {"hourbank.portal", "hourbank.reviews"} <= set(primed)


def test_priming_the_webhook_imports_stripe_for_the_signature_check():
    outcome = run_hooks(api_functions()["StripeWebhookFunction"])
    assert "stripe" in outcome["primed"]
    assert outcome["draws"][0] != outcome["draws"][1]


def test_no_hook_where_no_snapshot_is_taken():
    """An on-demand Init (and the local stack, which imports many environments in one process) registers nothing."""
    for name in ("CloseTicketFunction", "StripeWebhookFunction"):
        assert run_hooks(api_functions()[name], init_type="on-demand")["answers"] == []
