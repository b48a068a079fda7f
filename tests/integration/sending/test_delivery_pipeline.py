"""The delivery worker end to end on moto and a real SMTP sink: queue messages in, SMTP out,
events on the topic, exactly once per recipient whatever the queue redelivers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from sesame.adapters.aws import AwsClients
from sesame.adapters.smtp_transport import RelayTransport, SmtpOptions
from sesame.domain.sending.model import QueuedMessage
from sesame.domain.sending.ports import DeliveryTask
from sesame.services import build_delivery, build_services
from sesame.settings import Settings
from sesame.workers.delivery import handle_sqs_batch
from tests.support.smtp_sink import SmtpSink


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, aws: AwsClients, settings: Settings, sink: SmtpSink, clock: Clock) -> None:
        self.aws, self.settings, self.sink, self.clock = aws, settings, sink, clock
        self.services = build_services(settings, aws, clock=clock)
        self.services.accounts.create_account("000000000001", production=True)
        transport = RelayTransport(sink.address, SmtpOptions(command_timeout=1.0, data_timeout=1.0))
        self.delivery = build_delivery(
            settings, aws, services=self.services, transport=transport, clock=clock
        )
        sqs, sns = aws.client("sqs"), aws.client("sns")
        self.events_url = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.events_url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=settings.events_topic_arn,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )

    def message(self, *recipients: str, age: float = 0.0) -> QueuedMessage:
        created = self.clock.now - age
        return QueuedMessage(
            message_id=f"0100{int(created * 1000):012x}-{uuid.uuid4()}-000000",
            account_id="000000000001",
            source="sender@example.com",
            mail_from="bounce@example.com",
            destinations=recipients,
            sending_identity="example.com",
            created_at=created,
            raw=b"From: sender@example.com\r\nTo: x@example.net\r\nSubject: hi\r\n\r\nbody\r\n",
        )

    def enqueue(self, message: QueuedMessage) -> None:
        self.services.system_mail._queue.enqueue(DeliveryTask(message, message.destinations))

    def receive_batch(self) -> dict[str, Any]:
        answer = self.aws.client("sqs").receive_message(
            QueueUrl=self.settings.delivery_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return {
            "Records": [
                {"messageId": m["MessageId"], "body": m["Body"], "receiptHandle": m["ReceiptHandle"]}
                for m in answer.get("Messages", [])
            ]
        }

    def work(self, batch: dict[str, Any]) -> list[str]:
        """What Lambda's event source does: handle the batch, delete what succeeded."""
        failures = handle_sqs_batch(self.delivery, batch)["batchItemFailures"]
        failed = [f["itemIdentifier"] for f in failures]
        for record in batch["Records"]:
            if record["messageId"] not in failed:
                self.aws.client("sqs").delete_message(
                    QueueUrl=self.settings.delivery_queue_url, ReceiptHandle=record["receiptHandle"]
                )
        return failed

    def events(self) -> list[dict[str, Any]]:
        sqs = self.aws.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            answer = sqs.receive_message(QueueUrl=self.events_url, MaxNumberOfMessages=10)
            if not answer.get("Messages"):
                return found
            for m in answer["Messages"]:
                found.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.events_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def world(aws_env):
    aws, settings = aws_env
    # A one-second first retry: the queue holds the retry back that long (DelaySeconds).
    settings = settings.model_copy(update={"retry_base": 1.0})
    with SmtpSink(starttls=False) as sink:
        yield World(aws, settings, sink, Clock(1_800_000_000.0))


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["eventType"] for e in events]


def test_a_redelivered_queue_message_sends_nothing_twice(world: World) -> None:
    world.enqueue(world.message("a@example.net", "b@example.net"))
    batch = world.receive_batch()
    assert handle_sqs_batch(world.delivery, batch) == {"batchItemFailures": []}
    assert handle_sqs_batch(world.delivery, batch) == {"batchItemFailures": []}
    (received,) = world.sink.messages
    assert set(received.recipients) == {"a@example.net", "b@example.net"}
    deliveries = [e for e in world.events() if e["eventType"] == "Delivery"]
    assert len(deliveries) == 1 and sorted(deliveries[0]["delivery"]["recipients"]) == [
        "a@example.net",
        "b@example.net",
    ]


