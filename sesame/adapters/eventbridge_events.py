"""Puts sending events on an EventBridge bus, in SES's EventBridge shape, ten to a request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sesame.domain.sending.event_bus_format import SOURCE, BusEntry, request_batches

log = logging.getLogger(__name__)


class EventBridgeEventBus:
    def __init__(self, events: Any, bus_name: str) -> None:
        self._events = events
        self._bus_name = bus_name

    def put(self, entries: Sequence[BusEntry]) -> set[int]:
        """Put every entry; return the positions of those that were not put (to be retried). An
        entry EventBridge could never take is logged and given up on, not retried."""
        entries = list(entries)
        plan = request_batches(entries)
        for position in plan.oversized:
            log.error(
                "a %s event of %d bytes exceeds EventBridge's limit and is not put on %s",
                entries[position].detail_type,
                entries[position].size,
                self._bus_name,
            )
        failed = set(range(len(entries))) - set(plan.oversized)
        for batch in plan.batches:
            request = [
                {
                    "Source": SOURCE,
                    "DetailType": entries[p].detail_type,
                    "Detail": entries[p].detail,
                    "EventBusName": self._bus_name,
                }
                for p in batch
            ]
            try:
                answer = self._events.put_events(Entries=request)
            except (ClientError, BotoCoreError):
                log.exception("PutEvents to %s failed for %d events", self._bus_name, len(batch))
                continue
            for position, result in zip(batch, answer.get("Entries", []), strict=False):
                if result.get("EventId") and not result.get("ErrorCode"):
                    failed.discard(position)
                else:
                    log.warning("event not put on %s: %s", self._bus_name, result.get("ErrorMessage"))
        return failed
