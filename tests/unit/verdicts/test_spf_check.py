"""SPF through pyspf, with every DNS question answered by the MailAuthDns port."""

from __future__ import annotations

import threading

import pytest

from sesame.domain.receiving.spf_check import check_spf
from tests.unit.verdicts.fake_dns import FakeMailAuthDns

IP = "192.0.2.10"


def spf_of(
    dns: FakeMailAuthDns, *, ip: str = IP, mail_from: str = "a@example.com", helo: str = "mx.example.com"
):
    return check_spf(dns, client_ip=ip, helo=helo, mail_from=mail_from)


@pytest.mark.parametrize(
    ("policy", "result", "verdict"),
    [
        (f"v=spf1 ip4:{IP} -all", "pass", "PASS"),
        ("v=spf1 ip4:198.51.100.0/24 -all", "fail", "FAIL"),
        ("v=spf1 ip4:198.51.100.0/24 ~all", "softfail", "FAIL"),
        ("v=spf1 ?all", "neutral", "GRAY"),
        ("v=spf1 ip4:not-an-address -all", "permerror", "PROCESSING_FAILED"),
    ],
)
def test_results_and_verdicts(policy: str, result: str, verdict: str) -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("example.com", policy)
    outcome = spf_of(dns)
    assert (outcome.result, outcome.verdict) == (result, verdict)
    assert outcome.domain == "example.com"


def test_no_policy_is_none_and_gray() -> None:
    outcome = spf_of(FakeMailAuthDns())
    assert (outcome.result, outcome.verdict) == ("none", "GRAY")


def test_a_dns_failure_is_temperror() -> None:
    dns = FakeMailAuthDns()
    dns.failing.add("example.com")
    assert spf_of(dns).result == "temperror"


def test_mechanisms_are_resolved_through_the_port() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("example.com", "v=spf1 a:relay.example.com mx -all")
    dns.add("relay.example.com", "A", "203.0.113.5")
    dns.add("example.com", "MX", (10, "mx1.example.com"))
    dns.add("mx1.example.com", "A", IP)
    assert spf_of(dns).result == "pass"
    assert ("mx1.example.com", "A") in dns.asked


def test_a_policy_split_into_several_strings_is_joined() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("example.com", "v=spf1 ip4:198.51.100.0/24 ", f"ip4:{IP} -all")
    assert spf_of(dns).result == "pass"


def test_concurrent_evaluations_each_use_their_own_dns() -> None:
    allowing, denying = FakeMailAuthDns(), FakeMailAuthDns()
    allowing.add_txt("example.com", f"v=spf1 ip4:{IP} -all")
    denying.add_txt("example.com", "v=spf1 -all")
    results: dict[str, list[str]] = {"allowing": [], "denying": []}

    def run(name: str, dns: FakeMailAuthDns) -> None:
        for _ in range(50):
            results[name].append(spf_of(dns).result)

    threads = [
        threading.Thread(target=run, args=item) for item in (("allowing", allowing), ("denying", denying))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results["allowing"]) == {"pass"} and set(results["denying"]) == {"fail"}


def test_a_client_address_that_is_not_an_address_is_permerror() -> None:
    outcome = spf_of(FakeMailAuthDns(), ip="not-an-ip")
    assert outcome.verdict == "PROCESSING_FAILED"
