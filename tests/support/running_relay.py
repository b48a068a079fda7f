"""An egress relay's ``serve`` on an event loop of its own thread, as the container runs it."""

from __future__ import annotations

import asyncio
import threading

from sesame.smtp.egress import EgressRelay


class RunningRelay:
    def __init__(self, relay: EgressRelay) -> None:
        self._relay = relay
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        def ready(port: int) -> None:
            self.port = port
            self._ready.set()

        self._loop.run_until_complete(self._relay.serve(self._stop, ready))

    def __enter__(self) -> RunningRelay:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"
