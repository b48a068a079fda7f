"""The delivery worker: an SQS batch in, partial batch failures out.

The Lambda entry point and local mode's queue poller both call ``handle_sqs_batch`` with the
event shape of Lambda's SQS event source. Records whose task cannot be delivered now are
returned as ``batchItemFailures`` so the queue redelivers only them. The batch is handled as a
whole rather than record by record (Powertools' BatchProcessor) because recipients of different
records that share a domain go out over one SMTP connection.
"""

from __future__ import annotations

import logging
from typing import Any

from sesame.adapters.delivery_task_json import task_from_json
from sesame.domain.sending.delivery import DeliveryService
from sesame.domain.sending.ports import DeliveryTask

log = logging.getLogger(__name__)


def handle_sqs_batch(delivery: DeliveryService, event: dict[str, Any]) -> dict[str, Any]:
    records = event.get("Records", [])
    tasks: list[DeliveryTask] = []
    positions: list[int] = []  # record position of each task
    failed: set[int] = set()
    for position, record in enumerate(records):
        try:
            tasks.append(task_from_json(record["body"]))
        except (ValueError, KeyError, TypeError):
            # Not a task this code can read: left to the queue's redrive policy, which moves
            # it to the dead-letter queue after the configured number of receives.
            log.exception("unreadable delivery task in record %s", record.get("messageId"))
            failed.add(position)
            continue
        positions.append(position)
    failed.update(positions[i] for i in delivery.deliver_batch(tasks))
    return {"batchItemFailures": [{"itemIdentifier": records[p]["messageId"]} for p in sorted(failed)]}
