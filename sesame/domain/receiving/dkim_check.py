"""DKIM signatures (RFC 6376) of an incoming message, verified by dkimpy.

Every DKIM-Signature field is verified (up to a limit, so a message stuffed with signatures
cannot make us do unbounded work), with the public keys looked up through ``MailAuthDns``. The
verdict is PASS when one signature verifies, GRAY when there is none, PROCESSING_FAILED when none
verifies and a key could not be fetched for a temporary reason, FAIL otherwise. The domains of
the signatures that verified are what DMARC aligns with.
"""

from __future__ import annotations

from dataclasses import dataclass

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from sesame.domain.receiving.auth_dns import DnsTemporaryFailure, MailAuthDns
from sesame.domain.receiving.verdict_status import VerdictStatus

MAX_SIGNATURES = 8
# RFC 8301: keys shorter than 1024 bits must not be trusted.
MIN_KEY_BITS = 1024


@dataclass(frozen=True)
class DkimSignatureCheck:
    domain: str  # d=, lower case ("" when the field could not be parsed)
    selector: str  # s=
    identity: str  # i=, or "@" + d= when absent (RFC 6376 section 3.5)
    passed: bool
    temporary_failure: bool = False  # the key could not be fetched now


@dataclass(frozen=True)
class DkimOutcome:
    signatures: tuple[DkimSignatureCheck, ...]

    @property
    def verdict(self) -> VerdictStatus:
        if not self.signatures:
            return VerdictStatus.GRAY
        if any(check.passed for check in self.signatures):
            return VerdictStatus.PASS
        if any(check.temporary_failure for check in self.signatures):
            return VerdictStatus.PROCESSING_FAILED
        return VerdictStatus.FAIL

    @property
    def passing_domains(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(check.domain for check in self.signatures if check.passed and check.domain)
        )

    @property
    def reported(self) -> DkimSignatureCheck | None:
        """The signature an Authentication-Results line names: the first that passed, else the
        first one."""
        for check in self.signatures:
            if check.passed:
                return check
        return self.signatures[0] if self.signatures else None


class _KeyLookup:
    """dkimpy's ``dnsfunc``: the key record's text, or None when there is none."""

    def __init__(self, dns: MailAuthDns) -> None:
        self._dns = dns
        self.temporary_failure = False

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        try:
            records = self._dns.txt(name.decode("ascii", "replace").rstrip("."))
        except DnsTemporaryFailure as error:
            self.temporary_failure = True
            # dkimpy reports this signature as not verified and goes on with the next one.
            raise dkim.DnsTimeoutError(str(error)) from error
        for strings in records:
            return b"".join(strings)
        return None


def _tag(tags: dict[bytes, bytes], name: bytes) -> str:
    return tags.get(name, b"").decode("utf-8", "replace").strip()


def check_dkim(raw: bytes, dns: MailAuthDns, *, max_signatures: int = MAX_SIGNATURES) -> DkimOutcome:
    try:
        verifier = dkim.DKIM(raw, minkey=MIN_KEY_BITS)
    except dkim.DKIMException:
        return DkimOutcome(())  # not a message dkimpy can read: nothing verifiable
    fields = [value for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    checks: list[DkimSignatureCheck] = []
    for index, value in enumerate(fields[:max_signatures]):
        try:
            tags = parse_tag_value(value)
        except InvalidTagValueList:
            tags = {}
        domain = _tag(tags, b"d").lower()
        identity = _tag(tags, b"i") or (f"@{domain}" if domain else "")
        lookup = _KeyLookup(dns)
        try:
            passed = bool(verifier.verify(idx=index, dnsfunc=lookup))
        except Exception:
            # A malformed signature or key (DKIMException), or a library fault on a hostile
            # field: that signature fails, the others are still checked.
            passed = False
        checks.append(
            DkimSignatureCheck(
                domain=domain,
                selector=_tag(tags, b"s"),
                identity=identity,
                passed=passed,
                temporary_failure=lookup.temporary_failure and not passed,
            )
        )
    return DkimOutcome(tuple(checks))
