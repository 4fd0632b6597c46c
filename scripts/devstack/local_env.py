"""What the functions' environment holds locally where AWS would hold something else (issue 4):

* ``STRIPE_API_KEY`` - from the caller's environment when set (a Stripe *test* key makes orders use real
  Stripe Checkout); empty otherwise, which means the local payment page stands in for Checkout.
* ``STRIPE_WEBHOOK_SECRET`` - from the caller's environment when set (e.g. what ``stripe listen`` prints),
  else ``LOCAL_WEBHOOK_SECRET``. The local payment page signs its events with it, as Stripe would.
* ``JWKS_URL`` - the local signing key's JWKS file (``jwt_local``), where AWS has Cognito's URL.
* ``WEBSITE_URL`` - the local gateway, which serves the order form and the payment page.
* ``LOCAL_CHECKOUT_URL`` - that gateway too, where the local payment page is: read by the local payment
  adapters (``adapters.py``) of the stack's or the tests' process (a worker's are given it by its bootstrap),
  never a function's variable.
* ``OUTBOX_DIR`` - where e-mails go instead of SES (``.local/outbox`` unless set): read by the local
  adapters (``adapters.py``) of the stack's or the tests' process, never a function's variable.

In AWS the secrets come from SSM (``*_PARAM``): locally the parameters are dropped so nothing calls AWS.

``lambda_environment`` is the whole environment of one function's worker process (the process runtime,
``scripts/buildtools/build_check.py``): its template variables with only those swaps its own variables ask for,
and what Lambda sets itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

# Documented in README.md ("Payments locally"). Not a secret: it signs events of the local page only.
LOCAL_WEBHOOK_SECRET = "whsec_hourbank_local_development_only"
PARAMS = ("STRIPE_API_KEY_PARAM", "STRIPE_WEBHOOK_SECRET_PARAM")
DEFAULT_OUTBOX = Path(__file__).resolve().parents[2] / ".local" / "outbox"
LOCAL_SUPPORT_EMAIL = "support@hourbank.local"  # API.md "Mail, locally"


def webhook_secret(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("STRIPE_WEBHOOK_SECRET", "").strip() or LOCAL_WEBHOOK_SECRET


def payment_env(
    base_url: str, environ: Mapping[str, str] | None = None, *, outbox_dir: str | None = None
) -> dict[str, str]:
    """The local values of the payment functions' variables, for a stack served at ``base_url``."""
    from devstack.jwt_local import issuer_and_audience, key_dir, signing_key

    env = os.environ if environ is None else environ
    signing_key()  # the JWKS file exists before any function looks for it
    issuer, audience = issuer_and_audience()
    return {
        "STRIPE_API_KEY": env.get("STRIPE_API_KEY", "").strip(),
        "STRIPE_WEBHOOK_SECRET": webhook_secret(env),
        "JWT_ISSUER": issuer,
        "JWT_AUDIENCE": " ".join(audience),
        "JWKS_URL": (key_dir() / "jwks.json").as_uri(),
        "LOCAL_CHECKOUT_URL": base_url.rstrip("/"),
        "WEBSITE_URL": base_url.rstrip("/"),
        # E-mails (SPEC O5) become files here instead of going through SES.
        "OUTBOX_DIR": env.get("OUTBOX_DIR", "").strip() or outbox_dir or str(DEFAULT_OUTBOX),
    }


def lambda_environment(
    spec: object, *, endpoint: str, base_url: str, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The template's variables of ``spec`` (a ``lambda_runtime.FunctionSpec``), with AWS-only values
    swapped for the local stack's stand-ins - each only where this function's own variables call for it -
    and what Lambda adds (region, function name and memory, credentials; here the local ones and the
    DynamoDB Local ``endpoint``). ``environ``: where a developer's STRIPE_API_KEY / STRIPE_WEBHOOK_SECRET
    may come from (``{}``: never)."""
    from devstack.aws_env import LOCAL_AWS_ENV

    env = dict(getattr(spec, "environment"))  # noqa: B009 - any object with the FunctionSpec fields
    local = payment_env(base_url, environ)
    if env.pop("STRIPE_API_KEY_PARAM", None) is not None or "STRIPE_API_KEY" in env:
        env["STRIPE_API_KEY"] = local["STRIPE_API_KEY"]
    if env.pop("STRIPE_WEBHOOK_SECRET_PARAM", None) is not None or "STRIPE_WEBHOOK_SECRET" in env:
        env["STRIPE_WEBHOOK_SECRET"] = local["STRIPE_WEBHOOK_SECRET"]
    for name in ("JWT_ISSUER", "JWT_AUDIENCE", "JWKS_URL", "WEBSITE_URL"):
        if name in env:
            env[name] = local[name]
    if "SUPPORT_EMAIL" in env:  # SPEC E1, API.md "Mail, locally": the support address is this one locally
        env["SUPPORT_EMAIL"] = LOCAL_SUPPORT_EMAIL
    for name in ("OUTBOX_DIR", "LOCAL_CHECKOUT_URL"):
        env.pop(name, None)  # the local adapters' business, not the function's
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",  # Lambda's
        "AWS_LAMBDA_FUNCTION_NAME": str(getattr(spec, "logical_id")),  # noqa: B009
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(getattr(spec, "memory_mb")),  # noqa: B009
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_SAM_LOCAL": "true",  # as `sam local invoke` sets it: no X-Ray daemon to send traces to
        **LOCAL_AWS_ENV,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        **env,
    }


def apply(
    specs: Mapping[str, object],
    base_url: str,
    environ: MutableMapping[str, str] | None = None,
    *,
    outbox_dir: str | None = None,
) -> dict:
    """Point the functions (and this process, which runs them) at the local payment setup."""
    env = os.environ if environ is None else environ
    values = payment_env(base_url, env, outbox_dir=outbox_dir)
    for spec in specs.values():
        environment = getattr(spec, "environment", None)
        if environment is None or not set(environment) & {*PARAMS, "JWKS_URL", "WEBSITE_URL", "SENDER_EMAIL"}:
            continue  # neither payments nor e-mail
        for name in PARAMS:
            environment.pop(name, None)
        environment.update(values)
    for name in PARAMS:
        env.pop(name, None)
    env.update(values)
    return values
