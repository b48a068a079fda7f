"""DMARC: the From domain, policy discovery, identifier alignment and the policy that applies."""

from __future__ import annotations

import pytest

from sesame.domain.receiving.dkim_check import DkimOutcome, DkimSignatureCheck
from sesame.domain.receiving.dmarc_check import (
    aligned,
    check_dmarc,
    header_from_domain,
    organizational_domain,
    parse_dmarc_record,
)
from sesame.domain.receiving.spf_check import SpfOutcome
from tests.unit.verdicts.fake_dns import FakeMailAuthDns


def spf(result: str = "none", domain: str = "example.com") -> SpfOutcome:
    return SpfOutcome(result, domain, "192.0.2.1", f"a@{domain}", "mx.example.com")


def dkim(*passing: str, failing: str = "", temporary: str = "") -> DkimOutcome:
    checks = [DkimSignatureCheck(d, "s", f"@{d}", True) for d in passing]
    if failing:
        checks.append(DkimSignatureCheck(failing, "s", f"@{failing}", False))
    if temporary:
        checks.append(DkimSignatureCheck(temporary, "s", f"@{temporary}", False, temporary_failure=True))
    return DkimOutcome(tuple(checks))


def mail(from_field: str = "Alice <alice@example.com>") -> bytes:
    return f"From: {from_field}\r\nTo: b@example.org\r\nSubject: x\r\n\r\nFrom: not@this.example\r\n".encode()


@pytest.mark.parametrize(
    ("domain", "organizational"),
    [
        ("example.com", "example.com"),
        ("a.b.example.com", "example.com"),
        ("mail.example.co.uk", "example.co.uk"),
        ("news.sender.test", "sender.test"),
        ("co.uk", "co.uk"),
    ],
)
def test_organizational_domain(domain: str, organizational: str) -> None:
    assert organizational_domain(domain) == organizational


def test_alignment_modes() -> None:
    assert aligned("mail.example.com", "example.com", strict=False)
    assert not aligned("mail.example.com", "example.com", strict=True)
    assert aligned("Example.COM", "example.com", strict=True)
    assert not aligned("example.co.uk", "other.co.uk", strict=False)


def test_the_from_domain_comes_from_the_header_not_the_body() -> None:
    assert header_from_domain(mail()) == "example.com"
    assert header_from_domain(mail("=?utf-8?q?Al=C3=AFce?= <ALICE@Mail.Example.COM>")) == "mail.example.com"
    assert header_from_domain(mail("a@example.com, b@example.org")) is None
    assert header_from_domain(b"To: b@example.org\r\n\r\nFrom: a@example.com\r\n") is None
    assert header_from_domain(b"From: a@example.com\r\nFrom: b@example.org\r\n\r\n") is None


def test_record_parsing() -> None:
    record = parse_dmarc_record("v=DMARC1; p=Reject; sp=none; adkim=s")
    assert record is not None
    assert (record.policy, record.subdomain_policy, record.strict_dkim, record.strict_spf) == (
        "reject",
        "none",
        True,
        False,
    )
    assert parse_dmarc_record("v=DMARC1; p=bogus") is None
    none_policy = parse_dmarc_record("v=DMARC1; rua=mailto:r@example.com")
    assert none_policy is not None and none_policy.policy == "none"
    assert parse_dmarc_record("p=reject; v=DMARC1") is None  # v= must come first
    assert parse_dmarc_record("v=spf1 -all") is None


def test_an_aligned_spf_pass_passes() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject")
    outcome = check_dmarc(mail(), dns, spf=spf("pass", "bounces.example.com"), dkim=dkim())
    assert (outcome.verdict, outcome.failed_policy) == ("PASS", None)


def test_an_unaligned_pass_fails_with_the_policy() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=quarantine")
    outcome = check_dmarc(mail(), dns, spf=spf("pass", "provider.example"), dkim=dkim("provider.example"))
    assert (outcome.verdict, outcome.failed_policy) == ("FAIL", "quarantine")


def test_the_organizations_record_and_its_subdomain_policy_govern_a_subdomain() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=none")
    outcome = check_dmarc(mail("a@news.example.com"), dns, spf=spf(), dkim=dkim())
    assert (outcome.verdict, outcome.failed_policy) == ("FAIL", "none")
    assert ("_dmarc.news.example.com", "TXT") in dns.asked


def test_a_record_at_the_from_domain_wins_over_the_organizations() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=none")
    dns.add_txt("_dmarc.news.example.com", "v=DMARC1; p=reject; sp=none")
    outcome = check_dmarc(mail("a@news.example.com"), dns, spf=spf(), dkim=dkim())
    assert outcome.failed_policy == "reject"


def test_no_record_or_several_records_are_gray() -> None:
    dns = FakeMailAuthDns()
    assert check_dmarc(mail(), dns, spf=spf(), dkim=dkim()).verdict == "GRAY"
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject")
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=none")
    assert check_dmarc(mail(), dns, spf=spf(), dkim=dkim()).verdict == "GRAY"


def test_unanswerable_questions_are_processing_failed() -> None:
    dns = FakeMailAuthDns()
    dns.failing.add("_dmarc.example.com")
    assert check_dmarc(mail(), dns, spf=spf(), dkim=dkim()).verdict == "PROCESSING_FAILED"
    assert check_dmarc(mail("a@x.example, b@y.example"), dns, spf=spf(), dkim=dkim()).verdict == (
        "PROCESSING_FAILED"
    )
    ok = FakeMailAuthDns()
    ok.add_txt("_dmarc.example.com", "v=DMARC1; p=reject")
    # No aligned pass, but an aligned signature's key could not be fetched: no verdict.
    outcome = check_dmarc(mail(), ok, spf=spf("temperror"), dkim=dkim(temporary="example.com"))
    assert (outcome.verdict, outcome.failed_policy) == ("PROCESSING_FAILED", None)
