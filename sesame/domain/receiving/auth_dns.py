"""The DNS questions that SPF, DKIM and DMARC ask, as a port.

A name that does not exist and a name without records of the type both answer with an empty
list; a question that could not be answered now (timeout, SERVFAIL) raises
``DnsTemporaryFailure``, which the checks turn into a temporary error (PROCESSING_FAILED).
Adapter: ``sesame.adapters.mail_auth_dns``.
"""

from __future__ import annotations

from typing import Protocol

from sesame.domain.identity_ports import DnsTemporaryFailure

__all__ = ["DnsTemporaryFailure", "MailAuthDns"]


class MailAuthDns(Protocol):
    def txt(self, name: str) -> list[tuple[bytes, ...]]:
        """Each TXT record at ``name`` as its character-strings, in the order received."""
        ...

    def addresses(self, name: str, rdtype: str) -> list[str]:
        """The addresses of ``name``: rdtype "A" (IPv4) or "AAAA" (IPv6), as text."""
        ...

    def mx(self, name: str) -> list[tuple[int, str]]:
        """(preference, exchange) pairs; exchanges in lower case without the trailing dot."""
        ...

    def ptr(self, name: str) -> list[str]:
        """The PTR targets of a reverse name (``4.3.2.1.in-addr.arpa``), without the dot."""
        ...
