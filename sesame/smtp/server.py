"""The submission server: the STARTTLS listener and the implicit-TLS listener on one event loop,
in a thread of their own so that local mode and the container run them the same way."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
import weakref
from collections.abc import Callable

from sesame.domain.smtp_credentials import SmtpCredentialVerifier
from sesame.emf import write_to_stdout
from sesame.services import Services
from sesame.smtp.certificate_refresh import CertificateRefresher
from sesame.smtp.connection_metrics import ConnectionMetrics
from sesame.smtp.limits import AuthFailureThrottle, ConnectionLimiter
from sesame.smtp.session import SessionOptions, SubmissionSession
from sesame.smtp.settings import SmtpSettings
from sesame.smtp.submission import SubmissionDesk

log = logging.getLogger(__name__)


class SubmissionServer:
    def __init__(
        self,
        desk: SubmissionDesk,
        settings: SmtpSettings,
        tls: ssl.SSLContext,
        host_name: str,
        *,
        metrics_write: Callable[[str], None] = write_to_stdout,
        certificate_refresher: CertificateRefresher | None = None,
    ) -> None:
        self._desk = desk
        self._settings = settings
        self._tls = tls
        self._host_name = host_name
        self._limiter = ConnectionLimiter(
            max_total=settings.max_connections, max_per_address=settings.max_connections_per_address
        )
        # Open sessions, to close at shutdown; a closed one is dropped with its transport.
        self._sessions: weakref.WeakSet[SubmissionSession] = weakref.WeakSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listeners: list[asyncio.Server] = []
        self._metrics = ConnectionMetrics(
            tier=settings.metrics_tier,
            interval=settings.metrics_interval,
            open_connections=lambda: self._limiter.open_connections,
            write=metrics_write,
        )
        # Keeps ``tls`` on the current version of a renewed certificate, while the server runs.
        self._certificate_refresher = certificate_refresher

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on both ports; raises OSError when a port cannot be bound."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        thread = threading.Thread(target=loop.run_forever, name="smtp-submission", daemon=True)
        thread.start()
        self._thread = thread
        try:
            asyncio.run_coroutine_threadsafe(self._listen(), loop).result(timeout=30)
        except BaseException:
            self.stop()
            raise
        log.info("SMTP submission on %s (STARTTLS) and %s (TLS)", self.submission_port, self.smtps_port)

    def stop(self) -> None:
        """Stop accepting, let sessions in flight finish (up to the grace period), close the
        rest, and wait for sends in flight."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(self._settings.shutdown_grace), loop)
            future.result(timeout=self._settings.shutdown_grace + 30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
        if loop is not None and not loop.is_running():
            loop.close()
        self._loop = self._thread = None
        self._desk.close()

    @property
    def submission_port(self) -> int:
        return self._port(0)

    @property
    def smtps_port(self) -> int:
        return self._port(1)

    @property
    def open_connections(self) -> int:
        return self._limiter.open_connections

    def _port(self, index: int) -> int:
        if len(self._listeners) < 2:
            raise RuntimeError("the submission server is not listening")
        return int(self._listeners[index].sockets[0].getsockname()[1])

    # --- inside the loop ------------------------------------------------------------------------

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        settings = self._settings
        starttls = await loop.create_server(
            lambda: self._session(implicit_tls=False), settings.host, settings.submission_port
        )
        self._listeners.append(starttls)
        implicit = await loop.create_server(
            lambda: self._session(implicit_tls=True),
            settings.host,
            settings.smtps_port,
            ssl=self._tls,
            ssl_handshake_timeout=settings.idle_timeout,
        )
        self._listeners.append(implicit)
        self._metrics.start()
        if self._certificate_refresher is not None:
            self._certificate_refresher.start()

    def _session(self, *, implicit_tls: bool) -> SubmissionSession:
        assert self._loop is not None
        settings = self._settings
        options = SessionOptions(
            host_name=self._host_name,
            idle_timeout=settings.idle_timeout,
            command_timeout=settings.command_timeout,
            implicit_tls=implicit_tls,
        )
        session = SubmissionSession(self._desk, self._limiter, options, self._tls, self._loop)
        self._sessions.add(session)
        return session

    async def _shutdown(self, grace: float) -> None:
        await self._metrics.stop()
        if self._certificate_refresher is not None:
            await self._certificate_refresher.stop()
        for listener in self._listeners:
            listener.close()
        # A message being received or sent is finished; idle sessions are told to go.
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(s.busy for s in list(self._sessions)):
            await asyncio.sleep(0.05)
        for session in list(self._sessions):
            session.close_for_shutdown()
        for listener in self._listeners:
            await listener.wait_closed()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def build_submission_server(
    services: Services,
    settings: SmtpSettings,
    tls: ssl.SSLContext,
    *,
    metrics_write: Callable[[str], None] = write_to_stdout,
    certificate_refresher: CertificateRefresher | None = None,
) -> SubmissionServer:
    runtime = services.settings
    desk = SubmissionDesk(
        sending=services.sending,
        verifier=SmtpCredentialVerifier(services.accounts, runtime.region),
        throttle=AuthFailureThrottle(
            base=settings.auth_failure_delay, ceiling=settings.auth_failure_max_delay
        ),
        workers=settings.send_workers,
    )
    return SubmissionServer(
        desk,
        settings,
        tls,
        settings.host_name or runtime.mail_host_name,
        metrics_write=metrics_write,
        certificate_refresher=certificate_refresher,
    )
