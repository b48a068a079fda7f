"""The event stream consumer: what each sending event costs once it is on the events topic.

Batches of ten Delivery events (each about 1.2 KB, as SES writes them) go through the consumer as
Lambda's SQS event source hands them over: counted into the EMF metrics, and, with a bus, put on
an EventBridge bus (moto, in-process). Reported per event: the consumer's CPU without a bus (the
consumer's own work), with one (which includes the emulation's share of PutEvents), PutEvents
requests, and the variable AWS cost per million messages at two events per message (Send and
Delivery), from us-east-1 list prices.
"""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks.harness import Figure, Options

EVENTS_PER_MESSAGE = 2
BATCH = 10
# us-east-1 list prices.
EVENTBRIDGE_PER_EVENT = 1.00 / 1_000_000
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
CONSUMER_MEMORY_GB = 0.25


def delivery_event(index: int) -> dict[str, Any]:
    return {
        "eventType": "Delivery",
        "mail": {
            "timestamp": "2026-11-29T07:00:00.000Z",
            "source": "news@bench.test",
            "sourceArn": "arn:aws:ses:us-east-1:000000000001:identity/bench.test",
            "sendingAccountId": "000000000001",
            "messageId": f"0100018f-{index:08d}-bench-000000",
            "destination": [f"reader{index}@inbox.test"],
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": "news@bench.test"},
                {"name": "To", "value": f"reader{index}@inbox.test"},
                {"name": "Subject", "value": "Our spring collection is here"},
                {"name": "MIME-Version", "value": "1.0"},
                {"name": "Content-Type", "value": "multipart/alternative; boundary=b1"},
            ],
            "commonHeaders": {
                "from": ["news@bench.test"],
                "to": [f"reader{index}@inbox.test"],
                "subject": "Our spring collection is here",
                "messageId": f"0100018f-{index:08d}-bench-000000",
            },
            "tags": {"ses:operation": ["SendEmail"], "ses:source-ip": ["127.0.0.1"]},
        },
        "delivery": {
            "timestamp": "2026-11-29T07:00:01.000Z",
            "processingTimeMillis": 812,
            "recipients": [f"reader{index}@inbox.test"],
            "smtpResponse": "250 2.0.0 OK queued",
            "reportingMTA": "a1-2.smtp-out.bench.test",
        },
    }


def _batches(count: int) -> list[dict[str, Any]]:
    return [
        {
            "Records": [
                {"messageId": f"m-{start + i}", "body": json.dumps(delivery_event(start + i))}
                for i in range(BATCH)
            ]
        }
        for start in range(0, count, BATCH)
    ]


def run(options: Options) -> list[Figure]:
    import boto3
    from moto import mock_aws

    from sesame.adapters.emf_event_counts import EmfEventCounts
    from sesame.adapters.eventbridge_events import EventBridgeEventBus
    from sesame.workers.event_stream import handle_sqs_batch

    count = max(BATCH, int(options.duration * 100) // BATCH * BATCH)
    counts = EmfEventCounts("Sesame", write=lambda line: None)
    size = len(json.dumps(delivery_event(0)))

    started = time.process_time()
    for batch in _batches(count):
        assert handle_sqs_batch(batch, counts=counts, bus=None) == {"batchItemFailures": []}
    alone_ms = (time.process_time() - started) * 1000 / count

    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        events.create_event_bus(Name="bench-events")
        requests = 0

        def counted(**_: Any) -> None:
            nonlocal requests
            requests += 1

        events.meta.events.register("before-call.events.PutEvents", counted)
        bus = EventBridgeEventBus(events, "bench-events")
        started = time.process_time()
        for batch in _batches(count):
            assert handle_sqs_batch(batch, counts=counts, bus=bus) == {"batchItemFailures": []}
        with_bus_ms = (time.process_time() - started) * 1000 / count

    per_million_events = 1_000_000 * EVENTS_PER_MESSAGE
    lambda_cost = (per_million_events / BATCH) * LAMBDA_PER_REQUEST + per_million_events * (
        with_bus_ms / 1000
    ) * CONSUMER_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
    return [
        Figure("event stream: consumer CPU per event, metrics only", alone_ms, "ms", f"{size} B events"),
        Figure("event stream: consumer CPU per event, with the bus", with_bus_ms, "ms", "includes moto"),
        Figure("event stream: PutEvents requests per event", requests / count, "requests", f"{count} events"),
        Figure(
            "event stream: AWS cost per million messages, with the bus",
            lambda_cost + per_million_events * EVENTBRIDGE_PER_EVENT,
            "USD",
            f"{EVENTS_PER_MESSAGE} events/message; EventBridge $1/M events, Lambda arm64 256 MB",
        ),
        Figure(
            "event stream: AWS cost per million messages, metrics only",
            (per_million_events / BATCH) * LAMBDA_PER_REQUEST
            + per_million_events * (alone_ms / 1000) * CONSUMER_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND,
            "USD",
            "Lambda only; EMF metric lines are log ingestion",
        ),
    ]
