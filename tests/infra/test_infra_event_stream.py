"""The event stream's consumer (metrics from every event), the optional EventBridge bus, and the
Firehose delivery streams fed from it."""

from __future__ import annotations

import json

from aws_cdk import assertions
from infra_support import (
    EVENT_STREAM_HANDLER,
    LOG_WRITE,
    XRAY,
    arn,
    events_topic,
    function,
    function_id,
    grants,
    keys,
    log_group_of,
    only,
)

FIREHOSE = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/mail-events"


def consumer_queue(template: assertions.Template) -> str:
    mappings = template.find_resources(
        "AWS::Lambda::EventSourceMapping",
        {"Properties": {"FunctionName": {"Ref": function_id(template, EVENT_STREAM_HANDLER)}}},
    )
    ((_, mapping),) = mappings.items()
    return str(mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0])


def test_the_consumer_takes_full_batches_and_reports_failures_alone(default: assertions.Template) -> None:
    default.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": function_id(default, EVENT_STREAM_HANDLER)},
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 1,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def test_the_queue_takes_the_events_topic_raw_and_from_it_alone(default: assertions.Template) -> None:
    queue, topic = consumer_queue(default), events_topic(default)
    default.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "sqs",
            "RawMessageDelivery": True,
            "TopicArn": {"Ref": topic},
            "Endpoint": {"Fn::GetAtt": [queue, "Arn"]},
        },
    )
    policies = default.find_resources("AWS::SQS::QueuePolicy")
    statements = [
        statement
        for policy in policies.values()
        if {"Ref": queue} in policy["Properties"]["Queues"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    assert statements == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}},
        }
    ]
    main, _ = keys(default)
    default.has_resource_properties(
        "AWS::SQS::Queue",
        {"KmsMasterKeyId": {"Fn::GetAtt": [main, "Arn"]}, "MessageRetentionPeriod": 1209600},
    )


def test_without_a_bus_the_consumer_only_reads_its_queue_and_writes_its_logs(
    default: assertions.Template,
) -> None:
    variables = function(default, EVENT_STREAM_HANDLER)["Properties"]["Environment"]["Variables"]
    assert "SESAME_EVENT_BUS_NAME" not in variables
    default.resource_count_is("AWS::Events::EventBus", 0)
    allowed = grants(default, EVENT_STREAM_HANDLER)
    main, _ = keys(default)
    assert allowed == {
        arn(consumer_queue(default)): {
            "sqs:ReceiveMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueUrl",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        },
        arn(main): {"kms:Decrypt"},
        arn(log_group_of(default, EVENT_STREAM_HANDLER)): LOG_WRITE,
        '"*"': XRAY,
    }


def test_with_a_bus_the_consumer_may_put_events_on_it_alone(full: assertions.Template) -> None:
    bus, props = only(full, "AWS::Events::EventBus")
    assert props["Properties"]["Name"] == "acme-mail-events"
    variables = function(full, EVENT_STREAM_HANDLER)["Properties"]["Environment"]["Variables"]
    assert variables["SESAME_EVENT_BUS_NAME"] == {"Ref": bus}
    allowed = grants(full, EVENT_STREAM_HANDLER)
    assert allowed[arn(bus)] == {"events:PutEvents"}
    assert [r for r, actions in allowed.items() if "events:PutEvents" in actions] == [arn(bus)]
    assert full.find_outputs("EventBusName")["EventBusName"]["Value"] == {"Ref": bus}


def test_each_firehose_stream_gets_the_event_records_through_a_rule_on_the_bus(
    full: assertions.Template,
) -> None:
    bus, _ = only(full, "AWS::Events::EventBus")
    _, rule = only(full, "AWS::Events::Rule", {"EventBusName": {"Ref": bus}})
    props = rule["Properties"]
    assert props["EventPattern"] == {"source": ["sesame.ses"]}
    (target,) = props["Targets"]
    # The record itself and a newline, as SES's Firehose destination writes it, not EventBridge's
    # envelope.
    assert target["Arn"] == FIREHOSE and "InputPath" not in target
    assert target["InputTransformer"] == {
        "InputPathsMap": {"detail": "$.detail"},
        "InputTemplate": "<detail>\n",
    }
    role = target["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in full.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {"Action": ["firehose:PutRecord", "firehose:PutRecordBatch"], "Effect": "Allow", "Resource": FIREHOSE}
    ]


def test_the_consumer_is_on_the_dashboard(default: assertions.Template) -> None:
    (dashboard,) = default.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "Event stream queue" in body and "Event stream consumer" in body
