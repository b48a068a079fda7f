"""Where mail for a domain goes: MX resolution with dnspython (RFC 5321 section 5.1, RFC 7505).

Queries go to ``settings.dns_server`` (HOST:PORT; local mode's ``--dns``) or to the system's
resolvers. The answer is the list of mail exchangers to try, in order, each with its addresses:

- MX records sorted by preference, equal preferences in random order (spreading load as RFC 5321
  asks);
- a null MX (a single MX of preference 0 and exchange ".") means the domain takes no mail;
- no MX at all: the domain itself is the exchanger (the implicit MX), through its A/AAAA records;
- an address literal (``user@[192.0.2.1]``) is its own exchanger.

A domain that does not exist raises ``DomainNotFound``; a question that could not be answered now
(timeout, SERVFAIL, no server reachable) raises ``MxTemporaryFailure``.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.MX import MX

from sesame.adapters.dns import make_resolver

DEFAULT_TIMEOUT = 5.0


class DomainNotFound(Exception):
    """The domain does not exist (NXDOMAIN) or is not a valid domain name."""


class MxTemporaryFailure(Exception):
    """DNS did not answer in time or answered with a server failure: ask again later."""


@dataclass(frozen=True)
class MailExchanger:
    host: str  # lower case, no trailing dot
    preference: int
    addresses: tuple[str, ...]  # IPv4 first, then IPv6; empty when the host has none


@dataclass(frozen=True)
class MailRoute:
    domain: str
    exchangers: tuple[MailExchanger, ...]  # in the order to try
    null_mx: bool = False  # RFC 7505: the domain accepts no mail
    implicit: bool = False  # no MX records: the domain's own addresses (RFC 5321 5.1)


def order_by_preference(records: Iterable[tuple[int, str]], rng: random.Random) -> list[tuple[int, str]]:
    """Lowest preference first; hosts of equal preference shuffled."""
    groups: dict[int, list[str]] = {}
    for preference, host in records:
        hosts = groups.setdefault(preference, [])
        if host not in hosts:
            hosts.append(host)
    ordered: list[tuple[int, str]] = []
    for preference in sorted(groups):
        hosts = groups[preference]
        rng.shuffle(hosts)
        ordered.extend((preference, host) for host in hosts)
    return ordered


def _address_literal(domain: str) -> str | None:
    """The address in ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]``; None for a domain name."""
    if not (domain.startswith("[") and domain.endswith("]")):
        return None
    inner = domain[1:-1]
    if inner.lower().startswith("ipv6:"):
        inner = inner[5:]
    try:
        return str(ipaddress.ip_address(inner))
    except ValueError:
        return None


class MxResolver:
    def __init__(
        self,
        server: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        rng: random.Random | None = None,
        ipv6: bool = True,
    ) -> None:
        self._resolver = make_resolver(server, timeout)
        self._rng = rng or random.Random()  # noqa: S311 - load spreading, not security
        self._ipv6 = ipv6

    def resolve(self, domain: str) -> MailRoute:
        domain = domain.strip().rstrip(".").lower()
        literal = _address_literal(domain)
        if literal is not None:
            return MailRoute(domain, (MailExchanger(domain, 0, (literal,)),), implicit=True)
        if not domain:
            raise DomainNotFound("empty domain")
        try:
            name = dns.name.from_text(domain)
        except (dns.exception.DNSException, UnicodeError) as error:
            raise DomainNotFound(f"{domain}: not a valid domain name ({error})") from error

        answer = self._query(name, dns.rdatatype.MX)
        if answer is None:
            raise DomainNotFound(f"{domain}: no such domain (NXDOMAIN)")
        records = [rdata for rdata in (answer.rrset or []) if isinstance(rdata, MX)]
        if not records:
            return self._implicit_route(domain, name)
        real = [r for r in records if r.exchange != dns.name.root]
        if not real:
            return MailRoute(domain, (), null_mx=True)
        # A null MX mixed with real ones breaks RFC 7505; the real ones are still usable.
        ordered = order_by_preference(
            ((int(r.preference), str(r.exchange.to_text(omit_final_dot=True)).lower()) for r in real),
            self._rng,
        )
        exchangers: list[MailExchanger] = []
        temporary: list[str] = []
        for preference, host in ordered:
            try:
                addresses = self.addresses(host)
            except MxTemporaryFailure as error:
                temporary.append(str(error))
                addresses = ()
            exchangers.append(MailExchanger(host, preference, addresses))
        if temporary and not any(exchanger.addresses for exchanger in exchangers):
            raise MxTemporaryFailure("; ".join(temporary))
        return MailRoute(domain, tuple(exchangers))

    def addresses(self, host: str) -> tuple[str, ...]:
        """The host's IPv4 then IPv6 addresses; empty when it has none or does not exist."""
        try:
            name = dns.name.from_text(host)
        except (dns.exception.DNSException, UnicodeError):
            return ()
        kinds = [dns.rdatatype.A, dns.rdatatype.AAAA] if self._ipv6 else [dns.rdatatype.A]
        found: list[str] = []
        for kind in kinds:
            answer = self._query(name, kind)
            if answer is None:
                return ()  # NXDOMAIN: no other type exists either
            for rdata in answer.rrset or []:
                address = str(rdata.to_text())
                if address not in found:
                    found.append(address)
        return tuple(found)

    def _implicit_route(self, domain: str, name: dns.name.Name) -> MailRoute:
        addresses = self.addresses(name.to_text(omit_final_dot=True))
        return MailRoute(domain, (MailExchanger(domain, 0, addresses),), implicit=True)

    def _query(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.resolver.Answer | None:
        """The answer (possibly without records: NODATA), or None for NXDOMAIN."""
        try:
            return self._resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return None
        except dns.exception.DNSException as error:
            # Timeout, SERVFAIL/REFUSED from every server (NoNameservers), broken answers.
            raise MxTemporaryFailure(f"{name.to_text(omit_final_dot=True)} {rdtype.name}: {error}") from error
