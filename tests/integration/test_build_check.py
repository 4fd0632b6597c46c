"""Issue 15: the check of the deploy artifact (scripts/buildtools/build_check.py) fails where AWS would.

A function that imports a library its layers do not ship (stripe without the PaymentsLayer), or that lacks
an environment variable it reads (its own, or one of Globals), fails the check; the unchanged artifact
passes it (the control, so each failure is the edit's doing). The edits are made to a copy of the built
template; the built code and layers are the real ones from ``make build``.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from buildtools.build_check import BUILD_DIR, check
from devstack.template import load_template

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK = "StripeWebhookFunction"


@pytest.fixture(scope="module")
def built() -> dict:
    """The built template; `make build` first when there is none or the template changed since."""
    target = BUILD_DIR / "template.yaml"
    if not target.exists() or target.stat().st_mtime < (ROOT / "template.yaml").stat().st_mtime:
        subprocess.run(["make", "build"], cwd=ROOT, check=True, capture_output=True)
    return load_template(target)


def _run(template: dict, tmp_path: Path, *functions: str):
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False))
    return {o.function: o for o in check(BUILD_DIR, path, list(functions))}


def test_the_unchanged_artifact_answers(built, tmp_path):
    outcomes = _run(built, tmp_path, WEBHOOK, "OrdersFunction")
    assert outcomes[WEBHOOK].ok and outcomes[WEBHOOK].summary == "HTTP 200", outcomes[WEBHOOK]
    assert outcomes["OrdersFunction"].ok and outcomes["OrdersFunction"].summary == "HTTP 201", outcomes


def test_a_library_from_a_layer_the_function_lacks_fails(built, tmp_path):
    edited = copy.deepcopy(built)
    props = edited["Resources"][WEBHOOK]["Properties"]
    props["Layers"] = [layer for layer in props["Layers"] if layer != {"Ref": "PaymentsLayer"}]
    assert len(props["Layers"]) == len(built["Resources"][WEBHOOK]["Properties"]["Layers"]) - 1
    outcome = _run(edited, tmp_path, WEBHOOK)[WEBHOOK]
    assert not outcome.ok
    assert "No module named 'stripe'" in outcome.detail, outcome


def test_a_missing_variable_of_the_function_fails(built, tmp_path):
    edited = copy.deepcopy(built)
    del edited["Resources"][WEBHOOK]["Properties"]["Environment"]["Variables"]["STRIPE_WEBHOOK_SECRET_PARAM"]
    outcome = _run(edited, tmp_path, WEBHOOK)[WEBHOOK]
    # The handler raises: a function error, which API Gateway turns into a 500 (Stripe retries).
    assert not outcome.ok and outcome.summary.startswith("raised: RuntimeError"), outcome
    assert "no Stripe webhook secret" in outcome.detail, outcome


def test_a_missing_global_variable_fails(built, tmp_path):
    edited = copy.deepcopy(built)
    del edited["Globals"]["Function"]["Environment"]["Variables"]["ORDERS_TABLE"]
    outcome = _run(edited, tmp_path, "OrdersFunction")["OrdersFunction"]
    assert not outcome.ok
    assert "ORDERS_TABLE is not set" in outcome.detail, outcome
