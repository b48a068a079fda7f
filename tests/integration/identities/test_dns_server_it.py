"""The loopback DNS server the identity tests rely on behaves like an authoritative server."""

from __future__ import annotations

import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from sesame.adapters.dns import DnsPythonLookup
from sesame.domain.identity_ports import DnsTemporaryFailure
from tests.support.dns_server import DnsTestServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server(dns_server: DnsTestServer) -> DnsTestServer:
    dns_server.clear()
    return dns_server


def ask(server: DnsTestServer, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=2)


def test_nxdomain_nodata_and_empty_non_terminals(server: DnsTestServer) -> None:
    server.add("sel._domainkey.example.com", "TXT", "v=DKIM1; p=x")
    assert ask(server, "missing.example.com", "TXT").rcode() == dns.rcode.NXDOMAIN
    nodata = ask(server, "sel._domainkey.example.com", "MX")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    ent = ask(server, "_domainkey.example.com", "TXT")
    assert ent.rcode() == dns.rcode.NOERROR and not ent.answer
    found = ask(server, "SEL._domainkey.Example.com", "TXT")
    assert found.flags & dns.flags.AA and found.answer


def test_cname_chains_are_followed_within_the_data(server: DnsTestServer) -> None:
    server.add("alias.example.com", "CNAME", "middle.example.com")
    server.add("middle.example.com", "CNAME", "target.example.com")
    server.add("target.example.com", "TXT", "hello")
    answer = ask(server, "alias.example.com", "TXT")
    assert [rrset.rdtype for rrset in answer.answer] == [5, 5, 16]
    lookup = DnsPythonLookup(server.address)
    assert lookup.txt("alias.example.com") == ["hello"]
    assert lookup.cname("alias.example.com") == "middle.example.com"


def test_large_answers_truncate_over_udp_and_complete_over_tcp(server: DnsTestServer) -> None:
    for i in range(4):
        server.add("big.example.com", "TXT", f"{i}" * 300)
    assert ask(server, "big.example.com", "TXT").flags & dns.flags.TC
    assert len(ask(server, "big.example.com", "TXT", tcp=True).answer[0]) == 4
    assert sorted(DnsPythonLookup(server.address).txt("big.example.com")) == [f"{i}" * 300 for i in range(4)]
    assert ("tcp", "big.example.com", "TXT") in server.queries


def test_records_change_while_running(server: DnsTestServer) -> None:
    lookup = DnsPythonLookup(server.address)
    server.add("mx.example.com", "MX", "10 a.example.net")
    server.add("mx.example.com", "MX", "20 B.example.net.")
    assert sorted(lookup.mx("mx.example.com")) == [(10, "a.example.net"), (20, "b.example.net")]
    server.remove("mx.example.com", "MX", "10 a.example.net")
    assert lookup.mx("mx.example.com") == [(20, "b.example.net")]
    server.set("mx.example.com", "MX", "5 c.example.net")
    assert lookup.mx("mx.example.com") == [(5, "c.example.net")]
    server.remove("mx.example.com")
    assert lookup.mx("mx.example.com") == []


def test_servfail_and_silence_are_temporary_failures(server: DnsTestServer) -> None:
    lookup = DnsPythonLookup(server.address, timeout=0.3)
    server.servfail("broken.example.com")
    assert ask(server, "broken.example.com", "TXT").rcode() == dns.rcode.SERVFAIL
    with pytest.raises(DnsTemporaryFailure):
        lookup.txt("broken.example.com")
    server.silence("slow.example.com")
    started = time.monotonic()
    with pytest.raises(DnsTemporaryFailure):
        lookup.cname("slow.example.com")
    assert time.monotonic() - started < 2


def test_the_adapter_resolves_a_host_name_for_the_server(server: DnsTestServer) -> None:
    server.add("example.com", "TXT", "ok")
    assert DnsPythonLookup(f"localhost:{server.port}").txt("example.com") == ["ok"]
