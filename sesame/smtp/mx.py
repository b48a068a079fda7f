"""The inbound MX: aiosmtpd, speaking for every account's active receipt rule set.

Per connection, in SES's order:

1. On connect, the connection limits, then the IP filters (``MxPolicy.open_session``): a
   refused client gets ``554 5.7.1`` instead of the greeting.
2. Each RCPT TO is routed to the accounts that take it; one nobody takes gets
   ``550 5.1.1 Mailbox does not exist``; one whose matching rule requires TLS, in a session
   without it, ``530 5.7.0 Must issue a STARTTLS command first``.
3. After DATA the message is stored and queued (``MessageAcceptance``) before ``250 Ok <id>``;
   if that fails the client gets ``451`` and tries again later.

A recipient that is the envelope sender of a message we delivered (``<MessageId>@<feedback
domain>``) is taken whatever the receipt rules say: it carries a DSN or feedback report, which
is processed (events, suppression, statistics) before the ``250``, and ``451`` if that fails.

EHLO offers SIZE (40 MB), 8BITMIME, SMTPUTF8, PIPELINING and STARTTLS (no AUTH: an MX takes mail
for its recipients from anyone the filters let in). Every blocking call (DynamoDB, S3, SQS) runs
on a thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session

from sesame.domain.receiving.acceptance import MessageAcceptance
from sesame.domain.receiving.admission import MxPolicy, MxSession, RecipientVerdict
from sesame.emf import write_to_stdout
from sesame.smtp.certificate_refresh import CertificateRefresher
from sesame.smtp.connection_metrics import ConnectionMetrics
from sesame.smtp.limits import ConnectionLimiter

log = logging.getLogger(__name__)

FeedbackProcessor = Callable[[str, bytes], None]  # (recipient, raw report)

MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_RECIPIENTS = 100

ACCESS_DENIED = "554 5.7.1 Access denied"
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections, try again later"
UNAVAILABLE = "421 4.3.0 Service not available, try again later"
MAILBOX_DOES_NOT_EXIST = "550 5.1.1 Mailbox does not exist"
MUST_STARTTLS = "530 5.7.0 Must issue a STARTTLS command first"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
NO_VALID_RECIPIENTS = "554 5.5.1 No valid recipients"
TRY_LATER = "451 4.3.0 Temporary failure, try again later"

T = TypeVar("T")


@dataclass(frozen=True)
class MxLimits:
    max_connections: int = 1000
    max_connections_per_address: int = 20
    idle_timeout: float = 300.0  # RFC 5321 section 4.5.3.2: servers wait 5 minutes for a command
    max_recipients: int = MAX_RECIPIENTS
    max_message_bytes: int = MAX_MESSAGE_BYTES


class MxEnvelope(Envelope):
    """aiosmtpd's envelope plus the accounts each accepted recipient was routed to."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, list[str]] = {}
        self.feedback: list[str] = []  # recipients that are envelope senders of our mail


