"""The receipt worker: an SQS batch of receipt tasks in, partial batch failures out.

The Lambda entry point and local mode's queue poller both call ``handle_sqs_batch`` with the
event shape of Lambda's SQS event source. Each record is one account's copy of one message; a
task whose message another worker holds, or whose processing failed unexpectedly, is returned
as a batch item failure so the queue redelivers it (and, after the redrive policy's receives,
moves it to the dead-letter queue: never dropped in silence).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sesame.domain.receiving.inbound import ReceiptTask
from sesame.domain.receiving.processor import ReceiptProcessor, TaskOutcome

log = logging.getLogger(__name__)


class TaskDecoder(Protocol):
    def decode(self, body: str) -> ReceiptTask: ...


def handle_sqs_batch(
    processor: ReceiptProcessor, decoder: TaskDecoder, event: dict[str, Any]
) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        try:
            outcome = processor.process(decoder.decode(record["body"]))
        except Exception:
            log.exception("receipt task in record %s failed; it will be redelivered", record.get("messageId"))
            outcome = TaskOutcome.BUSY
        if outcome is TaskOutcome.BUSY:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
