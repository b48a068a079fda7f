"""A server's open connections as a CloudWatch metric, through the Embedded Metric Format (EMF).

Every ``interval`` seconds (and once at start) the server writes one JSON line. In a Fargate task
the awslogs driver ships stdout to CloudWatch Logs, which turns each EMF line into a data point of
``Sesame/OpenConnections`` with the ``Tier`` dimension: no CloudWatch API call, no credentials.
Every task publishes its own count, so the metric's Average over a period is the connections per
task, which is what the tier's scaling policy tracks.

The writer is given, not assumed: containers write to stdout, local mode and tests write
elsewhere or not at all (an interval of 0 turns publishing off), so the ``sesame ready`` line of
local mode stays alone on its stdout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from sesame.emf import emf_record, write_to_stdout
from sesame.settings import METRICS_NAMESPACE

log = logging.getLogger(__name__)

NAMESPACE = METRICS_NAMESPACE
OPEN_CONNECTIONS = "OpenConnections"
TIER_DIMENSION = "Tier"


def open_connections_record(tier: str, count: int, timestamp_ms: int) -> dict[str, Any]:
    return emf_record(
        namespace=NAMESPACE,
        dimensions={TIER_DIMENSION: tier},
        values={OPEN_CONNECTIONS: count},
        unit="Count",
        timestamp_ms=timestamp_ms,
    )


class ConnectionMetrics:
    """Publishes ``open_connections()`` for ``tier`` every ``interval`` seconds on the running
    event loop, between ``start`` and ``stop``. An interval of 0 publishes nothing."""

    def __init__(
        self,
        *,
        tier: str,
        interval: float,
        open_connections: Callable[[], int],
        write: Callable[[str], None] = write_to_stdout,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tier = tier
        self._interval = interval
        self._open_connections = open_connections
        self._write = write
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin publishing; call from the server's event loop."""
        if self._interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._publish_forever())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def publish(self) -> None:
        record = open_connections_record(self._tier, self._open_connections(), int(self._clock() * 1000))
        self._write(json.dumps(record, separators=(",", ":")))

    async def _publish_forever(self) -> None:
        while True:
            try:
                self.publish()
            except Exception:
                # A metric that cannot be written must not take the server down with it.
                log.exception("could not publish the open connections of %s", self._tier)
            await asyncio.sleep(self._interval)
