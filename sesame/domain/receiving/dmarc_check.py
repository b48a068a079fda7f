"""DMARC (RFC 7489) of an incoming message, from its SPF and DKIM outcomes.

The domain in the From field (RFC5322.From) must have exactly one address. Its policy record is
looked up at ``_dmarc.<From domain>``, then at ``_dmarc.<organizational domain>``; the
organizational domain comes from the Public Suffix List (publicsuffixlist). DMARC passes when
SPF passed for an envelope domain aligned with the From domain, or a DKIM signature verified for
an aligned domain: equal domains in strict mode ("s"), equal organizational domains in relaxed
mode ("r", the default). Without a record the verdict is GRAY; a failing message carries the
policy its owner asks for, ``sp`` for a subdomain whose record was found at the organizational
domain, else ``p``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from publicsuffixlist import PublicSuffixList

from sesame.domain.receiving.auth_dns import DnsTemporaryFailure, MailAuthDns
from sesame.domain.receiving.dkim_check import DkimOutcome
from sesame.domain.receiving.spf_check import SpfOutcome
from sesame.domain.receiving.verdict_status import DmarcPolicy, VerdictStatus


@dataclass(frozen=True)
class DmarcRecord:
    policy: DmarcPolicy
    subdomain_policy: DmarcPolicy | None
    strict_dkim: bool
    strict_spf: bool


@dataclass(frozen=True)
class DmarcOutcome:
    verdict: VerdictStatus
    from_domain: str | None
    policy: DmarcPolicy | None = None  # the policy that applies, whatever the verdict
    record: DmarcRecord | None = None

    @property
    def failed_policy(self) -> DmarcPolicy | None:
        """SES's dmarcPolicy: present only when the message fails DMARC."""
        return self.policy if self.verdict == VerdictStatus.FAIL else None


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships; loaded once per process


def organizational_domain(domain: str) -> str:
    """The registrable domain: one label below the public suffix (the domain itself when it is
    a public suffix)."""
    domain = domain.lower().rstrip(".")
    return _public_suffixes().privatesuffix(domain) or domain


def aligned(a: str, b: str, *, strict: bool) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if strict:
        return a == b
    return organizational_domain(a) == organizational_domain(b)


def header_section(raw: bytes) -> bytes:
    """The header fields of ``raw`` with the blank line that ends them (the body is not read)."""
    ends = [end + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (end := raw.find(sep)) >= 0]
    return raw[: min(ends)] if ends else raw


def header_from_domain(raw: bytes) -> str | None:
    """The domain of the single From address, or None when there is not exactly one."""
    message = BytesHeaderParser(policy=compat32).parsebytes(header_section(raw))
    fields = message.get_all("From") or []
    if len(fields) != 1:
        return None
    addresses = [address for _name, address in getaddresses([str(fields[0])]) if address]
    if len(addresses) != 1:
        return None
    _local, at, domain = addresses[0].rpartition("@")
    domain = domain.strip().rstrip(".").lower()
    return domain if at and domain else None


def _policy(value: str | None) -> DmarcPolicy | None:
    try:
        return DmarcPolicy(value.strip().lower()) if value is not None else None
    except ValueError:
        return None


def parse_dmarc_record(text: str) -> DmarcRecord | None:
    """A DMARC record, or None when ``text`` is not a usable one."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags.setdefault(name.strip().lower(), value.strip())
    if not text.lstrip().startswith("v=DMARC1") or tags.get("v") != "DMARC1":
        return None
    policy = _policy(tags.get("p"))
    if policy is None:
        # RFC 7489 section 6.6.3: a record without a valid p= but with reporting addresses is
        # read as p=none; otherwise it is no record at all.
        if "rua" not in tags:
            return None
        policy = DmarcPolicy.NONE
    return DmarcRecord(
        policy=policy,
        subdomain_policy=_policy(tags.get("sp")),
        strict_dkim=tags.get("adkim", "r").lower() == "s",
        strict_spf=tags.get("aspf", "r").lower() == "s",
    )


def _record_at(dns: MailAuthDns, domain: str) -> DmarcRecord | None:
    texts = [b"".join(strings).decode("utf-8", "replace") for strings in dns.txt(f"_dmarc.{domain}")]
    candidates = [text for text in texts if text.lstrip().startswith("v=DMARC1")]
    if len(candidates) != 1:
        return None  # none, or several: RFC 7489 section 6.6.3 discards them all
    return parse_dmarc_record(candidates[0])


def discover_policy(dns: MailAuthDns, from_domain: str) -> tuple[DmarcRecord, bool] | None:
    """The record that governs ``from_domain`` and whether it was found at the organizational
    domain rather than at the From domain itself. Raises DnsTemporaryFailure."""
    record = _record_at(dns, from_domain)
    if record is not None:
        return record, False
    org = organizational_domain(from_domain)
    if org != from_domain:
        record = _record_at(dns, org)
        if record is not None:
            return record, True
    return None


def check_dmarc(raw: bytes, dns: MailAuthDns, *, spf: SpfOutcome, dkim: DkimOutcome) -> DmarcOutcome:
    from_domain = header_from_domain(raw)
    if from_domain is None:
        return DmarcOutcome(VerdictStatus.PROCESSING_FAILED, None)
    try:
        found = discover_policy(dns, from_domain)
    except DnsTemporaryFailure:
        return DmarcOutcome(VerdictStatus.PROCESSING_FAILED, from_domain)
    if found is None:
        return DmarcOutcome(VerdictStatus.GRAY, from_domain)
    record, inherited = found
    policy = record.subdomain_policy if inherited and record.subdomain_policy else record.policy

    spf_aligned = spf.result == "pass" and aligned(spf.domain, from_domain, strict=record.strict_spf)
    dkim_aligned = any(
        aligned(domain, from_domain, strict=record.strict_dkim) for domain in dkim.passing_domains
    )
    if spf_aligned or dkim_aligned:
        return DmarcOutcome(VerdictStatus.PASS, from_domain, policy, record)
    if spf.result == "temperror" or any(check.temporary_failure for check in dkim.signatures):
        # An aligned pass may have been missed for want of DNS: no verdict rather than a wrong one.
        return DmarcOutcome(VerdictStatus.PROCESSING_FAILED, from_domain, policy, record)
    return DmarcOutcome(VerdictStatus.FAIL, from_domain, policy, record)
