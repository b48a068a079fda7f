"""A periodic job on a thread: local mode's stand-in for an EventBridge schedule."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval: float, job: Callable[[], object]) -> None:
        self._name = name
        self._interval = interval
        self._job = job
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._job()
            except Exception:
                # A failed run is retried at the next tick, as a scheduled Lambda would be.
                log.exception("scheduled job %s failed", self._name)
