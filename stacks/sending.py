"""Outbound sending: the delivery queue and its dead letters, the spool, the events topic, the worker.

The API accepts a message, spools its body to S3 when it is too large for a queue message, and
queues a delivery task; the delivery worker takes batches from the queue, delivers, and reports
each record that could not be finished so that only those come back. Deferred recipients are
re-queued by the worker as new, delayed messages; a message that keeps failing goes to the
dead-letter queue after ``max_receive_count`` receives. Every state change is published to the
internal events topic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.acknowledgements import (
    acknowledge_grant_wildcards,
    acknowledge_resource_wildcard,
    logical_id_reference,
)
from stacks.alarms import AlarmTopic
from stacks.function import SesameFunction
from stacks.mail_buckets import mail_bucket
from stacks.work_queues import WorkQueues, consume_batches, work_queue_alarms, work_queues

DELIVERY_WORKER_HANDLER = "lambdas.delivery_worker.handler"

# Spooled bodies outlive the last possible attempt by at least this much.
SPOOL_MARGIN_DAYS = 1


def spool_expiry_days(max_delivery_age_seconds: int) -> int:
    """Days after which S3 deletes a spooled body: the longest a message may be retried, rounded up
    to whole days (lifecycle rules count days), plus a margin for the attempt that runs at the end."""
    return math.ceil(max_delivery_age_seconds / 86400) + SPOOL_MARGIN_DAYS


class Sending(Construct):
    """The outbound sending pipeline's resources and its delivery worker."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        code: lambda_.Code,
        environment: Mapping[str, str],
        worker_memory_mb: int,
        worker_timeout: cdk.Duration,
        worker_reserved_concurrency: int,
        batch_size: int,
        batching_window: cdk.Duration,
        max_receive_count: int,
        max_delivery_age_seconds: int,
        queue_age_alarm: cdk.Duration,
        access_logs: s3.IBucket,
        alarms: AlarmTopic,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        queues = work_queues(
            self,
            key=key,
            worker_timeout=worker_timeout,
            max_receive_count=max_receive_count,
            removal_policy=removal_policy,
        )
        self.queue, self.dead_letters = queues.queue, queues.dead_letters
        self.spool = mail_bucket(
            self,
            "Spool",
            key=key,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-spooled-bodies",
                    expiration=cdk.Duration.days(spool_expiry_days(max_delivery_age_seconds)),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            access_logs=access_logs,
            access_logs_prefix="spool/",
            removal_policy=removal_policy,
        )
        self.events = sns.Topic(
            self,
            "Events",
            display_name="Sesame events",
            master_key=key,
            enforce_ssl=True,
        )

        self.worker = SesameFunction(
            self,
            "Worker",
            code=code,
            handler=DELIVERY_WORKER_HANDLER,
            description="delivers queued messages",
            memory_mb=worker_memory_mb,
            timeout=worker_timeout,
            environment={**environment, **self.runtime_environment},
            log_key=key,
            log_retention=log_retention,
            removal_policy=removal_policy,
            # Reserved, so API bursts never starve delivery, and capped, so delivery never floods
            # receiving servers or the egress path.
            reserved_concurrency=worker_reserved_concurrency,
            # In the VPC: the egress relays it hands messages to are internal.
            vpc=vpc,
            vpc_subnets=vpc_subnets,
        )
        consume_batches(
            self.worker.function,
            queues,
            batch_size=batch_size,
            batching_window=batching_window if batching_window.to_seconds() else None,
            # The trigger does not know the function's reserved concurrency: invoking beyond it
            # would be throttled, and each throttled batch would count as a receive towards
            # dead-lettering. AWS advises keeping this at or below the reservation.
            max_concurrency=worker_reserved_concurrency,
        )
        self._alarms(queues, alarms, queue_age_alarm)

    @property
    def runtime_environment(self) -> dict[str, str]:
        """The variables naming these resources, for every function that uses them."""
        return {
            "SESAME_DELIVERY_QUEUE_URL": self.queue.queue_url,
            "SESAME_SPOOL_BUCKET": self.spool.bucket_name,
            "SESAME_EVENTS_TOPIC_ARN": self.events.topic_arn,
        }

    @property
    def function(self) -> lambda_.Function:
        return self.worker.function

    def _alarms(self, queues: WorkQueues, alarms: AlarmTopic, queue_age: cdk.Duration) -> None:
        self.dead_letter_alarm, self.queue_age_alarm = work_queue_alarms(
            self,
            queues,
            alarms=alarms,
            name="delivery",
            dead_letters_description="Queued messages failed delivery too often and were set aside "
            "in the dead-letter queue. Inspect them, fix the cause, then redrive them to the delivery "
            "queue.",
            queue_age_description="A message has waited in the delivery queue longer than expected: "
            "the delivery worker is failing, throttled or too slow for the traffic.",
            queue_age=queue_age,
        )

    # --- grants ---------------------------------------------------------------------------------

    def grant_enqueue(self, grantee: iam.IGrantable) -> None:
        """Queue delivery tasks, with their bodies spooled first when large."""
        self.queue.grant_send_messages(grantee)
        self.spool.grant_put(grantee)
        acknowledge_grant_wildcards(grantee, "kms:GenerateDataKey*", "kms:ReEncrypt*", "s3:Abort*")
        self._acknowledge_spool_objects(grantee)

    def grant_requeue(self, grantee: iam.IGrantable) -> None:
        """Put deferred tasks back on the queue with a delay (their bodies are already spooled)."""
        self.queue.grant_send_messages(grantee)
        acknowledge_grant_wildcards(grantee, "kms:GenerateDataKey*", "kms:ReEncrypt*")

    def grant_spool_reading(self, grantee: iam.IGrantable) -> None:
        """Read spooled bodies and delete each once its delivery is finished."""
        self.spool.grant_read(grantee)
        self.spool.grant_delete(grantee)
        acknowledge_grant_wildcards(grantee, "s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*")
        self._acknowledge_spool_objects(grantee)

    def grant_publish_events(self, grantee: iam.IGrantable) -> None:
        self.events.grant_publish(grantee)
        acknowledge_grant_wildcards(grantee, "kms:GenerateDataKey*")

    def _acknowledge_spool_objects(self, grantee: iam.IGrantable) -> None:
        acknowledge_resource_wildcard(
            grantee,
            f"{logical_id_reference(self.spool)}/*",
            "Objects of the spool bucket, which holds nothing but spooled message bodies, under keys "
            "made of account and message ids at runtime",
        )
