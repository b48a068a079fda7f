"""The event stream's consumer: sending metrics from every event, and the optional EventBridge bus.

The events topic delivers each event record to the consumer's queue. The consumer counts each
batch into SES's sending metrics (``Sesame/Send``, ``Delivery``, ``Bounce``, ...: EMF lines in its
log, so no PutMetricData call) and, with a bus, puts the events on it, ten to a PutEvents request,
with SES's detail-types ("Email Delivered", ...) and the record as detail. Nothing on the sending
path waits for either, and a bus outage only delays events (they wait in the queue, then in its
dead-letter queue). Teams add their own rules on the bus; the stack adds one per configured
Firehose delivery stream, which receives each event record as SES's Firehose destination writes it
(the record, not EventBridge's envelope).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from sesame.domain.sending.event_bus_format import SOURCE as EVENT_SOURCE
from stacks.alarms import AlarmTopic
from stacks.function import SesameFunction
from stacks.work_queues import consume_batches, work_queue_alarms, work_queues

EVENT_STREAM_HANDLER = "lambdas.event_stream.handler"
FIREHOSE_RECORD_TEMPLATE = "<detail>\n"
CONSUMER_TIMEOUT = cdk.Duration.seconds(60)
# Ten records make one full PutEvents request; a second of gathering fills it under load.
CONSUMER_BATCH_SIZE = 10
CONSUMER_BATCHING_WINDOW = cdk.Duration.seconds(1)


class EventStream(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus_name: str | None,
        events_topic: sns.ITopic,
        key: kms.IKey,
        code: lambda_.Code,
        environment: Mapping[str, str],
        memory_mb: int,
        max_receive_count: int,
        queue_age_alarm: cdk.Duration,
        firehose_stream_arns: Sequence[str],
        alarms: AlarmTopic,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        queues = work_queues(
            self,
            key=key,
            worker_timeout=CONSUMER_TIMEOUT,
            max_receive_count=max_receive_count,
            removal_policy=removal_policy,
        )
        self.queue, self.dead_letters = queues.queue, queues.dead_letters
        self._subscribe(events_topic, key)
        self.bus = (
            events.EventBus(self, "Bus", event_bus_name=bus_name, description="Sesame sending events")
            if bus_name
            else None
        )
        bus_environment = {"SESAME_EVENT_BUS_NAME": self.bus.event_bus_name} if self.bus else {}
        self.consumer = SesameFunction(
            self,
            "Consumer",
            code=code,
            handler=EVENT_STREAM_HANDLER,
            description="counts sending events into metrics and puts them on the event bus",
            memory_mb=memory_mb,
            timeout=CONSUMER_TIMEOUT,
            environment={**environment, **bus_environment},
            log_key=key,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        consume_batches(
            self.consumer.function,
            queues,
            batch_size=CONSUMER_BATCH_SIZE,
            batching_window=CONSUMER_BATCHING_WINDOW,
        )
        if self.bus:
            self.bus.grant_put_events_to(self.consumer.function)
            self._firehose_rules(self.bus, firehose_stream_arns)
        self.dead_letter_alarm, self.queue_age_alarm = work_queue_alarms(
            self,
            queues,
            alarms=alarms,
            name="event-stream",
            dead_letters_description="Sending events could not be counted or put on the EventBridge "
            "bus and were set aside in the dead-letter queue (the consumer's logs say why). Redrive "
            "them once the cause is fixed.",
            queue_age_description="Sending events have waited in the event stream's queue longer "
            "than expected: its consumer is failing or throttled.",
            queue_age=queue_age_alarm,
        )

    def _subscribe(self, topic: sns.ITopic, key: kms.IKey) -> None:
        """The queue subscribed to the topic, with raw delivery: each queue message is an event
        record itself, not SNS's envelope.

        Spelled out rather than through SqsSubscription, which would let SNS use the key only for
        this topic: a key policy naming the topic, while the topic is encrypted with the same key,
        makes each depend on the other. SNS may use the key for this account's topics instead; the
        queue policy still admits this topic alone.
        """
        stack = cdk.Stack.of(self)
        sns_service = iam.ServicePrincipal("sns.amazonaws.com")
        self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"],
                principals=[sns_service],
                resources=[self.queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": topic.topic_arn}},
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                principals=[sns_service],
                resources=["*"],  # in a key policy, "*" is the key itself
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": stack.format_arn(service="sns", resource="*")},
                },
            )
        )
        sns.Subscription(
            self,
            "Subscription",
            topic=topic,
            protocol=sns.SubscriptionProtocol.SQS,
            endpoint=self.queue.queue_arn,
            raw_message_delivery=True,
        )

    def _firehose_rules(self, bus: events.EventBus, stream_arns: Sequence[str]) -> None:
        for index, arn in enumerate(stream_arns):
            stream = firehose.DeliveryStream.from_delivery_stream_arn(self, f"Stream{index}", arn)
            rule = events.Rule(
                self,
                f"ToFirehose{index}",
                event_bus=bus,
                description=f"Every sending event to Firehose delivery stream {stream.delivery_stream_name}",
                event_pattern=events.EventPattern(source=[EVENT_SOURCE]),
                # The role EventBridge assumes may put records to this stream alone.
                targets=[targets.FirehoseDeliveryStream(stream)],
            )
            # Each record is the event record followed by a newline, as SES's Firehose destination
            # writes them: the objects in S3 are then newline-delimited JSON, which Athena and Glue
            # read. RuleTargetInput can only quote a text template, so the template is set here.
            cfn_rule = rule.node.default_child
            assert isinstance(cfn_rule, events.CfnRule)
            cfn_rule.add_property_override(
                "Targets.0.InputTransformer",
                {"InputPathsMap": {"detail": "$.detail"}, "InputTemplate": FIREHOSE_RECORD_TEMPLATE},
            )

    @property
    def function(self) -> lambda_.Function:
        return self.consumer.function
