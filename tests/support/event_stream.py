"""Sesame's internal event stream, read as a user would: an SQS queue on the embedded AWS
subscribed to the `sesame-events` topic."""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.support.compat_clients import aws_client, wait_for
from tests.support.local_process import LocalProcess


class EventReader:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._lock = threading.Lock()
        self.seen: list[dict[str, Any]] = []

    def _drain(self) -> None:
        with self._lock:
            answer = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10)
            for message in answer.get("Messages", []):
                self.seen.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def for_message(self, message_id: str, event_type: str, timeout: float = 60.0) -> list[dict[str, Any]]:
        """The events of ``event_type`` for ``message_id``, once there is at least one."""

        def poll() -> list[dict[str, Any]]:
            self._drain()
            return [
                e for e in self.seen if e["mail"]["messageId"] == message_id and e["eventType"] == event_type
            ]

        return wait_for(poll, bool, timeout=timeout)

    __call__ = for_message

    def types_for(self, message_id: str) -> list[str]:
        self._drain()
        return [e["eventType"] for e in self.seen if e["mail"]["messageId"] == message_id]


def subscribe_events(local: LocalProcess, queue_name: str) -> EventReader:
    sns, sqs = aws_client(local, "sns"), aws_client(local, "sqs")
    topic = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":sesame-events")
    )
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return EventReader(sqs, queue_url)
