"""Receiving: the inbound bucket, the receipt queue and its dead letters, the receipt worker, alarms.

The MX stores each accepted message in the inbound bucket (under inbound/) and queues a receipt
task before it answers 250; the receipt worker takes batches from the queue and runs the matching
rules' actions (S3, SNS, Lambda, Bounce, ...), re-queueing a task whose action failed with a delay.
A task that keeps failing goes to the dead-letter queue after ``max_receive_count`` receives; an
action given up on after SES's four hours is counted as ``PublishExpired``.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sesame.settings import METRICS_NAMESPACE
from stacks.acknowledgements import (
    acknowledge_grant_wildcards,
    acknowledge_resource_wildcard,
    logical_id_reference,
)
from stacks.alarms import AlarmTopic, above_zero
from stacks.function import SesameFunction
from stacks.mail_buckets import mail_bucket
from stacks.work_queues import ALARM_PERIOD, WorkQueues, consume_batches, work_queue_alarms, work_queues

RECEIPT_WORKER_HANDLER = "lambdas.receiving_worker.handler"
# A Metrics Insights query (CloudWatch's, not a database's): every series of the metric, whatever
# its account, rule set and rule. The namespace is the runtime's default (Settings.metrics_namespace),
# so the functions need no variable for it.
PUBLISH_EXPIRED_QUERY = (
    f'SELECT SUM(PublishExpired) FROM SCHEMA("{METRICS_NAMESPACE}", AccountId, RuleSetName, RuleName)'  # noqa: S608 (a constant)
)
RECEIPT_WORKER_TIMEOUT = cdk.Duration.seconds(300)
RECEIPT_BATCH_SIZE = 10
# Raw messages and receipt tasks are kept while their actions may still be retried (SES gives up
# after four hours), with a margin for a worker that was down: five days, then S3 deletes them.
INBOUND_EXPIRY = cdk.Duration.days(5)
INBOUND_PREFIXES = ("inbound/", "tasks/")


class Receiving(Construct):
    """The inbound pipeline's resources and its receipt worker."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        code: lambda_.Code,
        environment: Mapping[str, str],
        worker_memory_mb: int,
        max_receive_count: int,
        queue_age_alarm: cdk.Duration,
        access_logs: s3.IBucket,
        alarms: AlarmTopic,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        queues = work_queues(
            self,
            key=key,
            worker_timeout=RECEIPT_WORKER_TIMEOUT,
            max_receive_count=max_receive_count,
            removal_policy=removal_policy,
        )
        self.queue, self.dead_letters = queues.queue, queues.dead_letters
        self.bucket = mail_bucket(
            self,
            "Inbound",
            key=key,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=f"expire-{prefix.rstrip('/')}",
                    prefix=prefix,
                    expiration=INBOUND_EXPIRY,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
                for prefix in INBOUND_PREFIXES
            ],
            access_logs=access_logs,
            access_logs_prefix="inbound/",
            removal_policy=removal_policy,
        )

        self.worker = SesameFunction(
            self,
            "Worker",
            code=code,
            handler=RECEIPT_WORKER_HANDLER,
            description="runs receipt rules on received messages",
            memory_mb=worker_memory_mb,
            timeout=RECEIPT_WORKER_TIMEOUT,
            environment={**environment, **self.runtime_environment},
            log_key=key,
            log_retention=log_retention,
            removal_policy=removal_policy,
            metrics_namespace=METRICS_NAMESPACE,
        )
        consume_batches(self.worker.function, queues, batch_size=RECEIPT_BATCH_SIZE)
        self._alarms(queues, alarms, queue_age_alarm)

    @property
    def runtime_environment(self) -> dict[str, str]:
        """The variables naming these resources, for every function and task that uses them."""
        return {
            "SESAME_INBOUND_BUCKET": self.bucket.bucket_name,
            "SESAME_RECEIVING_QUEUE_URL": self.queue.queue_url,
        }

    @property
    def function(self) -> lambda_.Function:
        return self.worker.function

    def _alarms(self, queues: WorkQueues, alarms: AlarmTopic, queue_age: cdk.Duration) -> None:
        self.dead_letter_alarm, self.queue_age_alarm = work_queue_alarms(
            self,
            queues,
            alarms=alarms,
            name="receipt",
            dead_letters_description="Received messages failed their receipt rules too often and were "
            "set aside in the dead-letter queue. Inspect them, fix the cause, then redrive them to the "
            "receipt queue.",
            queue_age_description="A received message has waited in the receipt queue longer than "
            "expected: the receipt worker is failing, throttled or too slow for the traffic.",
            queue_age=queue_age,
        )
        # Missing data means no expired action: healthy.
        # The runtime counts PublishExpired per account, rule set and rule: the query sums them.
        self.publish_expired_alarm = above_zero(
            self,
            "PublishExpiredAlarm",
            name=alarms.alarm_name("receipt-publish-expired"),
            description="A receipt rule action kept failing until it was given up on "
            "(PublishExpired): a customer's bucket, topic, key or function refused it. The logs of "
            "the receipt worker name the rule.",
            metric=self.publish_expired_metric,
        )
        alarms.notify(self.publish_expired_alarm)

    @property
    def publish_expired_metric(self) -> cloudwatch.MathExpression:
        """Every rule's PublishExpired, summed (the runtime counts per account, rule set and rule)."""
        return cloudwatch.MathExpression(
            expression=PUBLISH_EXPIRED_QUERY, using_metrics={}, period=ALARM_PERIOD, label="PublishExpired"
        )

    # --- grants ---------------------------------------------------------------------------------

    def grant_store(self, grantee: iam.IGrantable) -> None:
        """Store accepted messages (the MX) and queue their receipt tasks."""
        self.bucket.grant_put(grantee)
        self.queue.grant_send_messages(grantee)
        acknowledge_grant_wildcards(grantee, "kms:GenerateDataKey*", "kms:ReEncrypt*", "s3:Abort*")
        self._acknowledge_objects(grantee)

    def grant_requeue(self, grantee: iam.IGrantable) -> None:
        """Put a task whose action failed back on the queue, with a delay; a task too large for a
        queue message is parked in the bucket under tasks/ first."""
        self.queue.grant_send_messages(grantee)
        self.bucket.grant_put(grantee, "tasks/*")
        acknowledge_grant_wildcards(grantee, "kms:GenerateDataKey*", "kms:ReEncrypt*", "s3:Abort*")
        acknowledge_resource_wildcard(
            grantee,
            f"{logical_id_reference(self.bucket)}/tasks/*",
            "Parked receipt tasks in the inbound bucket, under tasks/ only, keyed by message id, "
            "account and attempt at runtime",
        )

    def grant_message_reading(self, grantee: iam.IGrantable) -> None:
        """Read stored messages and tasks."""
        self.bucket.grant_read(grantee)
        acknowledge_grant_wildcards(grantee, "s3:GetObject*", "s3:GetBucket*", "s3:List*")
        self._acknowledge_objects(grantee)

    def _acknowledge_objects(self, grantee: iam.IGrantable) -> None:
        acknowledge_resource_wildcard(
            grantee,
            f"{logical_id_reference(self.bucket)}/*",
            "Objects of the inbound bucket, which holds nothing but received messages and their "
            "receipt tasks, under keys made of message ids at runtime",
        )
