"""EMF lines an SMTP server writes, collected for tests, and the check that they follow the
server's real connections over loopback."""

from __future__ import annotations

import json
import smtplib
import threading
import time
from contextlib import ExitStack
from typing import Any


class EmfRecords:
    """A writer for ``ConnectionMetrics``; thread-safe, since servers write from their own loop."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(line) for line in self._lines]

    def wait_for(self, count: int, timeout: float = 5.0) -> dict[str, Any]:
        """The first record written from now on that reports ``count`` open connections."""
        seen = len(self.all())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.all()[seen:]:
                if record["OpenConnections"] == count:
                    return record
            time.sleep(0.02)
        raise AssertionError(f"no record of {count} open connections in {self.all()[seen:]}")


def open_clients(port: int, count: int, stack: ExitStack) -> None:
    """``count`` SMTP clients connected to ``port`` and greeted, closed with ``stack``."""
    for _ in range(count):
        client = stack.enter_context(smtplib.SMTP("127.0.0.1", port, timeout=10))
        assert client.ehlo()[0] == 250


def assert_records_follow_connections(records: EmfRecords, port: int, tier: str) -> None:
    """Three clients connect: a record reports 3 for ``tier``; they leave: a record reports 0."""
    with ExitStack() as clients:
        open_clients(port, 3, clients)
        record = records.wait_for(3)
    assert record["Tier"] == tier
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Sesame" and directive["Dimensions"] == [["Tier"]]
    assert directive["Metrics"] == [{"Name": "OpenConnections", "Unit": "Count"}]
    records.wait_for(0)
