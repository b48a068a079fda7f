"""Sending events as EventBridge entries, the way SES's EventBridge destination shapes them.

SES puts each event on the bus with a ``detail-type`` naming what happened ("Email Delivered",
...) and the event record itself as ``detail``. Rules match on those. The source cannot be SES's
own ``aws.ses``: EventBridge reserves ``aws.`` sources for AWS services.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SOURCE = "sesame.ses"

DETAIL_TYPES = {
    "Send": "Email Sent",
    "Delivery": "Email Delivered",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
    "Reject": "Email Rejected",
    "Rendering Failure": "Email Rendering Failed",
    "DeliveryDelay": "Email Delivery Delayed",
    "Open": "Email Opened",
    "Click": "Email Clicked",
    "Subscription": "Email Subscribed",
}
# EventBridge's limit on one PutEvents request, all entries together (and so on one entry): the
# total must be less than this.
MAX_REQUEST_BYTES = 256 * 1024
MAX_ENTRIES_PER_REQUEST = 10


class NotAnEvent(ValueError):
    """The record is not a sending event this format knows."""


@dataclass(frozen=True)
class BusEntry:
    detail_type: str
    detail: str  # the event record, as JSON

    @property
    def size(self) -> int:
        """EventBridge's own measure of an entry: source, detail-type and detail, in UTF-8 bytes
        (no time or resources are set)."""
        return len(SOURCE.encode()) + len(self.detail_type.encode()) + len(self.detail.encode())


def bus_entry(event: dict[str, Any]) -> BusEntry:
    event_type = event.get("eventType")
    detail_type = DETAIL_TYPES.get(event_type) if isinstance(event_type, str) else None
    if detail_type is None:
        raise NotAnEvent(f"not a sending event type: {event_type!r}")
    return BusEntry(detail_type, json.dumps(event, separators=(",", ":"), ensure_ascii=False))


@dataclass(frozen=True)
class RequestPlan:
    # Positions of the entries, grouped into PutEvents requests, in order.
    batches: list[list[int]]
    # Positions of entries no request can carry: they can never be put, whatever the retries.
    oversized: list[int]


def request_batches(entries: list[BusEntry]) -> RequestPlan:
    """``entries`` grouped into PutEvents requests of at most ten entries, each request under
    EventBridge's 256 KB."""
    batches: list[list[int]] = []
    oversized: list[int] = []
    current: list[int] = []
    size = 0
    for position, entry in enumerate(entries):
        if entry.size >= MAX_REQUEST_BYTES:
            oversized.append(position)
            continue
        if current and (len(current) == MAX_ENTRIES_PER_REQUEST or size + entry.size >= MAX_REQUEST_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(position)
        size += entry.size
    if current:
        batches.append(current)
    return RequestPlan(batches, oversized)
