"""The outbound sending pipeline's resources: queues, spool, topics, the delivery worker, alarms."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import assertions
from infra_support import (
    WORKER_HANDLER,
    access_log_bucket,
    alarm_topic,
    as_list,
    events_topic,
    function,
    function_id,
    keys,
    only,
    queues,
    spool_bucket,
)

from stacks.sending import spool_expiry_days

FOURTEEN_DAYS = 14 * 24 * 3600


def _props(template: assertions.Template, resource_type: str, logical: str) -> dict[str, Any]:
    return dict(template.find_resources(resource_type)[logical]["Properties"])


def _statements(template: assertions.Template, policy_type: str, target: str, key: str) -> list[Any]:
    """Statements of the resource policy of type ``policy_type`` whose ``key`` refers to ``target``."""
    found = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in template.find_resources(policy_type).values()
        if {"Ref": target} in (policy["Properties"][key] if key != "Bucket" else [policy["Properties"][key]])
    ]
    assert len(found) == 1, f"one {policy_type} for {target}"
    return list(found[0])


def _denies_plain_http(statements: list[Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


class TestQueues:
    def test_both_queues_are_encrypted_with_the_main_key_and_keep_messages_14_days(
        self, default: assertions.Template
    ) -> None:
        main, _ = keys(default)
        for queue in queues(default):
            props = _props(default, "AWS::SQS::Queue", queue)
            assert props["KmsMasterKeyId"] == {"Fn::GetAtt": [main, "Arn"]}
            # Never lost unseen: the worker must get to bounce a late message, however long it was down.
            assert props["MessageRetentionPeriod"] == FOURTEEN_DAYS
            assert "QueueName" not in props, "no hard-coded physical names"

    @pytest.mark.parametrize(("context", "receives"), [("default", 10), ("full", 7)])
    def test_failing_messages_go_to_the_dead_letter_queue_after_the_configured_receives(
        self, request: pytest.FixtureRequest, context: str, receives: int
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        queue, dead_letters = queues(template)
        assert _props(template, "AWS::SQS::Queue", queue)["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
            "maxReceiveCount": receives,
        }
        assert "RedrivePolicy" not in _props(template, "AWS::SQS::Queue", dead_letters)

    @pytest.mark.parametrize(("context", "timeout"), [("default", 300), ("full", 120)])
    def test_visibility_timeout_is_six_times_the_workers_timeout(
        self, request: pytest.FixtureRequest, context: str, timeout: int
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        queue, _ = queues(template)
        assert function(template, WORKER_HANDLER)["Properties"]["Timeout"] == timeout
        assert _props(template, "AWS::SQS::Queue", queue)["VisibilityTimeout"] == 6 * timeout

    def test_queues_refuse_requests_without_tls(self, default: assertions.Template) -> None:
        for queue in queues(default):
            assert _denies_plain_http(_statements(default, "AWS::SQS::QueuePolicy", queue, "Queues"))


class TestSpool:
    def test_spool_is_encrypted_with_the_main_key_private_and_unversioned(
        self, default: assertions.Template
    ) -> None:
        main, _ = keys(default)
        props = _props(default, "AWS::S3::Bucket", spool_bucket(default))
        assert props["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [
                {
                    "BucketKeyEnabled": True,
                    "ServerSideEncryptionByDefault": {
                        "KMSMasterKeyID": {"Fn::GetAtt": [main, "Arn"]},
                        "SSEAlgorithm": "aws:kms",
                    },
                }
            ]
        }
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        # A delivered body's delete must really delete it.
        assert "VersioningConfiguration" not in props
        assert "BucketName" not in props

    def test_spool_refuses_requests_without_tls_1_2(self, default: assertions.Template) -> None:
        statements = _statements(default, "AWS::S3::BucketPolicy", spool_bucket(default), "Bucket")
        assert _denies_plain_http(statements)
        assert any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in statements)
        assert all(s["Effect"] == "Deny" for s in statements)

    @pytest.mark.parametrize(("context", "days"), [("default", 2), ("full", 3)])
    def test_spooled_bodies_expire_after_the_max_delivery_age_plus_a_day(
        self, request: pytest.FixtureRequest, context: str, days: int
    ) -> None:
        # 12 hours -> 1 day + 1; 36 hours (FULL_CONTEXT) -> 2 days + 1.
        template: assertions.Template = request.getfixturevalue(context)
        props = _props(template, "AWS::S3::Bucket", spool_bucket(template))
        assert props["LifecycleConfiguration"] == {
            "Rules": [
                {
                    "Id": "expire-spooled-bodies",
                    "Status": "Enabled",
                    "ExpirationInDays": days,
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        }

    @pytest.mark.parametrize(
        ("max_age", "days"), [(60, 2), (43200, 2), (86400, 2), (86401, 3), (FOURTEEN_DAYS, 15)]
    )
    def test_expiry_rounds_the_age_up_to_whole_days_and_adds_one(self, max_age: int, days: int) -> None:
        assert spool_expiry_days(max_age) == days

    def test_spool_access_is_logged_to_the_access_log_bucket(self, default: assertions.Template) -> None:
        logs = access_log_bucket(default)
        props = _props(default, "AWS::S3::Bucket", spool_bucket(default))
        assert props["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": logs},
            "LogFilePrefix": "spool/",
        }
        statements = _statements(default, "AWS::S3::BucketPolicy", logs, "Bucket")
        (delivery,) = [
            s
            for s in statements
            if s["Effect"] == "Allow"
            and {"Fn::GetAtt": [spool_bucket(default), "Arn"]}
            in as_list(s["Condition"]["ArnLike"]["aws:SourceArn"])
        ]
        assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert delivery["Action"] == "s3:PutObject"
        assert _denies_plain_http(statements)

    @pytest.mark.parametrize(("context", "days"), [("default", 30), ("full", 90)])
    def test_access_logs_are_sse_s3_and_kept_as_long_as_other_logs(
        self, request: pytest.FixtureRequest, context: str, days: int
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        props = _props(template, "AWS::S3::Bucket", access_log_bucket(template))
        # S3 delivers server access logs only into SSE-S3 buckets.
        assert props["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        }
        assert props["LifecycleConfiguration"]["Rules"] == [
            {"Id": "expire-logs", "Status": "Enabled", "ExpirationInDays": days}
        ]
        assert all(props["PublicAccessBlockConfiguration"].values())

    def test_retained_with_the_data_unless_deletion_protection_is_off(
        self, default: assertions.Template, full: assertions.Template
    ) -> None:
        for template, policy in ((default, "Retain"), (full, "Delete")):
            for bucket in template.find_resources("AWS::S3::Bucket").values():
                assert bucket["DeletionPolicy"] == policy
            for queue in template.find_resources("AWS::SQS::Queue").values():
                assert queue["DeletionPolicy"] == policy


class TestTopics:
    def test_events_topic_is_encrypted_with_the_main_key_and_tls_only(
        self, default: assertions.Template
    ) -> None:
        main, _ = keys(default)
        topic = events_topic(default)
        assert _props(default, "AWS::SNS::Topic", topic)["KmsMasterKeyId"] == {"Fn::GetAtt": [main, "Arn"]}
        assert _denies_plain_http(_statements(default, "AWS::SNS::TopicPolicy", topic, "Topics"))

    def test_alarm_topic_has_a_rotating_key_of_its_own_that_cloudwatch_may_use(
        self, default: assertions.Template
    ) -> None:
        main, mac = keys(default)
        key_ref = _props(default, "AWS::SNS::Topic", alarm_topic(default))["KmsMasterKeyId"]
        alarm_key = key_ref["Fn::GetAtt"][0]
        assert alarm_key not in (main, mac)
        props = _props(default, "AWS::KMS::Key", alarm_key)
        assert props["EnableKeyRotation"] is True
        services = [s for s in props["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
        assert services == [
            {
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Resource": "*",
            }
        ]

    def test_only_this_stacks_alarms_may_publish_to_the_alarm_topic(self, full: assertions.Template) -> None:
        topic = alarm_topic(full)
        statements = _statements(full, "AWS::SNS::TopicPolicy", topic, "Topics")
        assert _denies_plain_http(statements)
        (allow,) = [s for s in statements if s["Effect"] == "Allow"]
        assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert allow["Action"] == "sns:Publish"
        assert allow["Condition"] == {
            "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:SesameFull-*"},
            "StringEquals": {"aws:SourceAccount": "123456789012"},
        }

    def test_alarm_email_is_subscribed_only_when_configured(
        self, default: assertions.Template, full: assertions.Template
    ) -> None:
        # Besides the event stream's queue, subscribed to the events topic in every deployment.
        default.resource_count_is("AWS::SNS::Subscription", 1)
        full.resource_count_is("AWS::SNS::Subscription", 2)
        default.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "sqs", "RawMessageDelivery": True}
        )
        full.has_resource_properties(
            "AWS::SNS::Subscription",
            {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": alarm_topic(full)}},
        )


class TestWorker:
    @pytest.mark.parametrize(("context", "memory", "reserved"), [("default", 512, 10), ("full", 768, 25)])
    def test_memory_and_reserved_concurrency_follow_the_config(
        self, request: pytest.FixtureRequest, context: str, memory: int, reserved: int
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        props = function(template, WORKER_HANDLER)["Properties"]
        assert props["MemorySize"] == memory
        assert props["ReservedConcurrentExecutions"] == reserved

    def test_api_and_checker_have_no_reserved_concurrency(self, default: assertions.Template) -> None:
        for found in default.find_resources("AWS::Lambda::Function").values():
            if found["Properties"]["Handler"] != WORKER_HANDLER:
                assert "ReservedConcurrentExecutions" not in found["Properties"]

    def test_queue_triggers_the_worker_with_partial_batch_responses(
        self, default: assertions.Template
    ) -> None:
        queue, _ = queues(default)
        (mapping,) = [
            m
            for m in default.find_resources("AWS::Lambda::EventSourceMapping").values()
            if m["Properties"]["FunctionName"] == {"Ref": function_id(default, WORKER_HANDLER)}
        ]
        assert mapping["Properties"] == {
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "FunctionName": {"Ref": function_id(default, WORKER_HANDLER)},
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            # Never more pollers' invocations than the reservation takes: throttled batches would
            # count as receives towards dead-lettering.
            "ScalingConfig": {"MaximumConcurrency": 10},
        }

    def test_batch_size_window_and_concurrency_follow_the_config(self, full: assertions.Template) -> None:
        full.has_resource_properties(
            "AWS::Lambda::EventSourceMapping",
            {
                "BatchSize": 50,
                "MaximumBatchingWindowInSeconds": 2,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": 25},
            },
        )


class TestAlarms:
    @pytest.mark.parametrize(("context", "stack"), [("default", "Sesame"), ("full", "SesameFull")])
    def test_dead_letters_alarm_on_the_first_message(
        self, request: pytest.FixtureRequest, context: str, stack: str
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        _, dead_letters = queues(template)
        self._assert_alarm(
            template,
            name=f"{stack}-delivery-dead-letters",
            queue=dead_letters,
            metric="ApproximateNumberOfMessagesVisible",
            threshold=0,
        )

    @pytest.mark.parametrize(
        ("context", "stack", "minutes"), [("default", "Sesame", 60), ("full", "SesameFull", 20)]
    )
    def test_delivery_queue_alarms_when_its_oldest_message_is_too_old(
        self, request: pytest.FixtureRequest, context: str, stack: str, minutes: int
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        queue, _ = queues(template)
        self._assert_alarm(
            template,
            name=f"{stack}-delivery-queue-age",
            queue=queue,
            metric="ApproximateAgeOfOldestMessage",
            threshold=minutes * 60,
        )

    @pytest.mark.parametrize(("context", "stack"), [("default", "Sesame"), ("full", "SesameFull")])
    def test_the_alarms_are_the_queues_and_publish_expired_ones_only(
        self, request: pytest.FixtureRequest, context: str, stack: str
    ) -> None:
        template: assertions.Template = request.getfixturevalue(context)
        names = {
            a["Properties"]["AlarmName"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        }
        assert names == {
            f"{stack}-{name}"
            for name in (
                "delivery-dead-letters",
                "delivery-queue-age",
                "receipt-dead-letters",
                "receipt-queue-age",
                "receipt-publish-expired",
                "event-stream-dead-letters",
                "event-stream-queue-age",
            )
        }

    @staticmethod
    def _assert_alarm(
        template: assertions.Template, *, name: str, queue: str, metric: str, threshold: int
    ) -> None:
        _, alarm = only(template, "AWS::CloudWatch::Alarm", {"AlarmName": name})
        props = alarm["Properties"]
        topic = {"Ref": alarm_topic(template)}
        assert {key: value for key, value in props.items() if key != "AlarmDescription"} == {
            "AlarmName": name,
            "Namespace": "AWS/SQS",
            "MetricName": metric,
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            # An idle queue stops reporting: that is health, not an alarm.
            "TreatMissingData": "notBreaching",
            # Both into and out of ALARM, so the on-call hears when it is over.
            "AlarmActions": [topic],
            "OKActions": [topic],
        }
        assert len(props["AlarmDescription"]) > 40  # tells the reader what to do
