"""SPF (RFC 7208) of an incoming message's envelope, evaluated by pyspf.

The identity checked is the MAIL FROM domain; for a null reverse path (bounces) it is the HELO
name, as the RFC says. pyspf looks names up through one module-level function; it is pointed at
a dispatcher here that sends each question to the ``MailAuthDns`` of the evaluation in progress
(a context variable, so concurrent evaluations on threads each use their own resolver), and to
pyspf's own resolver otherwise.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import spf

from sesame.domain.receiving.auth_dns import DnsTemporaryFailure, MailAuthDns
from sesame.domain.receiving.verdict_status import VerdictStatus

# RFC 7208 section 4.6.4: an evaluation should be given at least 20 seconds in all.
DEFAULT_QUERY_TIME = 20.0

_current_dns: contextvars.ContextVar[MailAuthDns | None] = contextvars.ContextVar(
    "sesame_spf_dns", default=None
)
_library_lookup: Callable[..., Any] = spf.DNSLookup

Answer = list[tuple[tuple[str, str], Any]]


def _lookup(name: str, qtype: str, *args: Any, **kwargs: Any) -> Answer:
    dns = _current_dns.get()
    if dns is None:
        return list(_library_lookup(name, qtype, *args, **kwargs))
    key = (name, qtype)
    try:
        if qtype == "TXT":
            return [(key, strings) for strings in dns.txt(name)]
        if qtype in ("A", "AAAA"):
            return [(key, address) for address in dns.addresses(name, qtype)]
        if qtype == "MX":
            return [(key, (preference, host)) for preference, host in dns.mx(name)]
        if qtype == "PTR":
            return [(key, target) for target in dns.ptr(name)]
    except DnsTemporaryFailure as error:
        raise spf.TempError(f"DNS {error}") from error
    return []  # type SPF (99) and anything else: deprecated or not asked by RFC 7208


spf.DNSLookup = _lookup


@dataclass(frozen=True)
class SpfOutcome:
    # RFC 7208's result: pass, fail, softfail, neutral, none, temperror, permerror.
    result: str
    domain: str  # the domain whose policy was evaluated
    client_ip: str
    envelope_from: str  # the MAIL FROM address ("" for a null reverse path)
    helo: str

    @property
    def verdict(self) -> VerdictStatus:
        # fail and softfail both say the address is not authorized; neutral says nothing and
        # none means there is no policy: GRAY; the errors mean no answer could be had.
        if self.result == "pass":
            return VerdictStatus.PASS
        if self.result in ("fail", "softfail"):
            return VerdictStatus.FAIL
        if self.result in ("neutral", "none"):
            return VerdictStatus.GRAY
        return VerdictStatus.PROCESSING_FAILED


def check_spf(
    dns: MailAuthDns,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    query_time: float = DEFAULT_QUERY_TIME,
) -> SpfOutcome:
    mail_from = mail_from.strip().strip("<>")
    token = _current_dns.set(dns)
    try:
        query = spf.query(i=client_ip, s=mail_from, h=helo, querytime=query_time)
        try:
            result, _code, _explanation = query.check()
        except Exception:
            # A library fault on hostile input (a malformed record or address) is an error result.
            result = "permerror"
        domain = str(query.o or "")
    except Exception:
        # e.g. a client address pyspf cannot parse.
        result, domain = "permerror", (mail_from.rpartition("@")[2] or helo)
    finally:
        _current_dns.reset(token)
    return SpfOutcome(
        result=str(result),
        domain=domain.lower(),
        client_ip=client_ip,
        envelope_from=mail_from,
        helo=helo,
    )
