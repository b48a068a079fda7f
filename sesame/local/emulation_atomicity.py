"""Makes the embedded DynamoDB emulation apply one request at a time, as DynamoDB does per item.

DynamoDB evaluates a condition expression and applies the write atomically; moto evaluates and
writes in two steps without a lock, so two threads can both pass ``attribute_not_exists`` and
both write. Quota reservations and the delivery ledger rely on that atomicity, so local mode
(and the integration tests, which run against the same emulation) serialize DynamoDB requests
through one lock. The cost is throughput that local mode does not need.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_installed = False


def serialize_dynamodb_requests() -> None:
    """Idempotent: wraps moto's DynamoDB request handler in a process-wide lock."""
    global _installed
    with _LOCK:
        if _installed:
            return
        from moto.dynamodb.responses import DynamoHandler

        original = DynamoHandler.call_action

        @functools.wraps(original)
        def call_action(self: Any) -> Any:
            with _LOCK:
                return original(self)

        DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        _installed = True
