"""Sending events counted as SES names its CloudWatch metrics (Send, Delivery, Bounce, ...)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

METRIC_NAMES = {
    "Send": "Send",
    "Delivery": "Delivery",
    "Bounce": "Bounce",
    "Complaint": "Complaint",
    "Reject": "Reject",
    "Rendering Failure": "RenderingFailure",
    "DeliveryDelay": "DeliveryDelay",
    "Open": "Open",
    "Click": "Click",
    "Subscription": "Subscription",
}


def metric_counts(events: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many events of each kind, under SES's metric names; other records are not counted."""
    counts: Counter[str] = Counter()
    for event in events:
        event_type = event.get("eventType")
        name = METRIC_NAMES.get(event_type) if isinstance(event_type, str) else None
        if name:
            counts[name] += 1
    return dict(counts)
