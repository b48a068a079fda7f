"""DirectMxTransport against a real DNS server and real SMTP servers on loopback.

Every loopback address 127.0.0.0/8 reaches this machine, so MX hosts are told apart by address:
the servers of one test share a port number and listen on different loopback addresses.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest

from sesame.adapters.mx_resolver import MxResolver
from sesame.adapters.smtp_transport import DirectMxTransport, make_transport
from sesame.domain.sending.model import BounceSubType, BounceType, ResultKind
from tests.integration.delivery.helpers import OPTIONS, SilentListener, envelope
from tests.support.dns_server import DnsTestServer
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration


def direct(dns: DnsTestServer, port: int, *, seed: int = 0) -> DirectMxTransport:
    return DirectMxTransport(
        MxResolver(dns.address, timeout=0.5, rng=random.Random(seed)), OPTIONS, port=port
    )


@pytest.fixture
def second_sink(sink: SmtpSink) -> Iterator[SmtpSink]:
    """Another server on the same port number as ``sink``, at 127.0.0.3."""
    with SmtpSink("127.0.0.3", sink.port) as server:
        yield server


def test_delivers_to_the_mx_over_starttls(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.0.0.1")

    with direct(dns, sink.port).session("example.test") as session:
        results = session.send(envelope("a@example.test", "b@example.test", require_tls=True))

    assert [r.kind for r in results] == [ResultKind.DELIVERED] * 2
    assert {r.remote_mta for r in results} == {"mx.example.test"}
    [received] = sink.messages
    assert received.tls
    assert received.recipients == ("a@example.test", "b@example.test")


def test_the_lowest_preference_is_tried_first(
    dns: DnsTestServer, sink: SmtpSink, second_sink: SmtpSink
) -> None:
    dns.add("example.test", "MX", "10 low.example.test")
    dns.add("example.test", "MX", "20 high.example.test")
    dns.add("low.example.test", "A", "127.0.0.3")
    dns.add("high.example.test", "A", "127.0.0.1")

    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))

    assert result.kind is ResultKind.DELIVERED
    assert result.remote_mta == "low.example.test"
    assert len(second_sink.messages) == 1
    assert sink.messages == [] and sink.connection_count == 0

    dns.set("example.test", "MX", "30 low.example.test", "20 high.example.test")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.remote_mta == "high.example.test"
    assert len(sink.messages) == 1


def test_the_next_mx_is_tried_when_the_first_refuses_connections(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 down.example.test")
    dns.add("example.test", "MX", "20 up.example.test")
    dns.add("down.example.test", "A", "127.0.0.2")  # nothing listens there
    dns.add("up.example.test", "A", "127.0.0.1")

    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))

    assert result.kind is ResultKind.DELIVERED
    assert result.remote_mta == "up.example.test"
    assert len(sink.messages) == 1


def test_the_next_address_of_one_mx_is_tried_too(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.0.0.2")
    dns.add("mx.example.test", "A", "127.0.0.1")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DELIVERED
    assert len(sink.messages) == 1


def test_the_next_mx_is_tried_when_the_first_never_greets(dns: DnsTestServer, sink: SmtpSink) -> None:
    silent = SilentListener("127.0.0.4", sink.port)
    try:
        dns.add("example.test", "MX", "10 tarpit.example.test")
        dns.add("example.test", "MX", "20 mx.example.test")
        dns.add("tarpit.example.test", "A", "127.0.0.4")
        dns.add("mx.example.test", "A", "127.0.0.1")
        with direct(dns, sink.port).session("example.test") as session:
            [result] = session.send(envelope("a@example.test"))
    finally:
        silent.close()
    assert result.kind is ResultKind.DELIVERED
    assert result.remote_mta == "mx.example.test"


def test_the_next_mx_is_tried_when_the_first_stops_answering_after_its_greeting(
    dns: DnsTestServer, sink: SmtpSink, second_sink: SmtpSink
) -> None:
    second_sink.hang_at("EHLO")  # greets, then never answers EHLO
    dns.add("example.test", "MX", "10 stuck.example.test")
    dns.add("example.test", "MX", "20 mx.example.test")
    dns.add("stuck.example.test", "A", "127.0.0.3")
    dns.add("mx.example.test", "A", "127.0.0.1")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DELIVERED
    assert result.remote_mta == "mx.example.test"


def test_every_mx_unreachable_defers_naming_each_of_them(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 one.example.test")
    dns.add("example.test", "MX", "20 two.example.test")
    dns.add("one.example.test", "A", "127.0.0.2")
    dns.add("two.example.test", "A", "127.0.0.5")

    with direct(dns, sink.port).session("example.test") as session:
        first = session.send(envelope("a@example.test"))
        second = session.send(envelope("b@example.test"))

    assert first[0].kind is ResultKind.DEFERRED
    assert first[0].status == "4.4.1"
    assert "one.example.test" in first[0].smtp_response
    assert "two.example.test" in first[0].smtp_response
    assert first[0].remote_mta == "two.example.test"
    assert second[0].smtp_response == first[0].smtp_response


def test_null_mx_bounces_at_once_without_connecting(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "0 .")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.BOUNCED
    assert (result.bounce_type, result.bounce_subtype) == (BounceType.PERMANENT, BounceSubType.NO_EMAIL)
    assert result.status == "5.1.10"
    assert result.smtp_response.startswith("556 5.1.10 ")
    assert sink.connection_count == 0


def test_without_mx_the_domains_own_address_receives_the_mail(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "A", "127.0.0.1")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DELIVERED
    assert result.remote_mta == "example.test"
    assert len(sink.messages) == 1


def test_a_domain_that_does_not_exist_bounces(dns: DnsTestServer, sink: SmtpSink) -> None:
    with direct(dns, sink.port).session("nowhere.test") as session:
        [result] = session.send(envelope("a@nowhere.test"))
    assert result.kind is ResultKind.BOUNCED
    assert (result.bounce_type, result.bounce_subtype) == (BounceType.PERMANENT, BounceSubType.GENERAL)
    assert result.status == "5.1.2"
    assert sink.connection_count == 0


def test_a_domain_without_mx_or_address_bounces(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "TXT", "v=spf1 -all")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.BOUNCED
    assert result.status == "5.4.4"


def test_exchangers_without_addresses_defer(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 gone.example.test")
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DEFERRED
    assert result.status == "4.4.4"
    assert "gone.example.test" in result.smtp_response


@pytest.mark.parametrize("failure", ["servfail", "silence"])
def test_a_dns_failure_defers(dns: DnsTestServer, sink: SmtpSink, failure: str) -> None:
    getattr(dns, failure)("example.test")
    started = time.monotonic()
    with direct(dns, sink.port).session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DEFERRED
    assert result.status == "4.4.3"
    assert time.monotonic() - started < 2.0
    assert sink.connection_count == 0


def test_one_session_resolves_once_and_uses_one_connection(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.0.0.1")
    with direct(dns, sink.port).session("example.test") as session:
        for index in range(3):
            [result] = session.send(envelope(f"r{index}@example.test"))
            assert result.kind is ResultKind.DELIVERED
    assert [q for q in dns.queries if q[1] == "example.test" and q[2] == "MX"] == [
        ("udp", "example.test", "MX")
    ]
    assert sink.connection_count == 1
    assert len(sink.messages) == 3


def test_no_connection_is_opened_for_a_session_that_sends_nothing(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.0.0.1")
    with direct(dns, sink.port).session("example.test"):
        pass
    assert sink.connection_count == 0
    assert dns.queries == []


def test_make_transport_goes_direct_without_a_relay(dns: DnsTestServer, sink: SmtpSink) -> None:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.0.0.1")
    transport = make_transport(
        relay=None, dns_server=dns.address, helo_name="mail.sesame.test", options=OPTIONS, mx_port=sink.port
    )
    with transport.session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DELIVERED
    assert result.remote_mta == "mx.example.test"
    assert result.reporting_mta == "mail.sesame.test"
