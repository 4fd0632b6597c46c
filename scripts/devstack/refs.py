"""What the template's intrinsics mean on this machine: ``!Ref`` of a table, a queue, a parameter or the user
pool, ``!GetAtt`` of an ARN, ``!Sub`` of those. The runtime resolves function variables with it, the JWT
check the authorizer's issuer and audience, the schedules their time zones, the queues their URLs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devstack.template import REPO_ROOT

# What !Ref UserPool / !Ref UserPoolClient mean locally (in AWS: "us-east-1_AbC123", a client id).
LOCAL_IDS = {"UserPool": "local_hourbank", "UserPoolClient": "local-web-client"}


def resolve(value: Any, refs: Mapping[str, str], strict: bool = True) -> Any:
    """Resolve the intrinsics a function's environment uses locally: !Ref of a table or parameter."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            if arg not in refs:
                if not strict:
                    return f"<unresolved {arg}>"
                raise KeyError(f"!Ref {arg} has no local value")
            return refs[arg]
        if key == "Fn::GetAtt":
            name = ".".join(arg) if isinstance(arg, list) else arg
            if name not in refs:
                raise KeyError(f"!GetAtt {name} has no local value")
            return refs[name]
        if key == "Fn::Sub" and isinstance(arg, str):
            out = arg
            for ref, val in refs.items():
                out = out.replace("${" + ref + "}", str(val))
            return out
    return value


def local_refs(
    template: Mapping[str, Any], table_names: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What !Ref means locally: tables → their local names, parameters → their defaults (or overrides)."""
    refs: dict[str, str] = {
        "AWS::Region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS::AccountId": "000000000000",
        "AWS::StackName": "hourbank-local",
        **LOCAL_IDS,
    }
    for name, param in (template.get("Parameters") or {}).items():
        if "Default" in param:
            refs[name] = str(param["Default"])
    # Queues are directories locally (scripts/devstack/queues.py): !Ref is a file:// URL, as SQS's is https.
    queue_root = Path(os.environ.get("HOURBANK_QUEUE_DIR") or REPO_ROOT / ".local" / "queues")
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") == "AWS::SQS::Queue":
            refs[name] = (queue_root / name).as_uri()
            refs[f"{name}.Arn"] = f"arn:aws:sqs:us-east-1:000000000000:{name}"
            refs[f"{name}.QueueName"] = name
        if res.get("Type") == "AWS::SES::ConfigurationSet":  # the outbox mailer sends through none locally
            refs[name] = f"hourbank-local-{name.lower()}"
        if res.get("Type") == "AWS::S3::Bucket":  # objects are files locally (adapters.LocalExports)
            refs[name] = f"hourbank-local-{name.lower()}"
            refs[f"{name}.Arn"] = f"arn:aws:s3:::hourbank-local-{name.lower()}"
    refs.update(table_names)
    for logical_id, name in table_names.items():
        refs[f"{logical_id}.Arn"] = f"arn:aws:dynamodb:local:000000000000:table/{name}"
    refs.update(overrides or {})
    return refs
