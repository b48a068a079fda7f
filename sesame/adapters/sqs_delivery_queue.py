"""The delivery queue on SQS, with message bodies too large for a queue message in S3.

SQS holds at most 256 KiB per message (base64 grows the body by a third), so a body above the
settings' spool threshold is written to the spool bucket first, encrypted with the deployment's
KMS key, and the queue message names it. Both writes finish before ``enqueue`` returns: the
API answers only once the message is durable.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sesame.adapters.delivery_task_json import task_to_json
from sesame.domain.sending.model import QueuedMessage
from sesame.domain.sending.ports import DeliveryTask

MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds


class SqsDeliveryQueue:
    def __init__(
        self,
        *,
        sqs: Any,
        s3: Any,
        queue_url: str,
        spool_bucket: str,
        spool_threshold: int,
        kms_key_id: str | None = None,
    ) -> None:
        self._sqs = sqs
        self._s3 = s3
        self._queue_url = queue_url
        self._bucket = spool_bucket
        self._threshold = spool_threshold
        self._kms_key_id = kms_key_id

    def enqueue(self, task: DeliveryTask, *, delay_seconds: int = 0) -> None:
        message = task.message
        if message.raw is not None and len(message.raw) > self._threshold:
            key = self._spool_key(message)
            extra: dict[str, Any] = {}
            if self._kms_key_id:
                extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key_id}
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=message.raw, **extra)
            message = dataclasses.replace(message, raw=None, spool_key=key)
            task = dataclasses.replace(task, message=message)
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=task_to_json(task),
            DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)),
        )

    def load_raw(self, message: QueuedMessage) -> bytes:
        if message.raw is not None:
            return message.raw
        if message.spool_key is None:
            raise ValueError(f"message {message.message_id} has neither a body nor a spool key")
        body: bytes = self._s3.get_object(Bucket=self._bucket, Key=message.spool_key)["Body"].read()
        return body

    def discard_spool(self, message: QueuedMessage) -> None:
        if message.spool_key is not None:
            self._s3.delete_object(Bucket=self._bucket, Key=message.spool_key)

    @staticmethod
    def _spool_key(message: QueuedMessage) -> str:
        # The account id first keeps one account's bodies under one prefix (lifecycle, audits).
        return f"spool/{message.account_id}/{message.message_id}.eml"
