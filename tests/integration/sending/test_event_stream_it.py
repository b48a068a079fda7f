"""Every event on the internal stream is counted into SES's sending metrics and reaches the
EventBridge bus in SES's EventBridge shape: events topic -> queue (raw delivery) -> consumer ->
EMF lines and bus -> a rule's target, all in moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sesame.adapters.emf_event_counts import EmfEventCounts
from sesame.adapters.eventbridge_events import EventBridgeEventBus
from sesame.adapters.sns_publishers import SnsEventPublisher
from sesame.domain.sending.event_bus_format import MAX_REQUEST_BYTES, BusEntry, bus_entry
from sesame.workers.event_stream import handle_sqs_batch

REGION = "us-east-1"
BUS = "sesame-events"


def sending_event(event_type: str, message_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": "2026-11-29T07:00:00.000Z",
            "source": "sender@example.com",
            "messageId": message_id,
            "destination": ["someone@example.net"],
        },
    }
    record[event_type[0].lower() + event_type[1:]] = {"timestamp": "2026-11-29T07:00:01.000Z"}
    return record


class Pipeline:
    def __init__(self) -> None:
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        topic = self.sns.create_topic(Name="sesame-events")["TopicArn"]
        self.publisher = SnsEventPublisher(self.sns, topic)
        self.forward_queue = self._queue("sesame-event-forwarding")
        self.sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=self._arn(self.forward_queue),
            Attributes={"RawMessageDelivery": "true"},
        )
        self.events.create_event_bus(Name=BUS)
        # What a customer's rule sees: everything from Sesame, delivered to a queue of theirs.
        self.target_queue = self._queue("customer-target")
        self.events.put_rule(
            Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["sesame.ses"]})
        )
        self.events.put_targets(
            Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": self._arn(self.target_queue)}]
        )
        self.put_requests = 0
        self.events.meta.events.register("before-call.events.PutEvents", self._count)
        self.bus = EventBridgeEventBus(self.events, BUS)
        self.emf_lines: list[str] = []
        self.counts = EmfEventCounts("Sesame", write=self.emf_lines.append, clock=lambda: 1_800_000_000.0)

    def consume(self, event: dict[str, Any], bus: EventBridgeEventBus | None = None) -> dict[str, Any]:
        return handle_sqs_batch(event, counts=self.counts, bus=bus or self.bus)

    def counted(self) -> dict[str, int]:
        """The metric values of every EMF line written, summed by metric name."""
        totals: dict[str, int] = {}
        for line in self.emf_lines:
            record = json.loads(line)
            (directive,) = record["_aws"]["CloudWatchMetrics"]
            assert directive["Namespace"] == "Sesame" and directive["Dimensions"] == [[]]
            for metric in directive["Metrics"]:
                assert metric["Unit"] == "Count"
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + record[metric["Name"]]
        return totals

    def _count(self, **_: Any) -> None:
        self.put_requests += 1

    def _queue(self, name: str) -> str:
        return str(self.sqs.create_queue(QueueName=name)["QueueUrl"])

    def _arn(self, url: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    def lambda_event(self) -> dict[str, Any]:
        """The forwarder queue's messages, in the shape of Lambda's SQS event source."""
        records = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.forward_queue, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                break
            records += [{"messageId": m["MessageId"], "body": m["Body"]} for m in batch["Messages"]]
        return {"Records": records}

    def delivered(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.target_queue, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                return found
            found += [json.loads(m["Body"]) for m in batch["Messages"]]


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    with mock_aws():
        yield Pipeline()


def test_published_events_reach_the_bus_as_ses_shapes_them(pipeline: Pipeline) -> None:
    events = [sending_event(kind, f"m-{kind}") for kind in ("Send", "Delivery", "Bounce", "Complaint")]
    for event in events:
        pipeline.publisher.publish(event)
    result = pipeline.consume(pipeline.lambda_event())
    assert result == {"batchItemFailures": []}
    delivered = {entry["detail"]["mail"]["messageId"]: entry for entry in pipeline.delivered()}
    assert {key: entry["detail-type"] for key, entry in delivered.items()} == {
        "m-Send": "Email Sent",
        "m-Delivery": "Email Delivered",
        "m-Bounce": "Email Bounced",
        "m-Complaint": "Email Complaint Received",
    }
    assert all(entry["source"] == "sesame.ses" for entry in delivered.values())
    assert [delivered[event["mail"]["messageId"]]["detail"] for event in events] == events
    assert pipeline.counted() == {"Send": 1, "Delivery": 1, "Bounce": 1, "Complaint": 1}


def test_twenty_five_events_take_three_requests(pipeline: Pipeline) -> None:
    for index in range(25):
        pipeline.publisher.publish(sending_event("Delivery", f"m-{index}"))
    result = pipeline.consume(pipeline.lambda_event())
    assert result == {"batchItemFailures": []}
    assert pipeline.put_requests == 3
    assert len(pipeline.delivered()) == 25


def test_only_unreadable_records_come_back(pipeline: Pipeline) -> None:
    pipeline.publisher.publish(sending_event("Delivery", "m-good"))
    event = pipeline.lambda_event()
    event["Records"] += [
        {"messageId": "not-json", "body": "{"},
        {"messageId": "not-an-event", "body": json.dumps({"eventType": "Reboot"})},
    ]
    result = pipeline.consume(event)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": "not-json"}, {"itemIdentifier": "not-an-event"}]
    }
    assert [entry["detail"]["mail"]["messageId"] for entry in pipeline.delivered()] == ["m-good"]
    assert pipeline.counted() == {"Delivery": 1}


def test_a_bus_that_refuses_returns_every_record_for_retry(pipeline: Pipeline) -> None:
    for index in range(3):
        pipeline.publisher.publish(sending_event("Send", f"m-{index}"))
    event = pipeline.lambda_event()
    gone = EventBridgeEventBus(pipeline.events, "no-such-bus")
    result = pipeline.consume(event, gone)
    assert sorted(item["itemIdentifier"] for item in result["batchItemFailures"]) == sorted(
        record["messageId"] for record in event["Records"]
    )
    # Counted when a retry puts them, not now: a retried record is never counted twice.
    assert pipeline.counted() == {}
    assert pipeline.consume(event) == {"batchItemFailures": []}
    assert pipeline.counted() == {"Send": 3}


def test_without_a_bus_events_are_still_counted(pipeline: Pipeline) -> None:
    for kind in ("Send", "Send", "Rendering Failure", "DeliveryDelay"):
        pipeline.publisher.publish(sending_event(kind, "m"))
    result = handle_sqs_batch(pipeline.lambda_event(), counts=pipeline.counts, bus=None)
    assert result == {"batchItemFailures": []}
    assert pipeline.counted() == {"Send": 2, "RenderingFailure": 1, "DeliveryDelay": 1}
    assert pipeline.put_requests == 0


def test_only_the_entries_eventbridge_refuses_come_back(pipeline: Pipeline) -> None:
    # EventBridge answers per entry: here the middle one is refused (MalformedDetail).
    good = bus_entry(sending_event("Send", "m-1"))
    refused = BusEntry("Email Sent", "{not json")
    assert pipeline.bus.put([good, refused, good]) == {1}
    assert pipeline.put_requests == 1
    assert len(pipeline.delivered()) == 2


def test_an_event_too_large_for_eventbridge_is_counted_and_not_retried(pipeline: Pipeline) -> None:
    huge = sending_event("Delivery", "m-huge")
    huge["mail"]["headers"] = [{"name": "X-Filler", "value": "x" * MAX_REQUEST_BYTES}]
    pipeline.publisher.publish(sending_event("Delivery", "m-small"))
    event = pipeline.lambda_event()
    event["Records"].append({"messageId": "huge", "body": json.dumps(huge)})
    assert pipeline.consume(event) == {"batchItemFailures": []}
    assert [entry["detail"]["mail"]["messageId"] for entry in pipeline.delivered()] == ["m-small"]
    assert pipeline.counted() == {"Delivery": 2}


@dataclass(frozen=True)
class InvocationContext:
    """What Lambda hands a handler beside the event (the fields Powertools' logger reads)."""

    function_name: str = "sesame-event-stream"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:sesame-event-stream"
    aws_request_id: str = "request-1"


def test_the_lambda_entry_point_counts_and_puts_with_its_environment(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import lambdas.event_stream as entry_point

    monkeypatch.setenv("SESAME_EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("AWS_REGION", REGION)
    entry_point._outputs.cache_clear()
    pipeline.publisher.publish(sending_event("Bounce", "m-entry"))
    try:
        result = entry_point.handler(pipeline.lambda_event(), InvocationContext())
    finally:
        entry_point._outputs.cache_clear()
    assert result == {"batchItemFailures": []}
    assert [entry["detail-type"] for entry in pipeline.delivered()] == ["Email Bounced"]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [line["Bounce"] for line in lines] == [1]
