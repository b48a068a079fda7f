"""dnspython implementation of the MailAuthDns port (SPF, DKIM and DMARC lookups).

Queries go to ``settings.dns_server`` (HOST:PORT; local mode's ``--dns``) or to the system's
resolvers. Each question has one deadline, retries included (5 s by default); SPF's overall
budget is on top of that, in the SPF check. CNAMEs are followed by the resolver. With
``cache=True`` answers are kept for their TTL, which a busy MX wants (the same senders' records
over and over); the default asks every time.
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.ANY.TXT import TXT

from sesame.adapters.dns import make_resolver
from sesame.domain.identity_ports import DnsTemporaryFailure

DEFAULT_TIMEOUT = 5.0


class DnsPythonMailAuth:
    def __init__(
        self, server: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, cache: bool = False
    ) -> None:
        resolver = make_resolver(server, timeout)
        resolver.cache = dns.resolver.LRUCache(max_size=10_000) if cache else None
        self._resolver = resolver

    def _answer(self, name: str, rdtype: dns.rdatatype.RdataType) -> dns.resolver.Answer | None:
        try:
            qname = dns.name.from_text(name.rstrip(".") + ".")
        except (dns.exception.DNSException, UnicodeError):
            return None  # a name that cannot exist has no records
        try:
            return self._resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return None
        except dns.exception.DNSException as error:
            # Timeout, SERVFAIL/REFUSED from every server, a broken answer: ask again later.
            raise DnsTemporaryFailure(f"{name} {rdtype.name}: {error}") from error

    def txt(self, name: str) -> list[tuple[bytes, ...]]:
        answer = self._answer(name, dns.rdatatype.TXT)
        if answer is None or answer.rrset is None:
            return []
        return [tuple(rdata.strings) for rdata in answer.rrset if isinstance(rdata, TXT)]

    def addresses(self, name: str, rdtype: str) -> list[str]:
        kind = dns.rdatatype.AAAA if rdtype.upper() == "AAAA" else dns.rdatatype.A
        answer = self._answer(name, kind)
        if answer is None or answer.rrset is None:
            return []
        return [str(rdata.to_text()) for rdata in answer.rrset]

    def mx(self, name: str) -> list[tuple[int, str]]:
        answer = self._answer(name, dns.rdatatype.MX)
        if answer is None or answer.rrset is None:
            return []
        return [
            (int(rdata.preference), str(rdata.exchange.to_text(omit_final_dot=True)).lower())
            for rdata in answer.rrset
            if isinstance(rdata, MX)
        ]

    def ptr(self, name: str) -> list[str]:
        answer = self._answer(name, dns.rdatatype.PTR)
        if answer is None or answer.rrset is None:
            return []
        return [
            str(rdata.target.to_text(omit_final_dot=True)).lower()
            for rdata in answer.rrset
            if isinstance(rdata, PTR)
        ]
