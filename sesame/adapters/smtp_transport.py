"""SMTP implementations of the Transport port, with smtplib.

``DirectMxTransport`` delivers to each domain's mail exchangers (resolved by ``MxResolver``),
trying them in order until one answers. ``RelayTransport`` hands every message to one server
(``--relay`` in local mode, the egress tier in AWS). Both behave as an MTA does:

- EHLO with the configured host name (HELO when EHLO is refused);
- STARTTLS whenever the server offers it. Certificates are not verified unless configured
  (opportunistic TLS); without verification a failed handshake is retried in clear, with it the
  server counts as unreachable. An envelope that requires TLS is never sent over a connection in
  clear: its recipients are deferred with the reason;
- SIZE, 8BITMIME and SMTPUTF8 used when the server advertises them; a message over the advertised
  SIZE, or non-ASCII addresses to a server without SMTPUTF8, bounce without being sent;
- several recipients per transaction, each with its own RCPT outcome (the accepted ones still get
  the message); several transactions per connection, RSET before each one after the first;
- separate timeouts for connecting, for each command and for the message data; a timeout ends the
  session (the remaining messages are deferred at once rather than each waiting out its own).

Every result names the server that answered (``remote_mta``) and quotes its reply.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial

from sesame.adapters.mx_resolver import DomainNotFound, MxResolver, MxTemporaryFailure
from sesame.domain.sending.model import RecipientResult
from sesame.domain.sending.smtp_replies import SmtpReply, parse_reply, recipient_result, reply
from sesame.domain.sending.transport import Envelope, Transport, TransportSession

log = logging.getLogger(__name__)

_LINE_END = re.compile(rb"\r\n|\r|\n")
# Connection attempts (addresses tried) for one connection of a session, across all exchangers.
MAX_CONNECT_ATTEMPTS = 10


@dataclass(frozen=True)
class SmtpOptions:
    """How the client behaves; the same for both transports."""

    helo_name: str = "localhost"  # settings.mail_host_name
    connect_timeout: float = 30.0  # seconds to establish TCP
    command_timeout: float = 60.0  # seconds for the greeting and each command's reply
    data_timeout: float = 180.0  # seconds to transmit the message and get the final reply
    verify_certificates: bool = False
    ca_file: str | None = None  # trust anchors when verifying; None: the system's
    max_recipients_per_transaction: int = 100  # RFC 5321 4.5.3.1.8: servers take at least 100

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_certificates:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass(frozen=True)
class _Target:
    name: str  # the server's host name: reported as the remote MTA, sent as TLS SNI
    address: str  # where to connect
    port: int


@dataclass(frozen=True)
class _Route:
    """Where a session's connections go, or the one answer every envelope gets without one."""

    targets: tuple[_Target, ...] = ()
    answer: SmtpReply | None = None
    answer_mta: str = ""


class _HostFailed(Exception):
    def __init__(self, target: _Target, why: str, *, enhanced: str = "4.4.1") -> None:
        super().__init__(f"{target.name} [{target.address}]:{target.port}: {why}")
        self.target = target
        self.why = why
        self.enhanced = enhanced


class _Client(smtplib.SMTP):
    """smtplib's client, connecting to a chosen address while naming the host (SNI, EHLO logs)."""

    def __init__(self, target: _Target, options: SmtpOptions) -> None:
        super().__init__(local_hostname=options.helo_name, timeout=options.connect_timeout)
        self._target = target
        self._command_timeout = options.command_timeout
        self._host = target.name  # smtplib sends it as SNI when starting TLS

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((self._target.address, port), timeout, self.source_address)
        sock.settimeout(self._command_timeout)
        return sock


def normalise_line_endings(message: bytes) -> bytes:
    """SMTP carries lines ended by CRLF only (RFC 5321 2.3.8); bare CR or LF would be read
    differently by different servers."""
    return _LINE_END.sub(b"\r\n", message)


def _non_ascii(text: str) -> bool:
    return not text.isascii()


def needs_smtputf8(envelope: Envelope) -> bool:
    """Whether an address is non-ASCII, which only an SMTPUTF8 transaction can carry."""
    return _non_ascii(envelope.mail_from) or any(_non_ascii(r) for r in envelope.recipients)