def test_a_worker_that_died_holding_a_recipient_is_taken_over_once_its_claim_lapses(world: World) -> None:
    message = world.message("a@example.net")
    world.enqueue(message)
    batch = world.receive_batch()
    ledger = world.delivery._ledger
    assert ledger.claim(message.message_id, "a@example.net", 1, world.clock.now, 300.0)  # then it dies

    world.clock.now += 10
    failures = handle_sqs_batch(world.delivery, batch)["batchItemFailures"]
    assert [f["itemIdentifier"] for f in failures] == [batch["Records"][0]["messageId"]]
    assert world.sink.messages == []

    world.clock.now += 300
    assert handle_sqs_batch(world.delivery, batch) == {"batchItemFailures": []}
    assert len(world.sink.messages) == 1


def test_a_deferral_is_retried_later_and_then_delivered(world: World) -> None:
    world.sink.reply_to_data("451 4.3.0 busy")
    world.enqueue(world.message("a@example.net"))
    world.work(world.receive_batch())
    assert _types(world.events()) == ["DeliveryDelay"]
    assert world.sink.messages == []

    time.sleep(1.1)
    retry = world.receive_batch()
    (record,) = retry["Records"]
    assert json.loads(record["body"])["attempt"] == 2
    world.clock.now += world.settings.retry_base
    world.work(retry)
    assert _types(world.events()) == ["Delivery"]
    assert len(world.sink.messages) == 1


def test_a_server_that_stops_answering_defers_the_recipient(world: World) -> None:
    world.sink.hang_at("DATA")
    world.enqueue(world.message("a@example.net"))
    handle_sqs_batch(world.delivery, world.receive_batch())
    (delay,) = world.events()
    assert delay["eventType"] == "DeliveryDelay"
    assert delay["deliveryDelay"]["delayedRecipients"][0]["emailAddress"] == "a@example.net"


def test_a_deferral_past_the_maximum_age_becomes_a_transient_bounce_with_no_retry(world: World) -> None:
    world.sink.reply_to_data("451 4.3.0 busy")
    world.enqueue(world.message("a@example.net", age=world.settings.max_delivery_age + 1))
    world.work(world.receive_batch())
    (bounce,) = [e for e in world.events() if e["eventType"] == "Bounce"]
    assert bounce["bounce"]["bounceType"] == "Transient"
    # Only the bounce report forwarded to the sender is queued: no retry after the maximum age.
    (queued,) = world.receive_batch()["Records"]
    assert json.loads(queued["body"])["recipients"] == ["sender@example.com"]


def test_a_permanent_failure_bounces_once_and_suppresses_the_address(world: World) -> None:
    world.sink.reply_to_rcpt("gone@example.net", "550 5.1.1 no such user")
    world.enqueue(world.message("gone@example.net", "ok@example.net"))
    batch = world.receive_batch()
    handle_sqs_batch(world.delivery, batch)
    handle_sqs_batch(world.delivery, batch)
    events = world.events()
    (bounce,) = [e for e in events if e["eventType"] == "Bounce"]
    assert bounce["bounce"]["bounceSubType"] == "NoEmail"
    assert [r["emailAddress"] for r in bounce["bounce"]["bouncedRecipients"]] == ["gone@example.net"]
    assert world.sink.messages[0].recipients == ("ok@example.net",)
    entry = world.services.suppression.get("000000000001", "gone@example.net")
    assert entry.reason == "BOUNCE"
    points = world.services.statistics.data_points("000000000001")
    assert sum(p.counts.bounces for p in points) == 1
    assert sum(p.counts.delivery_attempts for p in points) == 2
