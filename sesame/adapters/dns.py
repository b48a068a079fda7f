"""dnspython implementation of the DnsLookup port.

Queries go to ``settings.dns_server`` (HOST:PORT; local mode's ``--dns``) or to the system's
resolvers. Every question gets one overall deadline (2 s by default): a check runs inside an
API call or a checker round and must not hang on a dead server.
"""

from __future__ import annotations

import ipaddress
import socket

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.CNAME import CNAME
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.TXT import TXT

from sesame.domain.identity_ports import DnsTemporaryFailure

DEFAULT_TIMEOUT = 2.0


def _server_addresses(server: str) -> tuple[list[str], int]:
    host, _, port = server.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # dnspython wants addresses: a host name (e.g. "localhost:5353") is resolved once here,
        # to every address it has, since which one the server listens on is not known.
        infos = socket.getaddrinfo(host, int(port), proto=socket.IPPROTO_UDP)
        return list(dict.fromkeys(str(info[4][0]) for info in infos)), int(port)
    return [host], int(port)


def make_resolver(server: str | None, timeout: float) -> dns.resolver.Resolver:
    """A resolver asking ``server`` ("host:port"), or the system's when None, giving each question
    one deadline of ``timeout`` seconds, retries included."""
    if server:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port = _server_addresses(server)
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


class DnsPythonLookup:
    def __init__(self, server: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        resolver = make_resolver(server, timeout)
        # No cache: the point of a re-check is to see a record the customer has just published.
        resolver.cache = None
        self._resolver = resolver

    def _answer(self, name: str, rdtype: dns.rdatatype.RdataType) -> dns.resolver.Answer | None:
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException:
            return None  # a name that cannot exist has no records
        try:
            return self._resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return None
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as error:
            # SERVFAIL / REFUSED from every server, or no answer in time: ask again later.
            raise DnsTemporaryFailure(f"{name} {rdtype.name}: {error}") from error
        except dns.exception.DNSException as error:
            raise DnsTemporaryFailure(f"{name} {rdtype.name}: {error}") from error

    def txt(self, name: str) -> list[str]:
        answer = self._answer(name, dns.rdatatype.TXT)
        if answer is None or answer.rrset is None:
            return []
        return [
            b"".join(rdata.strings).decode("utf-8", "replace")
            for rdata in answer.rrset
            if isinstance(rdata, TXT)
        ]

    def cname(self, name: str) -> str | None:
        answer = self._answer(name, dns.rdatatype.CNAME)
        if answer is None or answer.rrset is None:
            return None
        for rdata in answer.rrset:
            if isinstance(rdata, CNAME):
                return str(rdata.target.to_text(omit_final_dot=True)).lower()
        return None

    def mx(self, name: str) -> list[tuple[int, str]]:
        answer = self._answer(name, dns.rdatatype.MX)
        if answer is None or answer.rrset is None:
            return []
        return [
            (int(rdata.preference), str(rdata.exchange.to_text(omit_final_dot=True)).lower())
            for rdata in answer.rrset
            if isinstance(rdata, MX)
        ]