def has_utf8_headers(message: bytes) -> bool:
    """Whether the header section holds raw UTF-8 (RFC 6532), which SMTPUTF8 announces."""
    head = message.split(b"\r\n\r\n", 1)[0]
    return not head.isascii()


class _Connection:
    """One open SMTP connection, greeted, EHLO'd, and upgraded to TLS when offered."""

    def __init__(self, client: _Client, target: _Target, tls: bool, tls_note: str) -> None:
        self.client = client
        self.target = target
        self.tls = tls
        self.tls_note = tls_note  # why the connection is in clear, for a deferral's text
        self.transactions = 0

    @classmethod
    def open(cls, target: _Target, options: SmtpOptions, context: ssl.SSLContext) -> _Connection:
        connection = cls._open(target, options, context, try_tls=True)
        if connection is None:
            # Opportunistic TLS whose handshake failed: deliver in clear, as MTAs do.
            connection = cls._open(target, options, context, try_tls=False)
            assert connection is not None
        return connection

    @classmethod
    def _open(
        cls, target: _Target, options: SmtpOptions, context: ssl.SSLContext, *, try_tls: bool
    ) -> _Connection | None:
        client = _Client(target, options)
        try:
            code, message = client.connect(target.name, target.port)
        except (OSError, smtplib.SMTPException) as error:
            client.close()
            raise _HostFailed(target, f"connection failed: {_describe(error)}") from error
        try:
            if code != 220:
                raise _HostFailed(
                    target, f"refused service: {parse_reply(code, message).wire}", enhanced="4.4.2"
                )
            cls._greet(client, target)
            if not client.has_extn("starttls"):
                return cls(client, target, tls=False, tls_note=f"{target.name} does not offer STARTTLS")
            if not try_tls:
                return cls(client, target, tls=False, tls_note="the TLS handshake failed earlier")
            try:
                client.starttls(context=context)
            except TimeoutError as error:
                client.close()
                raise _HostFailed(target, "timed out starting TLS", enhanced="4.4.2") from error
            except smtplib.SMTPResponseException as error:
                # RFC 3207: after a refused STARTTLS the session goes on in clear.
                note = f"STARTTLS refused: {parse_reply(error.smtp_code, error.smtp_error).wire}"
                return cls(client, target, tls=False, tls_note=note)
            except (ssl.SSLError, ssl.CertificateError, OSError) as error:
                client.close()
                if options.verify_certificates:
                    raise _HostFailed(
                        target, f"TLS handshake failed: {_describe(error)}", enhanced="4.7.5"
                    ) from error
                log.info("TLS with %s failed (%s); delivering in clear", target.name, error)
                return None
            cls._greet(client, target)
            return cls(client, target, tls=True, tls_note="")
        except _HostFailed:
            _quit(client)
            raise
        except (OSError, smtplib.SMTPException) as error:
            client.close()
            raise _HostFailed(target, f"connection lost: {_describe(error)}", enhanced="4.4.2") from error

    @staticmethod
    def _greet(client: _Client, target: _Target) -> None:
        code, message = client.ehlo()
        if code != 250:
            code, message = client.helo()
            if code != 250:
                raise _HostFailed(
                    target, f"refused EHLO/HELO: {parse_reply(code, message).wire}", enhanced="4.4.2"
                )

    def close(self) -> None:
        _quit(self.client)


def _quit(client: smtplib.SMTP) -> None:
    try:
        if client.sock is not None:
            client.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        client.close()


def _timed_out(error: BaseException) -> bool:
    """smtplib reports a read timeout as a disconnection; the timeout is its cause."""
    return isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)


def _describe(error: BaseException) -> str:
    if _timed_out(error):
        return "timed out"
    text = str(error) or type(error).__name__
    return text


class _ConnectionLost(Exception):
    """The connection broke (or the server closed it) in the middle of a transaction."""

    def __init__(self, reply: SmtpReply, *, timed_out: bool) -> None:
        super().__init__(reply.wire)
        self.reply = reply
        self.timed_out = timed_out


class _Stale(Exception):
    """RSET failed before the transaction began: nothing of the envelope was sent."""


