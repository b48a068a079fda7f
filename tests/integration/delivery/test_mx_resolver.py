"""MxResolver against a real DNS server on loopback."""

from __future__ import annotations

import random
import time

import pytest

from sesame.adapters.mx_resolver import DomainNotFound, MailExchanger, MxResolver, MxTemporaryFailure
from tests.support.dns_server import DnsTestServer

pytestmark = pytest.mark.integration


def resolver(dns: DnsTestServer, **kwargs: object) -> MxResolver:
    return MxResolver(dns.address, timeout=0.5, **kwargs)  # type: ignore[arg-type]


def test_exchangers_come_in_preference_order_with_their_addresses(dns: DnsTestServer) -> None:
    dns.add("example.test", "MX", "20 backup.example.test")
    dns.add("example.test", "MX", "10 primary.example.test")
    dns.add("primary.example.test", "A", "192.0.2.10")
    dns.add("primary.example.test", "AAAA", "2001:db8::10")
    dns.add("backup.example.test", "A", "192.0.2.20")
    dns.add("backup.example.test", "A", "192.0.2.21")

    route = resolver(dns).resolve("Example.TEST.")

    assert route.domain == "example.test"
    assert not route.null_mx and not route.implicit
    assert [(e.host, e.preference) for e in route.exchangers] == [
        ("primary.example.test", 10),
        ("backup.example.test", 20),
    ]
    assert route.exchangers[0].addresses == ("192.0.2.10", "2001:db8::10")  # IPv4 first
    assert sorted(route.exchangers[1].addresses) == ["192.0.2.20", "192.0.2.21"]


def test_exchangers_of_equal_preference_come_in_random_order(dns: DnsTestServer) -> None:
    for host in ("a", "b"):
        dns.add("example.test", "MX", f"10 {host}.example.test")
        dns.add(f"{host}.example.test", "A", "192.0.2.1")
    lookup = resolver(dns, rng=random.Random(3))
    orders = {tuple(e.host for e in lookup.resolve("example.test").exchangers) for _ in range(20)}
    assert orders == {("a.example.test", "b.example.test"), ("b.example.test", "a.example.test")}


def test_ipv6_addresses_can_be_left_out(dns: DnsTestServer) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "192.0.2.1")
    dns.add("mx.example.test", "AAAA", "2001:db8::1")
    route = resolver(dns, ipv6=False).resolve("example.test")
    assert route.exchangers[0].addresses == ("192.0.2.1",)
    assert ("udp", "mx.example.test", "AAAA") not in dns.queries


def test_null_mx_says_the_domain_takes_no_mail(dns: DnsTestServer) -> None:
    dns.add("example.test", "MX", "0 .")
    route = resolver(dns).resolve("example.test")
    assert route.null_mx
    assert route.exchangers == ()


def test_a_null_mx_among_real_ones_is_ignored(dns: DnsTestServer) -> None:
    dns.add("example.test", "MX", "0 .")
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "192.0.2.1")
    route = resolver(dns).resolve("example.test")
    assert not route.null_mx
    assert [e.host for e in route.exchangers] == ["mx.example.test"]


def test_without_mx_the_domain_itself_is_the_exchanger(dns: DnsTestServer) -> None:
    dns.add("example.test", "A", "192.0.2.5")
    dns.add("example.test", "AAAA", "2001:db8::5")
    route = resolver(dns).resolve("example.test")
    assert route.implicit
    assert route.exchangers == (MailExchanger("example.test", 0, ("192.0.2.5", "2001:db8::5")),)


def test_without_mx_or_addresses_the_implicit_exchanger_has_no_address(dns: DnsTestServer) -> None:
    dns.add("example.test", "TXT", "v=spf1 -all")
    route = resolver(dns).resolve("example.test")
    assert route.implicit
    assert route.exchangers == (MailExchanger("example.test", 0, ()),)


def test_a_domain_that_does_not_exist_raises_domain_not_found(dns: DnsTestServer) -> None:
    with pytest.raises(DomainNotFound, match="NXDOMAIN"):
        resolver(dns).resolve("nowhere.test")


@pytest.mark.parametrize("domain", ["", "bad..name.test", "a" * 64 + ".test"])
def test_an_invalid_domain_name_raises_domain_not_found(dns: DnsTestServer, domain: str) -> None:
    with pytest.raises(DomainNotFound):
        resolver(dns).resolve(domain)


def test_servfail_is_a_temporary_failure(dns: DnsTestServer) -> None:
    dns.servfail("example.test")
    with pytest.raises(MxTemporaryFailure):
        resolver(dns).resolve("example.test")


def test_a_silent_server_is_a_temporary_failure_within_the_timeout(dns: DnsTestServer) -> None:
    dns.silence("example.test")
    started = time.monotonic()
    with pytest.raises(MxTemporaryFailure):
        resolver(dns).resolve("example.test")
    assert time.monotonic() - started < 2.0


def test_an_exchanger_without_addresses_is_kept_for_the_record(dns: DnsTestServer) -> None:
    dns.add("example.test", "MX", "10 gone.example.test")
    dns.add("example.test", "MX", "20 mx.example.test")
    dns.add("mx.example.test", "A", "192.0.2.1")
    route = resolver(dns).resolve("example.test")
    assert route.exchangers == (
        MailExchanger("gone.example.test", 10, ()),
        MailExchanger("mx.example.test", 20, ("192.0.2.1",)),
    )


def test_exchangers_whose_addresses_cannot_be_looked_up_now_are_a_temporary_failure(
    dns: DnsTestServer,
) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.servfail("mx.example.test")
    with pytest.raises(MxTemporaryFailure, match=r"mx\.example\.test"):
        resolver(dns).resolve("example.test")


def test_one_exchanger_failing_temporarily_leaves_the_others(dns: DnsTestServer) -> None:
    dns.add("example.test", "MX", "10 flaky.example.test")
    dns.add("example.test", "MX", "20 mx.example.test")
    dns.add("mx.example.test", "A", "192.0.2.1")
    dns.servfail("flaky.example.test")
    route = resolver(dns).resolve("example.test")
    assert [(e.host, e.addresses) for e in route.exchangers] == [
        ("flaky.example.test", ()),
        ("mx.example.test", ("192.0.2.1",)),
    ]


@pytest.mark.parametrize(
    ("domain", "address"), [("[192.0.2.7]", "192.0.2.7"), ("[IPv6:2001:db8::7]", "2001:db8::7")]
)
def test_an_address_literal_is_its_own_exchanger_without_dns(
    dns: DnsTestServer, domain: str, address: str
) -> None:
    route = resolver(dns).resolve(domain)
    assert route.exchangers[0].addresses == (address,)
    assert dns.queries == []
