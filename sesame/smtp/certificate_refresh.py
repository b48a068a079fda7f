"""Keeps a serving SSL context on the current version of a renewed certificate.

ACM renews an exportable certificate before it expires, and the renewed certificate must be
exported again: every ``interval`` seconds the refresher exports it and, when the chain differs
from the one being served, loads it into the same context, so that new handshakes present it
while sessions already open keep theirs. A failed export is logged and tried again at the next
interval; the certificate already loaded keeps serving.

It runs on the server's event loop between ``start`` and ``stop``, like the connection metrics;
the export (an AWS call) runs on a worker thread, the loading on the loop, where the handshakes
happen.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable

from sesame.smtp.tls_material import TlsMaterial, load_material

log = logging.getLogger(__name__)

TWELVE_HOURS = 12 * 3600.0


class CertificateRefresher:
    def __init__(
        self,
        *,
        context: ssl.SSLContext,
        fetch: Callable[[], TlsMaterial],
        interval: float = TWELVE_HOURS,
        source: str = "the certificate",
    ) -> None:
        self._context = context
        self._fetch = fetch
        self._interval = interval
        self._source = source
        self._served: bytes | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def context(self) -> ssl.SSLContext:
        return self._context

    def refresh(self) -> bool:
        """Fetch the material and load it if it changed; True when it was loaded. Blocks;
        raises when the material cannot be fetched or loaded."""
        return self.install(self._fetch())

    def install(self, material: TlsMaterial) -> bool:
        if material.certificate_chain == self._served:
            return False
        load_material(self._context, material)
        first = self._served is None
        self._served = material.certificate_chain
        if not first:
            log.info("a new TLS certificate from %s now serves new connections", self._source)
        return True

    def start(self) -> None:
        """Begin refreshing; call from the server's event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _refresh_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._interval)
            try:
                material = await loop.run_in_executor(None, self._fetch)
                self.install(material)
            except Exception:
                # The certificate already loaded keeps serving until an export succeeds.
                log.exception(
                    "could not refresh the TLS certificate from %s; retrying in %.0f s",
                    self._source,
                    self._interval,
                )