class SmtpSession:
    """The TransportSession of both transports: one connection at a time, opened on the first
    envelope, reopened when the server closed it after at least one completed transaction."""

    def __init__(self, route: Callable[[], _Route], options: SmtpOptions, context: ssl.SSLContext) -> None:
        self._route_source = route
        self._route: _Route | None = None
        self._options = options
        self._context = context
        self._connection: _Connection | None = None
        self._last_connection_useful = True
        # Once connecting failed or a server stopped answering, every later envelope of this
        # session gets the same deferral without another wait.
        self._failure: tuple[SmtpReply, str] | None = None

    # --- the port -------------------------------------------------------------------------

    def send(self, envelope: Envelope) -> list[RecipientResult]:
        recipients = tuple(dict.fromkeys(envelope.recipients))
        if not recipients:
            return []
        route = self._resolve()
        if route.answer is not None:
            return self._every(recipients, route.answer, route.answer_mta)
        for _ in range(2):
            if self._failure is not None:
                return self._every(recipients, *self._failure)
            connection = self._connect(route)
            if connection is None:
                continue
            try:
                return self._deliver(connection, envelope, recipients)
            except _Stale:
                # The server closed the connection between messages (an idle or per-connection
                # limit): nothing of this envelope was sent, so it goes over a new one.
                self._drop()
        failure = self._failure or (reply(421, "4.4.2", "the connection could not be kept open"), "")
        return self._every(recipients, *failure)

    def close(self) -> None:
        self._drop()

    # --- connections ------------------------------------------------------------------------

    def _resolve(self) -> _Route:
        if self._route is None:
            self._route = self._route_source()
        return self._route

    def _connect(self, route: _Route) -> _Connection | None:
        if self._connection is not None:
            return self._connection
        if not self._last_connection_useful:
            # The last connection closed before completing anything: do not loop on it.
            self._failure = (
                reply(421, "4.4.2", "the server closed the connection before any transaction completed"),
                route.targets[0].name if route.targets else "",
            )
            return None
        failures: list[_HostFailed] = []
        for target in route.targets[:MAX_CONNECT_ATTEMPTS]:
            try:
                self._connection = _Connection.open(target, self._options, self._context)
            except _HostFailed as failure:
                log.info("SMTP connection to %s failed", failure)
                failures.append(failure)
                continue
            self._last_connection_useful = False
            return self._connection
        if len(failures) == 1:
            only = failures[0]
            self._failure = (reply(421, only.enhanced, str(only)), only.target.name)
        elif failures:
            enhanced = failures[-1].enhanced if len({f.enhanced for f in failures}) == 1 else "4.4.1"
            text = "no mail server answered: " + "; ".join(str(f) for f in failures)
            self._failure = (reply(421, enhanced, text), failures[-1].target.name)
        else:
            self._failure = (reply(421, "4.4.4", "no mail server to connect to"), "")
        return None

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # --- one envelope -----------------------------------------------------------------------

    def _deliver(
        self, connection: _Connection, envelope: Envelope, recipients: tuple[str, ...]
    ) -> list[RecipientResult]:
        host = connection.target.name
        if envelope.require_tls and not connection.tls:
            text = f"TLS is required for this message and the connection to {host} is in clear"
            refusal = reply(451, "4.7.10", f"{text} ({connection.tls_note}); not sent")
            return self._every(recipients, refusal, host)

        data = normalise_line_endings(envelope.message)
        features = connection.client.esmtp_features
        limit = features.get("size", "").strip()
        if limit.isdigit() and int(limit) > 0 and len(data) > int(limit):
            text = f"Message size {len(data)} exceeds the limit of {limit} bytes advertised by {host}"
            return self._every(recipients, reply(552, "5.3.4", text), host)

        options: list[str] = []
        if "size" in features:
            options.append(f"SIZE={len(data)}")
        if not data.isascii() and "8bitmime" in features:
            options.append("BODY=8BITMIME")
        if needs_smtputf8(envelope):
            if "smtputf8" not in features:
                text = f"{host} does not support SMTPUTF8, which non-ASCII addresses need"
                return self._every(recipients, reply(553, "5.6.7", text), host)
            options.append("SMTPUTF8")
        elif has_utf8_headers(data) and "smtputf8" in features:
            options.append("SMTPUTF8")

        results: dict[str, RecipientResult] = {}
        pending = list(recipients)
        try:
            while pending:
                batch = pending[: self._options.max_recipients_per_transaction]
                pending = pending[len(batch) :]
                retry = self._transaction(connection, envelope.mail_from, options, data, batch, results)
                # 452 to RCPT after others were accepted: too many recipients for one
                # transaction; RFC 5321 4.5.3.1.10 has the client send the rest in another.
                pending = retry + pending
        except _ConnectionLost as lost:
            self._drop()
            if lost.timed_out:
                self._failure = (lost.reply, host)
            for recipient in recipients:
                if recipient not in results:
                    results[recipient] = self._result(recipient, lost.reply, host)
        return [results[r] for r in recipients]

    def _transaction(
        self,
        connection: _Connection,
        mail_from: str,
        options: list[str],
        data: bytes,
        recipients: list[str],
        results: dict[str, RecipientResult],
    ) -> list[str]:
        """One MAIL/RCPT/DATA transaction; returns recipients to try again in a new one."""
        client = connection.client
        host = connection.target.name
        if connection.transactions:
            self._reset(connection)
        connection.transactions += 1

        mail = self._command(connection, "MAIL FROM", partial(client.mail, mail_from, options))
        if not 200 <= mail.code < 300:
            for recipient in recipients:
                results[recipient] = self._result(recipient, mail, host)
            self._after_reply(connection, mail)
            return []

        accepted: list[str] = []
        too_many: list[str] = []
        for index, recipient in enumerate(recipients):
            answer = self._command(connection, "RCPT TO", partial(client.rcpt, recipient))
            if 200 <= answer.code < 300:
                accepted.append(recipient)
            elif answer.code == 452 and accepted:
                too_many.append(recipient)
            else:
                results[recipient] = self._result(recipient, answer, host)
            if answer.code == 421:
                # The server is closing the channel: the rest share its answer.
                for rest in recipients[index + 1 :]:
                    results[rest] = self._result(rest, answer, host)
                self._after_reply(connection, answer)
                return []
        if not accepted:
            return []

        final = self._data(connection, data)
        for recipient in accepted:
            results[recipient] = self._result(recipient, final, host)
        self._last_connection_useful = True
        self._after_reply(connection, final)
        return too_many

    def _reset(self, connection: _Connection) -> None:
        try:
            code, _ = connection.client.rset()
        except (OSError, smtplib.SMTPException) as error:
            raise _Stale(str(error)) from error
        if code != 250:
            raise _Stale(f"RSET answered {code}")

    def _command(
        self, connection: _Connection, what: str, command: Callable[[], tuple[int, bytes]]
    ) -> SmtpReply:
        try:
            code, message = command()
        except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
            if _timed_out(error):
                timeout = self._options.command_timeout
                text = f"{connection.target.name} did not answer {what} within {timeout:g} s"
                raise _ConnectionLost(reply(421, "4.4.2", text), timed_out=True) from error
            lost = reply(421, "4.4.2", f"{connection.target.name} closed the connection after {what}")
            raise _ConnectionLost(lost, timed_out=False) from error
        except (OSError, smtplib.SMTPException) as error:
            text = f"connection to {connection.target.name} failed during {what}: {_describe(error)}"
            raise _ConnectionLost(reply(421, "4.4.2", text), timed_out=False) from error
        return parse_reply(code, message)

    def _data(self, connection: _Connection, data: bytes) -> SmtpReply:
        client = connection.client
        sock = client.sock
        if sock is not None:
            sock.settimeout(self._options.data_timeout)
        try:
            code, message = client.data(data)
        except smtplib.SMTPDataError as refused:
            # DATA itself refused (no 354): the reply applies to every accepted recipient.
            return parse_reply(refused.smtp_code, refused.smtp_error)
        except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
            if _timed_out(error):
                timeout = self._options.data_timeout
                text = f"{connection.target.name} did not answer the message data within {timeout:g} s"
                raise _ConnectionLost(reply(421, "4.4.2", text), timed_out=True) from error
            lost = reply(421, "4.4.2", f"{connection.target.name} closed the connection during DATA")
            raise _ConnectionLost(lost, timed_out=False) from error
        except (OSError, smtplib.SMTPException) as error:
            text = f"connection to {connection.target.name} failed during DATA: {_describe(error)}"
            raise _ConnectionLost(reply(421, "4.4.2", text), timed_out=False) from error
        finally:
            if client.sock is not None:
                client.sock.settimeout(self._options.command_timeout)
        return parse_reply(code, message)

    def _after_reply(self, connection: _Connection, answer: SmtpReply) -> None:
        if answer.code == 421:
            # RFC 5321 3.8: the server closes the channel after 421.
            self._drop()

    # --- results ----------------------------------------------------------------------------

    def _result(self, recipient: str, answer: SmtpReply, remote_mta: str) -> RecipientResult:
        return recipient_result(
            recipient, answer, remote_mta=remote_mta, reporting_mta=self._options.helo_name
        )

    def _every(
        self, recipients: tuple[str, ...], answer: SmtpReply, remote_mta: str
    ) -> list[RecipientResult]:
        return [self._result(recipient, answer, remote_mta) for recipient in recipients]


