"""What SES looks for in a customer's DNS, as questions to the DnsLookup port.

Each check answers one Outcome; the identity service turns outcomes into statuses (with the
72-hour deadline), so these functions stay free of time and state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sesame.domain.dkim import domainkey_name, parse_key_record
from sesame.domain.identity_ports import DnsLookup, DnsTemporaryFailure


class Outcome(StrEnum):
    FOUND = "FOUND"
    # Nothing of the needed type at the name (SES's TYPE_NOT_FOUND / HOST_NOT_FOUND).
    MISSING = "MISSING"
    # Records are there but none holds the expected value (SES's INVALID_VALUE).
    WRONG_VALUE = "WRONG_VALUE"
    # DNS could not answer (SES's DNS_SERVER_ERROR): TEMPORARY_FAILURE, checked again later.
    TEMPORARY = "TEMPORARY"


@dataclass(frozen=True)
class ExpectedKey:
    """One DKIM key the customer's DNS must lead to: through a CNAME to ``cname_target`` (Easy
    DKIM with a managed zone) or a TXT record whose ``p=`` is ``public_key``."""

    selector: str
    public_key: str
    cname_target: str | None


def _guarded(check: Callable[[], Outcome]) -> Outcome:
    try:
        return check()
    except DnsTemporaryFailure:
        return Outcome.TEMPORARY


def _normal(name: str) -> str:
    return name.rstrip(".").lower()


def check_verification_token(dns: DnsLookup, domain: str, token: str) -> Outcome:
    """TXT ``_amazonses.<domain>`` holding the VerificationToken (one of possibly several)."""

    def check() -> Outcome:
        values = [value.strip() for value in dns.txt(f"_amazonses.{domain}")]
        if token in values:
            return Outcome.FOUND
        return Outcome.WRONG_VALUE if values else Outcome.MISSING

    return _guarded(check)


def _check_key(dns: DnsLookup, domain: str, key: ExpectedKey) -> Outcome:
    name = domainkey_name(key.selector, domain)
    target = None
    if key.cname_target:
        target = dns.cname(name)
        if target is not None and _normal(target) == _normal(key.cname_target):
            return Outcome.FOUND
    # Resolved as TXT too: a resolver that follows the customer's CNAME into the signing zone
    # answers with the key itself, and without a managed zone the TXT is the only record.
    records = dns.txt(name)
    if any(parse_key_record(record) == key.public_key for record in records):
        return Outcome.FOUND
    return Outcome.WRONG_VALUE if (records or target) else Outcome.MISSING


def check_dkim(dns: DnsLookup, domain: str, keys: Sequence[ExpectedKey]) -> Outcome:
    """Every key must be found; the first one that is not decides the outcome (and spares the
    remaining lookups, which could not change it)."""

    def check() -> Outcome:
        if not keys:
            return Outcome.MISSING
        for key in keys:
            outcome = _check_key(dns, domain, key)
            if outcome is not Outcome.FOUND:
                return outcome
        return Outcome.FOUND

    return _guarded(check)


def check_mail_from(dns: DnsLookup, mail_from_domain: str, mx_host: str, spf_include: str) -> Outcome:
    """The custom MAIL FROM domain needs an MX pointing at Sesame's feedback host and an SPF
    record that includes Sesame's sending ranges."""

    def check() -> Outcome:
        exchanges = dns.mx(mail_from_domain)
        mx_ok = any(_normal(host) == _normal(mx_host) for _, host in exchanges)
        records = dns.txt(mail_from_domain)
        spf = [record for record in records if record.strip().lower().startswith("v=spf1")]
        wanted = f"include:{_normal(spf_include)}"
        spf_ok = any(wanted in [_spf_term(term) for term in record.lower().split()] for record in spf)
        if mx_ok and spf_ok:
            return Outcome.FOUND
        if not exchanges and not spf:
            return Outcome.MISSING
        return Outcome.WRONG_VALUE

    return _guarded(check)


def _spf_term(term: str) -> str:
    # "+include:x" is "include:x" with its default qualifier spelled out; "~" and "?" soften
    # the result but still name the include, which is what the check is about.
    return term.lstrip("+~?").rstrip(".")
