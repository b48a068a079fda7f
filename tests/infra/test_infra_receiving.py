"""Receiving: the inbound bucket, the receipt queue, the receipt worker, alarms and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import assertions
from infra_support import (
    API_HANDLER,
    RECEIPT_WORKER_HANDLER,
    access_log_bucket,
    alarm_topic,
    function,
    function_id,
    inbound_bucket,
    keys,
    only,
    queues,
    receipt_queues,
)


def _props(template: assertions.Template, resource_type: str, logical: str) -> dict[str, Any]:
    return dict(template.find_resources(resource_type)[logical]["Properties"])


class TestInboundBucket:
    def test_is_private_encrypted_with_the_main_key_and_tls_only(self, default: assertions.Template) -> None:
        main, _ = keys(default)
        bucket = inbound_bucket(default)
        props = _props(default, "AWS::S3::Bucket", bucket)
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "KMSMasterKeyID": {"Fn::GetAtt": [main, "Arn"]},
                    "SSEAlgorithm": "aws:kms",
                },
            }
        ]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert "BucketName" not in props
        (policy,) = [
            p
            for p in default.find_resources("AWS::S3::BucketPolicy").values()
            if p["Properties"]["Bucket"] == {"Ref": bucket}
        ]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )
        assert any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in statements)

    def test_messages_and_tasks_expire_after_five_days(self, default: assertions.Template) -> None:
        rules = _props(default, "AWS::S3::Bucket", inbound_bucket(default))["LifecycleConfiguration"]["Rules"]
        assert {(rule["Prefix"], rule["ExpirationInDays"], rule["Status"]) for rule in rules} == {
            ("inbound/", 5, "Enabled"),
            ("tasks/", 5, "Enabled"),
        }

    def test_access_is_logged_to_the_access_log_bucket(self, default: assertions.Template) -> None:
        props = _props(default, "AWS::S3::Bucket", inbound_bucket(default))
        assert props["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": access_log_bucket(default)},
            "LogFilePrefix": "inbound/",
        }


class TestReceiptQueue:
    def test_both_queues_are_encrypted_with_the_main_key(self, default: assertions.Template) -> None:
        main, _ = keys(default)
        for queue in receipt_queues(default):
            props = _props(default, "AWS::SQS::Queue", queue)
            assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [main, "Arn"]}
            assert "QueueName" not in props

    @pytest.mark.parametrize(("context", "receives"), [("default", 10), ("full", 7)])
    def test_failing_messages_go_to_the_dead_letter_queue_after_the_configured_receives(
        self, request: pytest.FixtureRequest, context: str, receives: int
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        queue, dead_letters = receipt_queues(template)
        assert _props(template, "AWS::SQS::Queue", queue)["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
            "maxReceiveCount": receives,
        }
        assert {queue, dead_letters}.isdisjoint(queues(template))

    def test_visibility_timeout_is_six_times_the_workers_timeout(self, full: assertions.Template) -> None:
        queue, _ = receipt_queues(full)
        timeout = function(full, RECEIPT_WORKER_HANDLER)["Properties"]["Timeout"]
        assert timeout == 300
        assert _props(full, "AWS::SQS::Queue", queue)["VisibilityTimeout"] == 6 * timeout


class TestReceiptWorker:
    def test_queue_triggers_the_worker_in_batches_of_ten_with_partial_batch_responses(
        self, full: assertions.Template
    ) -> None:
        queue, _ = receipt_queues(full)
        worker = function_id(full, RECEIPT_WORKER_HANDLER)
        (mapping,) = [
            m
            for m in full.find_resources("AWS::Lambda::EventSourceMapping").values()
            if m["Properties"]["FunctionName"] == {"Ref": worker}
        ]
        assert mapping["Properties"] == {
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "FunctionName": {"Ref": worker},
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }

    def test_memory_follows_the_worker_setting(self, full: assertions.Template) -> None:
        assert function(full, RECEIPT_WORKER_HANDLER)["Properties"]["MemorySize"] == 768


class TestAlarms:
    @pytest.mark.parametrize("context", ["default", "full"])
    def test_every_queue_has_an_alarm_that_notifies_the_alarm_topic(
        self, request: pytest.FixtureRequest, context: str
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        topic = {"Ref": alarm_topic(template)}
        watched = set()
        for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
            props = alarm["Properties"]
            assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic]
            for dimension in props.get("Dimensions", []):
                if dimension["Name"] == "QueueName":
                    watched.add(dimension["Value"]["Fn::GetAtt"][0])
        assert set(template.find_resources("AWS::SQS::Queue")) == watched
        assert len(watched) == 6  # delivery, receipt and event stream queues, each with its dead letters

    def test_receipt_dead_letters_alarm_on_the_first_message(self, default: assertions.Template) -> None:
        _, dead_letters = receipt_queues(default)
        _, alarm = only(default, "AWS::CloudWatch::Alarm", {"AlarmName": "Sesame-receipt-dead-letters"})
        props = alarm["Properties"]
        assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert props["Dimensions"] == [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_letters, "QueueName"]}}
        ]
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")

    def test_publish_expired_alarms_on_any_rule_of_any_account(self, default: assertions.Template) -> None:
        _, alarm = only(default, "AWS::CloudWatch::Alarm", {"AlarmName": "Sesame-receipt-publish-expired"})
        props = alarm["Properties"]
        (query,) = props["Metrics"]
        # Summed over every account, rule set and rule the runtime's dimensions name.
        assert query["Expression"] == (
            'SELECT SUM(PublishExpired) FROM SCHEMA("Sesame", AccountId, RuleSetName, RuleName)'
        )
        assert query["Period"] == 300
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        assert props["TreatMissingData"] == "notBreaching"


class TestDashboard:
    @staticmethod
    def _body(template: assertions.Template) -> str:
        _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
        return json.dumps(dashboard["Properties"]["DashboardBody"])

    @pytest.mark.parametrize("context", ["default", "full"])
    def test_shows_depth_and_age_of_every_queue_and_errors_of_every_function(
        self, request: pytest.FixtureRequest, context: str
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        body = self._body(template)
        for queue in template.find_resources("AWS::SQS::Queue"):
            assert json.dumps({"Fn::GetAtt": [queue, "QueueName"]}) in body, queue
        assert "ApproximateNumberOfMessagesVisible" in body and "ApproximateAgeOfOldestMessage" in body
        for function_logical in template.find_resources("AWS::Lambda::Function"):
            assert json.dumps({"Ref": function_logical}) in body, function_logical
        assert '\\"Errors\\"' in body

    def test_shows_active_connections_of_every_load_balancer_when_the_tiers_exist(
        self, default: assertions.Template, full: assertions.Template
    ) -> None:
        for template, count in ((default, 1), (full, 3)):
            balancers = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
            assert len(balancers) == count
            body = self._body(template)
            assert "ActiveFlowCount" in body
            for balancer in balancers:
                assert json.dumps({"Fn::GetAtt": [balancer, "LoadBalancerFullName"]}) in body, balancer

    def test_shows_sending_volume_reputation_rates_and_publish_expired(
        self, default: assertions.Template
    ) -> None:
        body = self._body(default)
        for metric in ("Send", "Delivery", "Bounce", "Complaint", "Reject"):
            assert f'[\\"Sesame\\",\\"{metric}\\"' in body, metric
        assert "IF(send > 0, 100 * bounce / send, 0)" in body
        assert "IF(send > 0, 100 * complaint / send, 0)" in body
        # SES's review and pause levels drawn on the rates.
        for level in ('\\"value\\":5', '\\"value\\":10', '\\"value\\":0.1', '\\"value\\":0.5'):
            assert level in body, level
        assert "SUM(PublishExpired)" in body

    def test_shows_api_calls_and_errors_per_operation(self, default: assertions.Template) -> None:
        body = self._body(default)
        for metric in ("ApiRequests", "ApiErrors"):
            quoted = f'\\\\\\"{metric}\\\\\\"'  # the expression's quotes, escaped twice in the JSON
            assert f"SEARCH('{{Sesame,Operation,service}} MetricName={quoted}'" in body, metric
        variables = function(default, API_HANDLER)["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Sesame"
        assert variables["POWERTOOLS_SERVICE_NAME"] == "sesame"