class DirectMxTransport:
    """Delivers to each domain's mail exchangers, in MX order, on ``port`` (25 in production)."""

    def __init__(self, resolver: MxResolver, options: SmtpOptions | None = None, *, port: int = 25) -> None:
        self._resolver = resolver
        self._options = options or SmtpOptions()
        self._context = self._options.tls_context()
        self._port = port

    @contextmanager
    def session(self, domain: str) -> Iterator[TransportSession]:
        session = SmtpSession(lambda: self._route(domain), self._options, self._context)
        try:
            yield session
        finally:
            session.close()

    def _route(self, domain: str) -> _Route:
        try:
            route = self._resolver.resolve(domain)
        except DomainNotFound as error:
            return _Route(answer=reply(550, "5.1.2", f"Domain does not exist: {error}"))
        except MxTemporaryFailure as error:
            return _Route(answer=reply(451, "4.4.3", f"DNS lookup failed, will retry: {error}"))
        if route.null_mx:
            text = f"Recipient address has null MX: {route.domain} accepts no mail (RFC 7505)"
            return _Route(answer=reply(556, "5.1.10", text))
        targets = tuple(
            _Target(exchanger.host, address, self._port)
            for exchanger in route.exchangers
            for address in exchanger.addresses
        )
        if targets:
            return _Route(targets=targets)
        if route.implicit:
            text = f"{route.domain} has no MX and no address records: no mail server to deliver to"
            return _Route(answer=reply(550, "5.4.4", text))
        hosts = ", ".join(exchanger.host for exchanger in route.exchangers)
        text = f"the mail exchangers of {route.domain} have no addresses ({hosts})"
        return _Route(answer=reply(451, "4.4.4", text))


class RelayTransport:
    """Hands every message, whatever its domain, to one SMTP server at ``relay`` (HOST:PORT)."""

    def __init__(self, relay: str, options: SmtpOptions | None = None) -> None:
        host, _, port = relay.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"expected HOST:PORT, got {relay!r}")
        host = host.strip("[]")
        self._target = _Target(host, host, int(port))
        self._options = options or SmtpOptions()
        self._context = self._options.tls_context()

    @contextmanager
    def session(self, domain: str) -> Iterator[TransportSession]:
        session = SmtpSession(lambda: _Route(targets=(self._target,)), self._options, self._context)
        try:
            yield session
        finally:
            session.close()


def make_transport(
    *,
    relay: str | None,
    dns_server: str | None,
    helo_name: str,
    options: SmtpOptions | None = None,
    mx_port: int = 25,
) -> Transport:
    """The transport settings ask for (``relay``, ``dns_server``, ``mail_host_name``): the relay
    when one is given, direct to MX otherwise."""
    configured = replace(options or SmtpOptions(), helo_name=helo_name)
    if relay:
        return RelayTransport(relay, configured)
    return DirectMxTransport(MxResolver(dns_server), configured, port=mx_port)
