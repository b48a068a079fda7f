"""The event stream's consumer: the events topic's queue in; metrics, and the EventBridge bus, out.

The events topic delivers each event record to the queue (raw message delivery: the body is the
record). Each batch is counted into SES's sending metrics (Send, Delivery, Bounce, ...) and, when
the deployment has an EventBridge bus, put on it in as few PutEvents requests as EventBridge's
limits allow. Records that could not be put come back as ``batchItemFailures``, so only they are
retried; a record is counted once, in the batch that acknowledges it, so a retry never counts
twice. An unreadable record ends in the dead-letter queue rather than blocking the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from sesame.domain.sending.event_bus_format import BusEntry, NotAnEvent, bus_entry
from sesame.domain.sending.event_metrics import metric_counts

log = logging.getLogger(__name__)


class EventBus(Protocol):
    def put(self, entries: list[BusEntry]) -> set[int]:
        """Put the entries; return the positions of those not put."""
        ...


class EventCounts(Protocol):
    def add(self, counts: Mapping[str, int]) -> None: ...


def handle_sqs_batch(event: dict[str, Any], *, counts: EventCounts, bus: EventBus | None) -> dict[str, Any]:
    records = event.get("Records", [])
    readable: list[tuple[int, dict[str, Any], BusEntry]] = []
    failed: set[int] = set()
    for position, record in enumerate(records):
        try:
            body = json.loads(record["body"])
            readable.append((position, body, bus_entry(body)))
        except (ValueError, KeyError, TypeError, NotAnEvent):
            log.exception("unreadable event in record %s", record.get("messageId"))
            failed.add(position)
    if bus is not None:
        not_put = bus.put([entry for _, _, entry in readable])
        failed.update(readable[i][0] for i in not_put)
    done = [body for position, body, _ in readable if position not in failed]
    if done:
        counts.add(metric_counts(done))
    return {"batchItemFailures": [{"itemIdentifier": records[p]["messageId"]} for p in sorted(failed)]}
