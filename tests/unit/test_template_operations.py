"""What on-call needs from template.yaml (issue 16, docs/RUNBOOK.md): for every function a log group with
the retention parameter and alarms on its errors and throttles; for every queue that holds failures an
alarm when it is not empty; the API's access logs and 5xx rate; month end late; refused signatures; every
table restorable to a point in time. A function or queue added without them fails here, by name.
"""

from __future__ import annotations

import pytest

from hourbank.ports import metrics
from scripts.localdev.template import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]


def of_type(kind: str) -> dict[str, dict]:
    return {name: res for name, res in RESOURCES.items() if res["Type"] == kind}


FUNCTIONS = of_type("AWS::Serverless::Function")
ALARMS = of_type("AWS::CloudWatch::Alarm")
TOPIC = {"Ref": "AlarmTopicArn"}


def alarms_on(namespace: str, metric: str, dimension: str, ref: dict) -> list[str]:
    return [
        name
        for name, res in ALARMS.items()
        if res["Properties"].get("Namespace") == namespace
        and res["Properties"].get("MetricName") == metric
        and {"Name": dimension, "Value": ref} in res["Properties"].get("Dimensions", [])
    ]


def failure_queues() -> set[str]:
    """Queues that receive what failed: on-failure destinations and redrive targets."""
    out = set()
    for res in FUNCTIONS.values():
        for event in (res["Properties"].get("Events") or {}).values():
            target = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}
            if "Destination" in target:
                out.add(target["Destination"]["Fn::GetAtt"][0])
    for res in of_type("AWS::SQS::Queue").values():
        redrive = res["Properties"].get("RedrivePolicy") or {}
        if "deadLetterTargetArn" in redrive:
            out.add(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
    return out


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_has_a_log_group_with_retention_and_error_and_throttle_alarms(function):
    groups = [
        res
        for res in of_type("AWS::Logs::LogGroup").values()
        if res["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    ]
    assert len(groups) == 1, f"{function}: add a {function}Logs log group named /aws/lambda/${{{function}}}"
    assert groups[0]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for metric in ("Errors", "Throttles"):
        found = alarms_on("AWS/Lambda", metric, "FunctionName", {"Ref": function})
        assert found, f"{function}: add a {function}{metric} alarm"
        assert all(ALARMS[a]["Properties"]["AlarmActions"] == [TOPIC] for a in found)


def test_every_failure_queue_alarms_when_not_empty():
    queues = failure_queues()
    assert queues >= {"BalanceWatchFailures", "InvoicingFailures", "MonthEndFailures"}
    for queue in sorted(queues):
        found = alarms_on(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", {"Fn::GetAtt": [queue, "QueueName"]}
        )
        assert found, f"{queue}: add a {queue}NotEmpty alarm"


def test_api_access_logs_5xx_rate_month_end_and_refused_signatures_alarm():
    api = RESOURCES["HttpApi"]["Properties"]
    assert api["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    assert RESOURCES["HttpApiAccessLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    rate = ALARMS["Api5xxRate"]["Properties"]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in rate["Metrics"] if "MetricStat" in m} == {"5xx", "Count"}
    assert alarms_on(
        "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", {"Fn::GetAtt": ["MonthEndQueue", "QueueName"]}
    ) == ["MonthEndLate"]
    names = {
        m["MetricStat"]["Metric"]["MetricName"]
        for m in ALARMS["MonthEndUnsettled"]["Properties"]["Metrics"]
        if "MetricStat" in m
    }
    assert names == {metrics.MONTH_END_ACCOUNTS_PLANNED, metrics.MONTH_END_ACCOUNTS_SETTLED}
    refused = ALARMS["RefusedWebhookSignatures"]["Properties"]
    assert refused["MetricName"] == metrics.WEBHOOK_EVENTS
    assert {"Name": "outcome", "Value": "refused_signature"} in refused["Dimensions"]
    for name, res in ALARMS.items():
        assert res["Properties"]["AlarmActions"] == [TOPIC], f"{name} must notify the alarm topic"


@pytest.mark.parametrize("table", sorted(of_type("AWS::DynamoDB::Table")))
def test_every_table_can_be_restored_to_a_point_in_time(table):
    spec = RESOURCES[table]["Properties"].get("PointInTimeRecoverySpecification") or {}
    assert spec.get("PointInTimeRecoveryEnabled") is True, f"{table}: docs/RUNBOOK.md restores tables from PITR"
