"""Local mode's stand-in for Lambda's SQS event source: receive a batch, call the same handler,
delete what succeeded, and make failures visible again after a short delay."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BatchHandler = Callable[[dict[str, Any]], dict[str, Any]]


class QueuePoller:
    def __init__(
        self,
        name: str,
        *,
        sqs: Any,
        queue_url: str,
        handler: BatchHandler,
        batch_size: int = 10,
        idle_sleep: float = 0.05,
        retry_visibility: int = 1,
    ) -> None:
        self._name = name
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._batch_size = batch_size
        self._idle_sleep = idle_sleep
        self._retry_visibility = retry_visibility
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop receiving; the batch in hand is finished first."""
        self._stop.set()
        self._thread.join(timeout)

    def poll_once(self) -> int:
        """Receive and handle one batch; return how many records it held."""
        answer = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            AttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
        }
        try:
            response = self._handler(event)
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception:
            log.exception("%s: batch handler failed; the whole batch will be redelivered", self._name)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        for m in messages:
            if m["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=self._retry_visibility,
                )
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.poll_once()
            except Exception:
                log.exception("%s: polling failed", self._name)
                handled = 0
            if not handled:
                self._stop.wait(self._idle_sleep)
