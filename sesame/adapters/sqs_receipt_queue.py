"""The receipt queue on SQS, and the inbound bucket on S3.

A task names the message's bytes by their key in the inbound bucket; the bytes themselves never
travel through the queue. A task too large for a queue message (a rule set with many long
rules) is parked in the inbound bucket too, and the queue message names it.
"""

from __future__ import annotations

import json
from typing import Any

from sesame.adapters.receipt_task_json import task_from_json, task_to_json
from sesame.domain.receiving.inbound import ReceiptTask

MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds
_MAX_INLINE = 200_000  # bytes of task JSON sent inline; SQS takes 256 KiB per message


class S3InboundStore:
    """Raw received messages, ``inbound/<message id>``, encrypted at rest with the deployment's key."""

    def __init__(self, s3: Any, bucket: str, *, kms_key_id: str | None = None) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def _encryption(self) -> dict[str, str]:
        if not self._kms_key_id:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key_id}

    def store(self, message_id: str, raw: bytes) -> str:
        key = f"inbound/{message_id}"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=raw, **self._encryption())
        return key

    def load(self, key: str) -> bytes:
        body: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body

    def put_json(self, key: str, text: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=text.encode("utf-8"), **self._encryption())

    def get_json(self, key: str) -> str:
        return self.load(key).decode("utf-8")


class SqsReceiptQueue:
    def __init__(self, *, sqs: Any, queue_url: str, store: S3InboundStore) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._store = store

    def enqueue(self, task: ReceiptTask, *, delay_seconds: int = 0) -> None:
        body = task_to_json(task)
        if len(body.encode("utf-8")) > _MAX_INLINE:
            key = f"tasks/{task.envelope.message_id}/{task.account_id}/{task.attempt}.json"
            self._store.put_json(key, body)
            body = json.dumps({"task_key": key})
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=body,
            DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
        )

    def decode(self, body: str) -> ReceiptTask:
        """The task a queue message carries (fetching a parked one from the bucket)."""
        if body.startswith('{"task_key"'):
            return task_from_json(self._store.get_json(str(json.loads(body)["task_key"])))
        return task_from_json(body)
