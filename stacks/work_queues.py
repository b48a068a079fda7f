"""A worker's SQS queue and its dead-letter queue, with the two alarms every such pair needs.

Sending, receiving and event forwarding each have one: a queue that triggers a Lambda worker and
moves a message that failed ``max_receive_count`` times to its dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.alarms import AlarmTopic, above, above_zero

# AWS's advice for a queue that triggers Lambda: a visibility timeout of at least six times the
# function's timeout, so that a batch held back by throttling is retried before it reappears.
VISIBILITY_TIMEOUT_FACTOR = 6
# SQS's longest retention. A message must never vanish unseen: however long the worker is down, it
# must still find each message (and the delivery worker bounce the late ones).
QUEUE_RETENTION = cdk.Duration.days(14)
ALARM_PERIOD = cdk.Duration.minutes(5)


@dataclass(frozen=True)
class WorkQueues:
    queue: sqs.Queue
    dead_letters: sqs.Queue


def work_queues(
    scope: Construct,
    *,
    key: kms.IKey,
    worker_timeout: cdk.Duration,
    max_receive_count: int,
    removal_policy: cdk.RemovalPolicy,
) -> WorkQueues:
    """The pair, as ``scope``'s children "Queue" and "DeadLetters". Everything at rest is encrypted
    with ``key``: the messages hold customers' mail or its events. A message moved to a standard
    queue's dead-letter queue keeps its original enqueue time, so the dead-letter queue keeps the
    longest retention there is, like the queue."""
    dead_letters = sqs.Queue(
        scope,
        "DeadLetters",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=QUEUE_RETENTION,
        removal_policy=removal_policy,
    )
    queue = sqs.Queue(
        scope,
        "Queue",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        visibility_timeout=cdk.Duration.seconds(worker_timeout.to_seconds() * VISIBILITY_TIMEOUT_FACTOR),
        retention_period=QUEUE_RETENTION,
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=dead_letters),
        removal_policy=removal_policy,
    )
    return WorkQueues(queue, dead_letters)


def consume_batches(
    function: lambda_.IFunction,
    queues: WorkQueues,
    *,
    batch_size: int,
    batching_window: cdk.Duration | None = None,
    max_concurrency: int | None = None,
) -> None:
    """``function`` takes the queue's messages in batches. It answers with the records it could not
    finish (partial batch responses): only those come back; the others are deleted."""
    function.add_event_source(
        event_sources.SqsEventSource(
            queues.queue,
            batch_size=batch_size,
            max_batching_window=batching_window,
            report_batch_item_failures=True,
            max_concurrency=max_concurrency,
        )
    )


def work_queue_alarms(
    scope: Construct,
    queues: WorkQueues,
    *,
    alarms: AlarmTopic,
    name: str,
    dead_letters_description: str,
    queue_age_description: str,
    queue_age: cdk.Duration,
) -> tuple[cloudwatch.Alarm, cloudwatch.Alarm]:
    """Any message in the dead-letter queue; the oldest waiting message older than ``queue_age``.
    SQS sends these metrics every minute while a queue is active; missing data means an idle
    queue, which is healthy. Both notify the alarm topic."""
    dead_letter_alarm = above_zero(
        scope,
        "DeadLettersAlarm",
        name=alarms.alarm_name(f"{name}-dead-letters"),
        description=dead_letters_description,
        metric=queues.dead_letters.metric_approximate_number_of_messages_visible(
            period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
        ),
    )
    queue_age_alarm = above(
        scope,
        "QueueAgeAlarm",
        name=alarms.alarm_name(f"{name}-queue-age"),
        description=queue_age_description,
        metric=queues.queue.metric_approximate_age_of_oldest_message(
            period=ALARM_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
        ),
        threshold=queue_age.to_seconds(),
    )
    alarms.notify(dead_letter_alarm)
    alarms.notify(queue_age_alarm)
    return dead_letter_alarm, queue_age_alarm
