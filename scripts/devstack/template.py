"""The SAM template as the single source of the tables: local engines get exactly what CloudFormation gets.

Tests and the local stack create their tables from ``template.yaml`` instead of a copy of its key schemas,
so a changed index or key shows up locally the moment the template changes, and the environment variables
that name the tables are read from the template's Globals, just as Lambda receives them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import yaml
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.model import Shape, StructureShape

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
TABLE_TYPE = "AWS::DynamoDB::Table"

# Short tag -> the long form CloudFormation turns it into. Ref and Condition keep their bare names.
_FN_TAGS = "Sub GetAtt If Join Select Split Equals Not And Or FindInMap ImportValue Base64 Cidr GetAZs"
_SHORT_TAGS = {"Ref": "Ref", "Condition": "Condition", **{tag: f"Fn::{tag}" for tag in _FN_TAGS.split()}}

# Properties copied to create_table. The rest is CloudFormation-only (PointInTimeRecoverySpecification,
# TimeToLiveSpecification, Kinesis, ContributorInsights, ImportSource), shaped differently from the API
# (SSESpecification, ResourcePolicy), or would get in the way of throw-away local tables (TableName: the
# caller names tables; DeletionProtectionEnabled; Tags, which often hold unresolvable !Sub values).
_COPIED = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "OnDemandThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
    "TableClass",
)
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short tags (``!Ref X``) as their long forms."""


def _tag_constructor(long_name: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt":
                # "!GetAtt Res.Attr" is the short form of ["Res", "Attr"].
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {long_name: value}

    return construct


for _short, _long in _SHORT_TAGS.items():
    CfnLoader.add_constructor(f"!{_short}", _tag_constructor(_long))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with Path(path).open(encoding="utf-8") as fh:
        template = yaml.load(fh, Loader=CfnLoader)  # CfnLoader is a SafeLoader: no arbitrary objects
    if not isinstance(template, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return template


@cache
def _create_table_shape() -> StructureShape:
    """CreateTable's input as botocore models it: the authority on which keys create_table accepts."""
    model = botocore.session.get_session().get_service_model("dynamodb")
    shape = model.operation_model("CreateTable").input_shape
    if shape is None:
        raise RuntimeError("botocore has no input shape for DynamoDB CreateTable")
    return shape


def _prune(value: Any, shape: Shape) -> Any:
    """Drop members the API shape does not know (CloudFormation adds some inside indexes and streams)."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return {k: _prune(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if shape.type_name == "list" and isinstance(value, list):
        return [_prune(item, shape.member) for item in value]  # type: ignore[attr-defined]
    return value


def _reject_intrinsics(value: Any, where: str) -> None:
    """A local table cannot resolve !Ref or !Sub; better a clear error than a table built from a dict."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" or key.startswith("Fn::"):
                raise ValueError(f"{where} uses {key}, which cannot be resolved for a local table")
            _reject_intrinsics(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_intrinsics(item, f"{where}[{index}]")


def _tables(template: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    resources = template.get("Resources") or {}
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if isinstance(resource, Mapping) and resource.get("Type") == TABLE_TYPE
    }


def table_definitions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``create_table`` keyword arguments (without TableName) for every table, by logical id."""
    shape = _create_table_shape()
    definitions: dict[str, dict[str, Any]] = {}
    for logical_id, resource in _tables(template).items():
        props = resource.get("Properties") or {}
        kwargs = {key: props[key] for key in _COPIED if key in props}
        if "StreamSpecification" in kwargs:
            # CloudFormation implies StreamEnabled by the presence of the block; the API wants it said.
            kwargs["StreamSpecification"] = {**kwargs["StreamSpecification"], "StreamEnabled": True}
        kwargs = _prune(kwargs, shape)
        _reject_intrinsics(kwargs, logical_id)
        definitions[logical_id] = kwargs
    return definitions


def create_tables(client: BaseClient, prefix: str, template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Create every template table as ``{prefix}-{LogicalId}``; tables that already exist are left alone.

    Returns ``{logical_id: table_name}`` once all of them are ACTIVE.
    """
    template = load_template() if template is None else template
    names: dict[str, str] = {}
    for logical_id, kwargs in table_definitions(template).items():
        name = f"{prefix}-{logical_id}"
        if not _TABLE_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid DynamoDB table name (check the prefix)")
        try:
            client.create_table(TableName=name, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise
            _add_missing_indexes(client, name, kwargs)  # data kept from before the template grew an index
        names[logical_id] = name
    waiter = client.get_waiter("table_exists")  # waits for ACTIVE, not just for the name
    for name in names.values():
        waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return names


def _add_missing_indexes(client: BaseClient, name: str, kwargs: Mapping[str, Any]) -> None:
    """Add the template's GSIs an existing table lacks, one UpdateTable each (as a stack update would)."""
    table = client.describe_table(TableName=name)["Table"]
    have = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes") or []}
    wanted = [i for i in kwargs.get("GlobalSecondaryIndexes") or [] if i["IndexName"] not in have]
    for index in wanted:
        used = {k["AttributeName"] for k in index["KeySchema"]}
        client.update_table(
            TableName=name,
            AttributeDefinitions=[a for a in kwargs["AttributeDefinitions"] if a["AttributeName"] in used],
            GlobalSecondaryIndexUpdates=[{"Create": {k: v for k, v in index.items() if k != "ProvisionedThroughput"}}],
        )
        for _ in range(120):  # the new index backfills, then turns ACTIVE
            indexes = client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes") or []
            if all(i.get("IndexStatus") == "ACTIVE" for i in indexes if i["IndexName"] == index["IndexName"]):
                break
            time.sleep(0.25)


def table_env(names: Mapping[str, str], template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The Globals environment variables that ``!Ref`` a table, mapped to the actual table names."""
    template = load_template() if template is None else template
    tables = _tables(template)
    variables = (((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}).get(
        "Variables"
    ) or {}
    env: dict[str, str] = {}
    for var, value in variables.items():
        if isinstance(value, Mapping) and set(value) == {"Ref"} and value["Ref"] in tables:
            logical_id = value["Ref"]
            if logical_id not in names:
                raise KeyError(f"{var} refers to {logical_id}, which was not created (names: {sorted(names)})")
            env[var] = names[logical_id]
    return env
