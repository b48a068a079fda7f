"""Sending-event counts as CloudWatch metrics, through the Embedded Metric Format.

One JSON line per batch on stdout: in Lambda it becomes a log event, and CloudWatch Logs turns it
into data points of ``<namespace>/Send``, ``.../Delivery``, ... without a PutMetricData call. The
metrics have no dimensions: they are the deployment's totals, as SES's are an account's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

from sesame.emf import emf_record, write_to_stdout


class EmfEventCounts:
    def __init__(
        self,
        namespace: str,
        *,
        write: Callable[[str], None] = write_to_stdout,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._namespace = namespace
        self._write = write
        self._clock = clock

    def add(self, counts: Mapping[str, int]) -> None:
        if not counts:
            return
        record = emf_record(
            namespace=self._namespace,
            dimensions={},
            values=dict(counts),
            unit="Count",
            timestamp_ms=int(self._clock() * 1000),
        )
        self._write(json.dumps(record, separators=(",", ":")))
