"""template.yaml -> create_table kwargs, checked by botocore's own validator without any engine.

A CloudFormation-only property passed to create_table fails at the API; one silently dropped would
make the local schema drift from the deployed one. Both are caught here in milliseconds.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from devstack.template import CfnLoader, load_template, table_definitions, table_env

pytestmark = pytest.mark.unit


def _walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _walk_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _walk_keys(item)}
    return set()


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_every_table_becomes_valid_create_table_kwargs(template: dict[str, Any]) -> None:
    definitions = table_definitions(template)
    declared = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert set(definitions) == declared

    client = boto3.client("dynamodb")
    accepted = set(client.meta.service_model.operation_model("CreateTable").input_shape.members)
    for logical_id, kwargs in definitions.items():
        assert "TableName" not in kwargs, logical_id
        assert set(kwargs) <= accepted, logical_id
        keys = _walk_keys(kwargs)
        assert "PointInTimeRecoverySpecification" not in keys, logical_id
        assert not {k for k in keys if k == "Ref" or k.startswith("Fn::")}, logical_id
        props = template["Resources"][logical_id]["Properties"]
        for kept in ("AttributeDefinitions", "KeySchema", "BillingMode"):
            assert kwargs[kept] == props[kept], (logical_id, kept)
        if "StreamSpecification" in props:
            assert kwargs["StreamSpecification"]["StreamEnabled"] is True
        # The stubbed call runs botocore's parameter validation, exactly as a real call would.
        with Stubber(client) as stub:
            request = {"TableName": f"t-{logical_id}", **kwargs}
            stub.add_response("create_table", {}, request)
            client.create_table(**request)
            stub.assert_no_pending_responses()


def test_cloudformation_only_properties_are_dropped() -> None:
    template = yaml.load(
        """
Resources:
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub things-${Stage}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}, {AttributeName: g, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: by_g
          KeySchema: [{AttributeName: g, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
          ContributorInsightsSpecification: {Enabled: true}
      StreamSpecification: {StreamViewType: KEYS_ONLY, ResourcePolicy: {PolicyDocument: {}}}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true}
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
      DeletionProtectionEnabled: true
      Tags: [{Key: stage, Value: !Ref Stage}]
  NotATable:
    Type: AWS::SNS::Topic
""",
        Loader=CfnLoader,
    )
    assert table_definitions(template) == {
        "Things": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by_g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            "StreamSpecification": {"StreamViewType": "KEYS_ONLY", "StreamEnabled": True},
        }
    }


def test_an_unresolvable_intrinsic_is_an_error() -> None:
    template = {
        "Resources": {
            "T": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "ProvisionedThroughput": {"ReadCapacityUnits": {"Ref": "Rcu"}, "WriteCapacityUnits": 1},
                },
            }
        }
    }
    with pytest.raises(ValueError, match="Ref"):
        table_definitions(template)


def test_short_tags_load_as_long_forms() -> None:
    loaded = yaml.load(
        "a: !GetAtt Table.StreamArn\n"
        "b: !If [IsProd, !Ref A, !Ref AWS::NoValue]\n"
        "c: !Sub ['${X}', {X: !ImportValue Y}]\n"
        "d: !Condition IsProd\n"
        "e: !Equals [!Select [0, !Split [',', !Join [',', [a, b]]]], a]\n",
        Loader=CfnLoader,
    )
    assert loaded == {
        "a": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "b": {"Fn::If": ["IsProd", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]},
        "c": {"Fn::Sub": ["${X}", {"X": {"Fn::ImportValue": "Y"}}]},
        "d": {"Condition": "IsProd"},
        "e": {
            "Fn::Equals": [
                {"Fn::Select": [0, {"Fn::Split": [",", {"Fn::Join": [",", ["a", "b"]]}]}]},
                "a",
            ]
        },
    }


def test_table_env_maps_only_table_refs(template: dict[str, Any]) -> None:
    tables = table_definitions(template)
    names = {logical_id: f"p-{logical_id}" for logical_id in tables}
    env = table_env(names, template)
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env == {
        var: names[value["Ref"]]
        for var, value in variables.items()
        if isinstance(value, dict) and value.get("Ref") in tables
    }
    parameters = template.get("Parameters", {})
    parameter_refs = {
        var for var, value in variables.items() if isinstance(value, dict) and value.get("Ref") in parameters
    }
    assert parameter_refs, "the template's Globals !Ref no parameter: this check lost its point"
    assert not parameter_refs & set(env)
    with pytest.raises(KeyError, match="was not created"):
        table_env({}, template)
