"""The DNS questions behind verification, against a fake resolver."""

from __future__ import annotations

from sesame.domain.dns_checks import (
    ExpectedKey,
    Outcome,
    check_dkim,
    check_mail_from,
    check_verification_token,
)
from tests.unit.identities.fakes import FakeDns

KEYS = [
    ExpectedKey("tok1", "PUB1", "tok1.dkim.sesame.test"),
    ExpectedKey("tok2", "PUB2", "tok2.dkim.sesame.test"),
]


def test_token_found_among_other_txt_records() -> None:
    dns = FakeDns()
    dns.txts["_amazonses.example.com"] = ["something else", " TOKEN "]
    assert check_verification_token(dns, "example.com", "TOKEN") is Outcome.FOUND


def test_token_missing_or_wrong() -> None:
    dns = FakeDns()
    assert check_verification_token(dns, "example.com", "TOKEN") is Outcome.MISSING
    dns.txts["_amazonses.example.com"] = ["OTHER"]
    assert check_verification_token(dns, "example.com", "TOKEN") is Outcome.WRONG_VALUE


def test_token_lookup_failure_is_temporary() -> None:
    dns = FakeDns()
    dns.broken.add("_amazonses.example.com")
    assert check_verification_token(dns, "example.com", "TOKEN") is Outcome.TEMPORARY


def test_dkim_found_by_cname_case_insensitively() -> None:
    dns = FakeDns()
    dns.cnames["tok1._domainkey.example.com"] = "TOK1.dkim.sesame.test."
    dns.cnames["tok2._domainkey.example.com"] = "tok2.dkim.sesame.test"
    assert check_dkim(dns, "example.com", KEYS) is Outcome.FOUND


def test_dkim_found_by_txt_key_when_the_resolver_follows_the_cname() -> None:
    dns = FakeDns()
    dns.txts["tok1._domainkey.example.com"] = ["v=DKIM1; k=rsa; p=PUB1"]
    dns.txts["tok2._domainkey.example.com"] = ["v=DKIM1; k=rsa; p=PUB2"]
    assert check_dkim(dns, "example.com", KEYS) is Outcome.FOUND


def test_dkim_needs_every_key_and_stops_at_the_first_missing() -> None:
    dns = FakeDns()
    dns.cnames["tok2._domainkey.example.com"] = "tok2.dkim.sesame.test"
    assert check_dkim(dns, "example.com", KEYS) is Outcome.MISSING
    assert all(name.startswith("tok1") for name, _ in dns.asked)


def test_dkim_wrong_target_or_key_is_an_invalid_value() -> None:
    dns = FakeDns()
    dns.cnames["tok1._domainkey.example.com"] = "elsewhere.example.net"
    assert check_dkim(dns, "example.com", KEYS) is Outcome.WRONG_VALUE
    dns = FakeDns()
    dns.txts["tok1._domainkey.example.com"] = ["v=DKIM1; k=rsa; p=OTHER"]
    assert check_dkim(dns, "example.com", KEYS) is Outcome.WRONG_VALUE


def test_dkim_lookup_failure_is_temporary() -> None:
    dns = FakeDns()
    dns.broken.add("tok1._domainkey.example.com")
    assert check_dkim(dns, "example.com", KEYS) is Outcome.TEMPORARY


def test_mail_from_needs_the_mx_and_the_spf_include() -> None:
    dns = FakeDns()
    assert check_mail_from(dns, "bounce.example.com", "fb.sesame.test", "spf.sesame.test") is Outcome.MISSING
    dns.mxs["bounce.example.com"] = [(10, "fb.sesame.test")]
    assert (
        check_mail_from(dns, "bounce.example.com", "fb.sesame.test", "spf.sesame.test") is Outcome.WRONG_VALUE
    )
    dns.txts["bounce.example.com"] = ["v=spf1 +include:spf.sesame.test ~all"]
    assert check_mail_from(dns, "bounce.example.com", "fb.sesame.test", "spf.sesame.test") is Outcome.FOUND


def test_mail_from_spf_without_the_include_is_wrong() -> None:
    dns = FakeDns()
    dns.mxs["bounce.example.com"] = [(10, "fb.sesame.test")]
    dns.txts["bounce.example.com"] = ["v=spf1 include:spf.sesame.test.evil.example ~all"]
    assert (
        check_mail_from(dns, "bounce.example.com", "fb.sesame.test", "spf.sesame.test") is Outcome.WRONG_VALUE
    )
