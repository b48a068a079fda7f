"""A real SMTP server (aiosmtpd) on loopback, in a background thread, for tests and benchmarks.

It offers STARTTLS with a self-signed certificate made here with ``cryptography`` (or no STARTTLS
at all, or one that breaks the handshake), records every message it accepts (envelope, bytes,
whether TLS was on, which connection) and can be scripted to misbehave the ways receiving servers
do:

    with SmtpSink() as sink:
        sink.reply_to_rcpt("nobody@example.test", "550 5.1.1 no such user")
        sink.reply_to_data("451 4.3.0 try later", "250 2.0.0 Ok")  # one per DATA, in order
        sink.hang_at("DATA")  # never answer the end of data: the client times out
        ... deliver to sink.host:sink.port ...
        assert sink.messages[0].tls

Port 0 (the default) picks a free port; ``port`` then tells which.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import ssl
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import DATA_SIZE_DEFAULT, SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

STAGES = ("EHLO", "MAIL", "RCPT", "DATA")


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    tls: bool  # STARTTLS was in effect when the message came
    connection: int  # 1 for the sink's first connection, 2 for the next, ...
    mail_options: tuple[str, ...]  # MAIL FROM parameters as received (upper case): SIZE=, SMTPUTF8


def self_signed_certificate(names: tuple[str, ...], addresses: tuple[str, ...]) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) valid for a day for ``names`` and ``addresses``; it is
    its own CA, so a client can trust it as a CA file."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    alternatives: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alternatives += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


class _SinkSMTP(SMTP):
    """One instance per connection; the number lets tests see which messages shared one."""

    def __init__(self, handler: _Handler, connection: int, *, broken_tls: bool, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.connection_number = connection
        self.accepted_here = 0
        self._broken_tls = broken_tls

    async def smtp_STARTTLS(self, arg: str) -> None:
        if not self._broken_tls:
            await super().smtp_STARTTLS(arg)
            return
        # Agree, then answer the client's TLS hello with plain text: the handshake fails.
        await self.push("220 2.0.0 Ready to start TLS")
        await self.push("this is not TLS")
        if self.transport is not None:
            self.transport.close()


class _Handler:
    """aiosmtpd hooks: answer as scripted, record what was accepted."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        await self._sink._maybe_hang("EHLO")
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        sink = self._sink
        with sink._lock:
            sink.mail_commands += 1
            scripted = sink._mail_replies.popleft() if sink._mail_replies else None
        await sink._maybe_hang("MAIL")
        if scripted is not None and not scripted.startswith("2"):
            return scripted
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return scripted or "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        sink = self._sink
        with sink._lock:
            scripted = sink._rcpt_replies.get(address.lower())
            limit = sink.max_recipients
        await sink._maybe_hang("RCPT")
        if scripted is not None and not scripted.startswith("2"):
            return scripted
        if limit is not None and len(envelope.rcpt_tos) >= limit:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return scripted or "250 2.1.5 Ok"

    async def handle_RSET(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._sink._lock:
            self._sink.rset_commands += 1
        return "250 2.0.0 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        sink = self._sink
        assert isinstance(server, _SinkSMTP)
        with sink._lock:
            scripted = sink._data_replies.popleft() if sink._data_replies else None
        await sink._maybe_hang("DATA")
        if scripted is not None and not scripted.startswith("2"):
            return scripted
        content = envelope.original_content or b""
        with sink._lock:
            sink._messages.append(
                ReceivedMessage(
                    mail_from=envelope.mail_from or "",
                    recipients=tuple(envelope.rcpt_tos),
                    data=content,
                    tls=session.ssl is not None,
                    connection=server.connection_number,
                    mail_options=tuple(envelope.mail_options),
                )
            )
            number = len(sink._messages)
            limit = sink.max_messages_per_connection
        server.accepted_here += 1
        if limit is not None and server.accepted_here >= limit and server.transport is not None:
            # Close right after this reply (the reply is written first; close flushes it), as
            # servers limiting messages per connection do.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return scripted or f"250 2.0.0 Ok: queued as SINK{number:04d}"


class SmtpSink:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        starttls: bool = True,
        smtputf8: bool = True,
        size_limit: int | None = DATA_SIZE_DEFAULT,
        hostname: str = "sink.test",
        certificate_names: tuple[str, ...] = (),
        broken_tls: bool = False,
        hang_seconds: float = 30.0,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._starttls = starttls
        self._smtputf8 = smtputf8
        self._size_limit = size_limit
        self._hostname = hostname
        self._certificate_names = (hostname, *certificate_names)
        self._broken_tls = broken_tls
        self._hang_seconds = hang_seconds
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._rcpt_replies: dict[str, str] = {}
        self._mail_replies: deque[str] = deque()
        self._data_replies: deque[str] = deque()
        self._hang: set[str] = set()
        self._release = threading.Event()
        self._connections = itertools.count(1)
        self._protocols: list[_SinkSMTP] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tls: ssl.SSLContext | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.certificate_file: str | None = None  # PEM; a client can trust it as its CA file
        self.connection_count = 0
        self.mail_commands = 0
        self.rset_commands = 0
        self.max_recipients: int | None = None  # per transaction; more get 452 4.5.3
        self.max_messages_per_connection: int | None = None  # then the sink closes the connection

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        if self._starttls:
            self._tls = self._make_tls_context()
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._release.clear()
        thread = threading.Thread(target=loop.run_forever, name="smtp-sink", daemon=True)
        thread.start()
        self._thread = thread
        try:
            future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
            self._server = future.result(timeout=10)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._release.set()  # hanging handlers return, so their tasks end
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
        if loop is not None:
            loop.close()
        self._loop = self._thread = self._server = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sink is not running")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def address(self) -> str:
        """HOST:PORT, the form of Settings.relay and ``sesame local --relay``."""
        return f"{self._host}:{self.port}"

    # --- script ---------------------------------------------------------------------------------

    def reply_to_rcpt(self, address: str, reply: str) -> None:
        """Answer RCPT TO for ``address`` (any case) with ``reply``, every time."""
        with self._lock:
            self._rcpt_replies[address.lower()] = reply

    def reply_to_mail(self, *replies: str) -> None:
        """Answer the next MAIL FROM commands with these replies, one each, in order."""
        with self._lock:
            self._mail_replies.extend(replies)

    def reply_to_data(self, *replies: str) -> None:
        """Answer the next messages' end of data with these replies, one each, in order; a
        2xx reply accepts (and records) the message."""
        with self._lock:
            self._data_replies.extend(replies)

    def hang_at(self, stage: str, enabled: bool = True) -> None:
        """Never answer ``stage`` (EHLO, MAIL, RCPT or DATA's end of data) until the sink stops
        or ``hang_seconds`` pass."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self._lock:
            (self._hang.add if enabled else self._hang.discard)(stage)

    def reset(self) -> None:
        """Forget what came in and every script; the sink keeps running."""
        with self._lock:
            self.connection_count = self.mail_commands = self.rset_commands = 0
            self._messages.clear()
            self._rcpt_replies.clear()
            self._mail_replies.clear()
            self._data_replies.clear()
            self._hang.clear()
            self.max_recipients = None
            self.max_messages_per_connection = None

    # --- what came in ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages
            if len(messages) >= count:
                return messages
            time.sleep(0.01)
        raise TimeoutError(f"expected {count} messages, got {len(self.messages)}")

    # --- inside the loop thread -----------------------------------------------------------------

    async def _listen(self) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(self._protocol, self._host, self._requested_port)

    def _protocol(self) -> _SinkSMTP:
        with self._lock:
            self.connection_count += 1
            number = next(self._connections)
        protocol = _SinkSMTP(
            _Handler(self),
            number,
            hostname=self._hostname,
            tls_context=self._tls,
            enable_SMTPUTF8=self._smtputf8,
            data_size_limit=self._size_limit,
            loop=asyncio.get_running_loop(),
            broken_tls=self._broken_tls,
        )
        self._protocols.append(protocol)
        return protocol

    async def _maybe_hang(self, stage: str) -> None:
        with self._lock:
            hanging = stage in self._hang
        if not hanging:
            return
        deadline = time.monotonic() + self._hang_seconds
        while not self._release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for protocol in self._protocols:
            if protocol.transport is not None:
                protocol.transport.close()
        if self._server is not None:
            await self._server.wait_closed()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _make_tls_context(self) -> ssl.SSLContext:
        addresses = (self._host,) if _is_address(self._host) else ()
        certificate, key = self_signed_certificate(self._certificate_names, addresses)
        self._tmp = tempfile.TemporaryDirectory(prefix="smtp-sink-")
        cert_path = Path(self._tmp.name) / "cert.pem"
        key_path = Path(self._tmp.name) / "key.pem"
        cert_path.write_bytes(certificate)
        key_path.write_bytes(key)
        self.certificate_file = str(cert_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_path), str(key_path))
        return context


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
