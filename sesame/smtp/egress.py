"""The egress relay: the SMTP hop between the delivery workers and the Internet.

Lambda functions cannot open connections to port 25, so in AWS the delivery worker hands each
message to this relay (its ``RelayTransport``), which runs on Fargate in a pool's private subnets
and delivers straight to the recipient's mail exchangers (``DirectMxTransport``). Its traffic leaves
through the pool's NAT gateways: the receiving server sees the pool's address.

- It relays for the networks it is told (the VPC) and refuses everyone else; it needs no AUTH.
- One recipient per transaction: a second RCPT gets ``452 4.5.3``, which tells the client to send
  the others in further transactions (RFC 5321 4.5.3.1.10). The single reply to DATA is then the
  receiving server's reply for exactly that recipient, so each recipient's outcome (delivered,
  deferred, bounced, with the remote server's code and text) reaches the worker unchanged.
- The connection to a destination's exchanger is kept open for the relay connection's life, so a
  worker's session for one domain is one session with that domain's server as well.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sesame.domain.sending.transport import Envelope as OutboundEnvelope
from sesame.domain.sending.transport import Transport, TransportSession
from sesame.emf import write_to_stdout
from sesame.smtp.connection_metrics import ConnectionMetrics

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class EgressSettings(BaseModel):
    """The relay's own settings (SESAME_EGRESS_*), next to the runtime's ``Settings``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "0.0.0.0"  # noqa: S104 (a container listens on its own interface)
    port: int = Field(default=2525, ge=0, le=65535)
    # Clients allowed to relay: the VPC's range in AWS. Anyone else is refused at MAIL.
    allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    # Deliveries in flight at once (each blocks a thread while it talks to a remote server).
    threads: int = Field(default=64, ge=1)
    max_message_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    # Seconds between two records of the open connections (EMF on stdout, see
    # sesame.smtp.connection_metrics); 0, the default, publishes none. The container sets 60.
    metrics_interval: float = Field(default=0.0, ge=0)
    # The metric's Tier dimension: each IP pool's relays are scaled on their own name.
    metrics_tier: str = Field(default="egress", min_length=1)

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            ipaddress.ip_network(network, strict=False)
        return value

    def networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(network, strict=False) for network in self.allowed_networks)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> EgressSettings:
        env = os.environ if environ is None else environ
        names = {
            "SESAME_EGRESS_HOST": "host",
            "SESAME_EGRESS_PORT": "port",
            "SESAME_EGRESS_ALLOWED_NETWORKS": "allowed_networks",
            "SESAME_EGRESS_THREADS": "threads",
            "SESAME_EGRESS_MAX_MESSAGE_BYTES": "max_message_bytes",
            "SESAME_EGRESS_METRICS_INTERVAL": "metrics_interval",
            "SESAME_EGRESS_METRICS_TIER": "metrics_tier",
        }
        return cls.model_validate({field: env[var] for var, field in names.items() if env.get(var)})


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _RelayHandler:
    def __init__(
        self, transport: Transport, networks: tuple[Network, ...], executor: ThreadPoolExecutor
    ) -> None:
        self._transport = transport
        self._networks = networks
        self._executor = executor
        # Per relay connection: the open session to one destination domain.
        self._sessions: dict[int, tuple[str, TransportSession, ExitStack]] = {}

    def _allowed(self, session: Session) -> bool:
        peer = session.peer
        host = peer[0] if isinstance(peer, tuple) else str(peer)
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if not self._allowed(session):
            log.warning("refused relaying for %s", session.peer)
            return "550 5.7.1 Relaying denied"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if envelope.rcpt_tos:
            return "452 4.5.3 One recipient per transaction; send the others in another"
        if "@" not in address:
            return "501 5.1.3 Recipient address needs a domain"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipient = envelope.rcpt_tos[0]
        content = envelope.original_content or b""
        outbound = OutboundEnvelope(
            message_id="",
            mail_from=envelope.mail_from or "",
            recipients=(recipient,),
            message=content,
        )
        domain = recipient.rpartition("@")[2].lower()
        loop = asyncio.get_running_loop()
        deliver: Callable[[], str] = lambda: self._deliver(id(session), domain, outbound)  # noqa: E731
        return await loop.run_in_executor(self._executor, deliver)

    def _deliver(self, key: int, domain: str, envelope: OutboundEnvelope) -> str:
        open_session = self._sessions.get(key)
        if open_session is None or open_session[0] != domain:
            self.close(key)
            stack = ExitStack()
            open_session = (domain, stack.enter_context(self._transport.session(domain)), stack)
            self._sessions[key] = open_session
        (result,) = open_session[1].send(envelope)
        reply = _one_line(result.smtp_response)
        if not reply[:3].isdigit():
            reply = f"451 4.4.0 {reply}"
        log.info("%s -> %s: %s (%s)", envelope.mail_from, envelope.recipients[0], reply, result.remote_mta)
        return reply

    def close(self, key: int) -> None:
        open_session = self._sessions.pop(key, None)
        if open_session is not None:
            open_session[2].close()


class _ConnectionCount:
    """Relay connections open now; used from the event loop only."""

    def __init__(self) -> None:
        self.open = 0


class _RelaySMTP(SMTP):
    def __init__(
        self, handler: _RelayHandler, executor: ThreadPoolExecutor, count: _ConnectionCount, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self._relay = handler
        self._executor = executor
        self._count = count
        self._counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._counted:
            self._counted = True
            self._count.open += 1
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        key = id(self.session)
        if self._counted:
            self._counted = False
            self._count.open -= 1
        super().connection_lost(error)
        # Closing the remote session sends QUIT: not on the event loop.
        self._executor.submit(self._relay.close, key)


class EgressRelay:
    """The relay's listener; ``serve`` runs until ``stop`` is set, then drains."""

    def __init__(
        self,
        settings: EgressSettings,
        transport: Transport,
        host_name: str,
        *,
        metrics_write: Callable[[str], None] = write_to_stdout,
    ) -> None:
        self._settings = settings
        self._executor = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="egress")
        self._handler = _RelayHandler(transport, settings.networks(), self._executor)
        self._host_name = host_name
        self._count = _ConnectionCount()
        self._metrics = ConnectionMetrics(
            tier=settings.metrics_tier,
            interval=settings.metrics_interval,
            open_connections=lambda: self._count.open,
            write=metrics_write,
        )

    @property
    def open_connections(self) -> int:
        return self._count.open

    def _protocol(self) -> _RelaySMTP:
        return _RelaySMTP(
            self._handler,
            self._executor,
            self._count,
            hostname=self._host_name,
            ident="Sesame egress",
            data_size_limit=self._settings.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    async def serve(self, stop: asyncio.Event, ready: Callable[[int], None] | None = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(self._protocol, host=self._settings.host, port=self._settings.port)
        port = server.sockets[0].getsockname()[1]
        if ready is not None:
            ready(port)
        self._metrics.start()
        await stop.wait()
        await self._metrics.stop()
        # Stop accepting; deliveries in flight finish in their threads before the process ends.
        server.close()
        await loop.run_in_executor(None, self._executor.shutdown)