class MxProtocol(SMTP):
    """One instance per connection."""

    def __init__(
        self,
        handler: MxHandler,
        *,
        limiter: ConnectionLimiter,
        policy: MxPolicy,
        blocking: Callable[..., Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._limiter = limiter
        self._policy = policy
        self.run_blocking = blocking
        self.mx_session: MxSession | None = None

    def _create_envelope(self) -> Envelope:
        return MxEnvelope()

    async def _handle_client(self) -> None:
        assert self.session is not None
        peer = self.session.peer
        ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self._limiter.admit(ip):
            await self._refuse(TOO_MANY_CONNECTIONS)
            return
        try:
            try:
                self.mx_session = await self.run_blocking(self._policy.open_session, ip)
            except Exception:
                log.exception("receiving configuration could not be read for a connection from %s", ip)
                await self._refuse(UNAVAILABLE)
                return
            if self.mx_session is None:
                log.info("connection from %s refused by IP filters", ip)
                await self._refuse(ACCESS_DENIED)
                return
            await super()._handle_client()
        finally:
            self._limiter.release(ip)

    async def _refuse(self, reply: str) -> None:
        await self.push(reply)
        if self.transport is not None:
            self.transport.close()


class MxHandler:
    """aiosmtpd's hooks for the MX."""

    def __init__(
        self, acceptance: MessageAcceptance, limits: MxLimits, feedback: FeedbackProcessor | None = None
    ) -> None:
        self._feedback = feedback
        self._acceptance = acceptance
        self._limits = limits

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        offered = [line for line in responses[:-1] if not line[4:].upper().startswith("AUTH")]
        return [*offered, "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        assert isinstance(server, MxProtocol) and isinstance(envelope, MxEnvelope)
        mx_session = server.mx_session
        if mx_session is None:
            return ACCESS_DENIED
        if len(envelope.rcpt_tos) >= self._limits.max_recipients:
            return TOO_MANY_RECIPIENTS
        try:
            route = await server.run_blocking(partial(mx_session.route, address, tls=session.ssl is not None))
        except Exception:
            log.exception("recipient %s could not be routed", address)
            return TRY_LATER
        if route.verdict is RecipientVerdict.FEEDBACK and self._feedback is not None:
            if address not in envelope.feedback:
                envelope.feedback.append(address)
                envelope.rcpt_tos.append(address)  # aiosmtpd takes DATA only after a recipient
            return "250 2.1.5 Ok"
        if route.verdict is RecipientVerdict.TLS_REQUIRED:
            return MUST_STARTTLS
        if route.verdict is not RecipientVerdict.ACCEPTED:
            return MAILBOX_DOES_NOT_EXIST
        if address not in envelope.rcpt_tos:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            for account_id in route.accounts:
                envelope.routes.setdefault(account_id, []).append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(server, MxProtocol) and isinstance(envelope, MxEnvelope)
        mx_session = server.mx_session
        if mx_session is None or not (envelope.routes or envelope.feedback):
            return NO_VALID_RECIPIENTS
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        if envelope.feedback and self._feedback is not None:
            try:
                for recipient in envelope.feedback:
                    await server.run_blocking(self._feedback, recipient, raw)
            except Exception:
                log.exception(
                    "a report for %s could not be processed; the client will retry", envelope.feedback
                )
                return TRY_LATER
            if not envelope.routes:
                return "250 2.0.0 Ok"
        mail_from = envelope.mail_from or ""
        peer = session.peer
        try:
            deliveries = mx_session.deliveries(envelope.routes)
            message_id = await server.run_blocking(
                partial(
                    self._acceptance.accept,
                    raw,
                    mail_from="" if mail_from == "<>" else mail_from,
                    helo=session.host_name or "",
                    remote_ip=str(peer[0]) if isinstance(peer, tuple) and peer else "",
                    tls=session.ssl is not None,
                    deliveries=deliveries,
                )
            )
        except Exception:
            log.exception("a message from %s could not be stored; the client will retry", peer)
            return TRY_LATER
        log.info("received message %s for %d recipient(s)", message_id, len(envelope.rcpt_tos))
        return f"250 Ok {message_id}"


class MxServer:
    """The MX on its own event loop: on a thread (``start``/``stop``, local mode) or in the
    caller's thread (``run_forever``, the container)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        policy: MxPolicy,
        acceptance: MessageAcceptance,
        tls_context: ssl.SSLContext | None,
        host_name: str,
        limits: MxLimits | None = None,
        threads: int = 32,
        feedback: FeedbackProcessor | None = None,
        metrics_interval: float = 0.0,
        metrics_tier: str = "mx",
        metrics_write: Callable[[str], None] = write_to_stdout,
        certificate_refresher: CertificateRefresher | None = None,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._policy = policy
        self._limits = limits or MxLimits()
        self._handler = MxHandler(acceptance, self._limits, feedback)
        self._tls_context = tls_context
        self._host_name = host_name
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mx")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: Any = None
        self._limiter: ConnectionLimiter | None = None
        self._metrics = ConnectionMetrics(
            tier=metrics_tier,
            interval=metrics_interval,
            open_connections=lambda: self.open_connections,
            write=metrics_write,
        )
        # Keeps ``tls_context`` on the current version of a renewed certificate, while serving.
        self._certificate_refresher = certificate_refresher
        self.port = port

    @property
    def open_connections(self) -> int:
        return self._limiter.open_connections if self._limiter is not None else 0

    def _factory(self, loop: asyncio.AbstractEventLoop, limiter: ConnectionLimiter) -> MxProtocol:
        async def blocking(function: Callable[..., T], *args: Any) -> T:
            return await loop.run_in_executor(self._executor, partial(function, *args))

        return MxProtocol(
            self._handler,
            limiter=limiter,
            policy=self._policy,
            blocking=blocking,
            data_size_limit=self._limits.max_message_bytes,
            enable_SMTPUTF8=True,
            hostname=self._host_name,
            ident="Sesame MX",
            tls_context=self._tls_context,
            timeout=self._limits.idle_timeout,
            loop=loop,
        )

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        limiter = ConnectionLimiter(
            max_total=self._limits.max_connections,
            max_per_address=self._limits.max_connections_per_address,
        )
        self._limiter = limiter
        self._server = await loop.create_server(
            lambda: self._factory(loop, limiter), host=self._host or None, port=self._requested_port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._metrics.start()
        if self._certificate_refresher is not None:
            self._certificate_refresher.start()

    async def _stop_background(self) -> None:
        await self._metrics.stop()
        if self._certificate_refresher is not None:
            await self._certificate_refresher.stop()

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as error:  # reported to the starting thread
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="mx-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting connections, let messages in flight be stored, then stop."""
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def close() -> None:
            await self._stop_background()
            server.close()
            await server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout)
        except Exception:
            log.exception("the MX did not close cleanly")
        self._executor.shutdown(wait=True)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)

    async def serve(self, stop: asyncio.Event, *, ready: Callable[[int], object] | None = None) -> None:
        """Serve in the running loop until ``stop`` is set (the container's entry point);
        ``ready`` is told the port once connections are accepted."""
        await self._open()
        assert self._server is not None
        log.info("MX listening on %s:%d", self._host, self.port)
        if ready is not None:
            ready(self.port)
        await stop.wait()
        await self._stop_background()
        self._server.close()
        await self._server.wait_closed()
        self._executor.shutdown(wait=True)
