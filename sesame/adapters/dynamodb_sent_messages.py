"""Delivered messages remembered for the feedback loop: one item per message in the deliveries
table, under the reserved recipient key ``#message`` (no address starts with ``#`` in a
recipient list we accept), expiring with the ledger's items after 30 days."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sesame.adapters.delivery_task_json import task_from_json, task_to_json
from sesame.domain.sending.feedback_loop import SENT_MESSAGE_RETENTION_SECONDS, SentMessage
from sesame.domain.sending.model import QueuedMessage
from sesame.domain.sending.ports import DeliveryTask

MESSAGE_KEY = "#message"


class DynamoSentMessages:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def remember(self, message: QueuedMessage, header_section: bytes, *, now: float) -> None:
        bare = replace(message, raw=None, spool_key=None)
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "message_id": {"S": message.message_id},
                "recipient": {"S": MESSAGE_KEY},
                "message": {"S": task_to_json(DeliveryTask(message=bare, recipients=(), attempt=1))},
                "headers": {"B": header_section},
                "expires_at": {"N": str(int(now + SENT_MESSAGE_RETENTION_SECONDS))},
            },
        )

    def find(self, message_id: str) -> SentMessage | None:
        answer = self._ddb.get_item(
            TableName=self._table,
            Key={"message_id": {"S": message_id}, "recipient": {"S": MESSAGE_KEY}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if item is None:
            return None
        return SentMessage(
            message=task_from_json(item["message"]["S"]).message, headers=bytes(item["headers"]["B"])
        )
