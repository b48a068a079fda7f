"""One submission connection: aiosmtpd's SMTP state machine with SES's rules on top.

- TLS before AUTH: on the STARTTLS port AUTH is neither offered nor accepted before STARTTLS
  (``530 Must issue a STARTTLS command first``); the implicit-TLS port is encrypted from the
  first byte.
- AUTH before mail: MAIL, RCPT, DATA (and VRFY, HELP) answer ``530 Authentication required``
  until the client has logged in, so nothing is accepted without AUTH, whatever the recipient.
- AUTH PLAIN and LOGIN, the credentials checked by the domain off the event loop.
- The message after DATA is read strictly (see ``data_reader``), bounded in size (SIZE is
  advertised) and line length, and recipients per transaction are bounded.
- Connections are counted per client address; a session quiet for ``idle_timeout`` is closed
  with SES's timeout reply.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import ssl
import time
from dataclasses import dataclass

from aiosmtpd.smtp import MISSING, SMTP, Envelope

from sesame.domain.sending.service import MAX_RECIPIENTS
from sesame.domain.smtp_credentials import SmtpPrincipal
from sesame.smtp import replies
from sesame.smtp.data_reader import DataOutcome, read_message_data
from sesame.smtp.limits import ConnectionLimiter
from sesame.smtp.submission import MAX_MESSAGE_BYTES, SubmissionDesk

log = logging.getLogger(__name__)

# A transaction may name more recipients than a message may have, so that the client hears
# SES's refusal of the message rather than of single recipients; beyond this it hears 452.
MAX_TRANSACTION_RECIPIENTS = 2 * MAX_RECIPIENTS
# A line of text is at most 1000 octets with its CRLF (RFC 5321 4.5.3.1.6), plus a stuffed dot.
MAX_LINE_OCTETS = 1001
_SIZE_PARAMETER = re.compile(r"(?:^|\s)SIZE=(\d+)", re.IGNORECASE)
# Commands a well-behaved client sends a few times per connection; beyond these counts the
# connection is closed (421). Mail transactions themselves are not limited.
COMMAND_CALL_LIMITS = {"AUTH": 10, "EHLO": 10, "HELO": 10, "STARTTLS": 1, "NOOP": 100, "HELP": 10, "VRFY": 10}


@dataclass(frozen=True)
class SessionOptions:
    host_name: str
    idle_timeout: float
    command_timeout: float
    implicit_tls: bool


class SubmissionSession(SMTP):
    line_length_limit = MAX_LINE_OCTETS

    def __init__(
        self,
        desk: SubmissionDesk,
        limiter: ConnectionLimiter,
        options: SessionOptions,
        tls_context: ssl.SSLContext,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        limits: dict[str, int] = {**COMMAND_CALL_LIMITS, "*": 2**31}
        super().__init__(
            desk,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=False,
            hostname=options.host_name,
            ident="ESMTP Sesame",
            # The implicit-TLS listener wraps the socket itself: no STARTTLS there.
            tls_context=None if options.implicit_tls else tls_context,
            timeout=options.command_timeout,
            auth_require_tls=not options.implicit_tls,
            command_call_limit=limits,
            loop=loop,
        )
        self._desk = desk
        self._limiter = limiter
        self._options = options
        self._client_address = ""
        self._admitted = False
        self._last_activity = time.monotonic()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._in_data = False

    # --- connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        upgrading = self.transport is not None  # STARTTLS hands over the encrypted transport
        if not upgrading:
            peer = transport.get_extra_info("peername")
            self._client_address = str(peer[0]) if peer else ""
            if not self._limiter.admit(self._client_address):
                log.info("SMTP connection from %s refused: too many connections", self._client_address)
                assert isinstance(transport, asyncio.WriteTransport)
                transport.write(replies.TOO_MANY_CONNECTIONS.encode() + b"\r\n")
                transport.close()
                return
            self._admitted = True
            self._schedule_idle_check(self._options.idle_timeout)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if not self._admitted:
            return  # refused in connection_made: aiosmtpd never saw it
        self._admitted = False
        self._limiter.release(self._client_address)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        self._last_activity = time.monotonic()
        super().data_received(data)

    def _schedule_idle_check(self, delay: float) -> None:
        self._idle_timer = self.loop.call_later(delay, self._check_idle)

    def _check_idle(self) -> None:
        quiet = time.monotonic() - self._last_activity
        remaining = self._options.idle_timeout - quiet
        if remaining > 0:
            self._schedule_idle_check(remaining)
            return
        log.info("SMTP session from %s idle for %.0f s: closing", self._client_address, quiet)
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(replies.TIMEOUT.encode() + b"\r\n")
            transport.close()

    @property
    def client_address(self) -> str:
        return self._client_address

    @property
    def busy(self) -> bool:
        """Whether a message is being received or submitted."""
        return self._in_data

    def close_for_shutdown(self) -> None:
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(replies.SHUTTING_DOWN.encode() + b"\r\n")
            transport.close()

    def _encrypted(self) -> bool:
        return self.transport is not None and self.transport.get_extra_info("ssl_object") is not None

    # --- authentication -------------------------------------------------------------------------

    async def check_auth_needed(self, caller_method: str) -> bool:
        assert self.session is not None
        if self.session.authenticated:
            return False
        await self.push(replies.AUTH_REQUIRED)
        return True

    async def smtp_AUTH(self, arg: str) -> None:
        assert self.session is not None and self.envelope is not None
        if not self._encrypted():
            await self.push(replies.STARTTLS_FIRST)
            return
        if await self.check_helo_needed("EHLO"):
            return
        if not self.session.extended_smtp:
            await self.push("503 5.5.1 Send EHLO first")
            return
        if self.session.authenticated:
            await self.push("503 5.5.1 Already authenticated")
            return
        if self.envelope.mail_from is not None:
            await self.push("503 5.5.1 AUTH is not permitted during a mail transaction")
            return
        parts = (arg or "").split()
        if not 1 <= len(parts) <= 2:
            await self.push("501 5.5.4 Syntax: AUTH mechanism [initial-response]")
            return
        mechanism, initial = parts[0].upper(), (parts[1] if len(parts) == 2 else None)
        if mechanism == "PLAIN":
            credentials = await self._plain_credentials(initial)
        elif mechanism == "LOGIN":
            credentials = await self._login_credentials(initial)
        else:
            await self.push("504 5.5.4 Unrecognized authentication type")
            return
        if credentials is None:
            return  # the reply was given
        try:
            principal = await self._desk.authenticate(*credentials, self._client_address)
        except Exception:
            log.exception("SMTP credentials could not be checked")
            await self.push(replies.AUTH_UNAVAILABLE)
            return
        if principal is None:
            await self.push(replies.AUTH_INVALID)
            return
        self.session.authenticated = True
        self.session.auth_data = principal  # type: ignore[assignment]  # aiosmtpd types it None
        await self.push(replies.AUTH_SUCCEEDED)

    async def _plain_credentials(self, initial: str | None) -> tuple[bytes, bytes] | None:
        """RFC 4616: authorization id, user name and password, separated by NUL."""
        blob = await self._response(initial, "")
        if blob is None:
            return None
        fields = blob.split(b"\x00")
        if len(fields) != 3:
            await self.push("501 5.5.2 Cannot split the PLAIN credentials")
            return None
        return fields[1], fields[2]

    async def _login_credentials(self, initial: str | None) -> tuple[bytes, bytes] | None:
        username = await self._response(initial, "Username:")
        if username is None:
            return None
        password = await self._response(None, "Password:")
        if password is None:
            return None
        return username, password

    async def _response(self, initial: str | None, challenge: str) -> bytes | None:
        """The client's base64 answer: the initial response of the AUTH command ("=" is an
        empty one), else the answer to a 334 challenge. None when the reply was given."""
        if initial is None:
            answer = await self.challenge_auth(challenge)
            return None if answer is MISSING else bytes(answer)  # type: ignore[arg-type]
        if initial == "=":
            return b""
        try:
            return base64.b64decode(initial, validate=True)
        except (binascii.Error, ValueError):
            await self.push("501 5.5.2 Cannot decode base64")
            return None

    # --- the mail transaction ----------------------------------------------------------------------

    async def smtp_MAIL(self, arg: str | None) -> None:
        assert self.session is not None
        declared = _SIZE_PARAMETER.search(arg or "")
        if self.session.authenticated and declared and int(declared.group(1)) > MAX_MESSAGE_BYTES:
            await self.push(replies.MESSAGE_TOO_LONG)
            return
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str | None) -> None:
        assert self.session is not None and self.envelope is not None
        if self.session.authenticated and len(self.envelope.rcpt_tos) >= MAX_TRANSACTION_RECIPIENTS:
            await self.push(replies.TOO_MANY_RECIPIENTS)
            return
        await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.session is not None and self.envelope is not None
        envelope = self.envelope
        if not envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        recipients = tuple(dict.fromkeys(envelope.rcpt_tos))
        # SES refuses a message with too many recipients at DATA, before the client sends it;
        # the limit is the sending service's.
        if len(recipients) > MAX_RECIPIENTS:
            self.envelope = Envelope()
            await self.push(replies.transaction_failed(f"Recipient count exceeds {MAX_RECIPIENTS}."))
            return
        self._in_data = True
        try:
            await self._receive_message(envelope, recipients)
        finally:
            self._in_data = False

    async def _receive_message(self, envelope: Envelope, recipients: tuple[str, ...]) -> None:
        assert self.session is not None
        await self.push(replies.START_DATA)
        # aiosmtpd's reader of this connection (its limit is line_length_limit).
        data = await read_message_data(self._reader, max_bytes=MAX_MESSAGE_BYTES, max_line=MAX_LINE_OCTETS)
        self.envelope = Envelope()  # whatever the outcome, the transaction is over
        if data.outcome is DataOutcome.TOO_LONG:
            await self.push(replies.MESSAGE_TOO_LONG)
            return
        if data.outcome is DataOutcome.LINE_TOO_LONG:
            await self.push(replies.LINE_TOO_LONG)
            return
        if data.outcome is DataOutcome.BARE_LINE_ENDING:
            log.warning("SMTP message from %s refused: bare CR or LF", self._client_address)
            await self.push(replies.BARE_LINE_ENDING)
            return
        principal = self.session.auth_data
        assert isinstance(principal, SmtpPrincipal)
        reply = await self._desk.submit(
            principal, self._client_address, envelope.mail_from or "", recipients, data.content
        )
        await self.push(reply)
