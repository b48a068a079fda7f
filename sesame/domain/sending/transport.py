"""The port through which the delivery worker hands messages to the network.

A worker delivering a batch groups recipients by domain and opens one session per domain; a
session carries several messages (one SMTP transaction each, RSET between them) over as few
connections as it can. ``send`` never raises for a delivery problem: every recipient of the
envelope gets a ``RecipientResult``, DELIVERED, DEFERRED or BOUNCED:

- DELIVERED: the receiving server answered 2xx after DATA;
- DEFERRED: a 4xx reply, a timeout, a connection that failed or dropped, a DNS failure that may
  pass (timeout, SERVFAIL), or TLS required by the envelope and not available;
- BOUNCED: a 5xx reply at MAIL, RCPT or DATA, a domain that does not exist (NXDOMAIN) or that
  declares it takes no mail (null MX, RFC 7505).

Adapters: ``sesame.adapters.smtp_transport`` (``DirectMxTransport``, ``RelayTransport``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sesame.domain.sending.model import RecipientResult


@dataclass(frozen=True)
class Envelope:
    message_id: str
    mail_from: str  # "" for the null reverse-path of a DSN
    recipients: tuple[str, ...]  # all in the session's destination domain
    message: bytes  # the signed RFC 5322 message
    # TlsPolicy REQUIRE: never send this message over a connection without TLS.
    require_tls: bool = False


class TransportSession(Protocol):
    def send(self, envelope: Envelope) -> list[RecipientResult]:
        """Deliver one message; one result per distinct recipient of ``envelope``, in its order."""
        ...


class Transport(Protocol):
    def session(self, domain: str) -> AbstractContextManager[TransportSession]:
        """A session for sending to ``domain``; closing it ends the connection politely."""
        ...
