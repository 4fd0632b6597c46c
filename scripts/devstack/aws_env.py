"""The AWS environment of everything local (tests, the stack, benchmarks, invoke): dummy keys, one region,
no profile or config files, so nothing can reach real AWS or pick up a developer's settings. The region is
fixed because the local JWT issuer is derived from it (a token minted in one shell must verify in another).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

LOCAL_AWS_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # DynamoDB Local accepts any key
    # ~/.aws/config can set endpoints, SSO or credential processes per service: read none of it.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
# Credentials and endpoints a developer's shell may carry; an endpoint left over would redirect clients.
DROPPED_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
)


def isolate(environ: MutableMapping[str, str] | None = None, *, endpoint: str | None = None) -> None:
    """Make ``environ`` (default ``os.environ``) local-only; point DynamoDB at ``endpoint`` when given."""
    env = os.environ if environ is None else environ
    for name in DROPPED_AWS_ENV:
        env.pop(name, None)
    env.update(LOCAL_AWS_ENV)
    if endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
