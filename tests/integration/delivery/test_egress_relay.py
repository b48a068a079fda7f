"""The egress relay over loopback: worker-side RelayTransport -> egress relay -> the domain's MX
(found through a real DNS server), each recipient's outcome carried back unchanged."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from sesame.adapters.mx_resolver import MxResolver
from sesame.adapters.smtp_transport import DirectMxTransport, RelayTransport
from sesame.domain.sending.model import ResultKind
from sesame.smtp.egress import EgressRelay, EgressSettings
from tests.integration.delivery.helpers import MESSAGE, OPTIONS, envelope
from tests.support.dns_server import DnsTestServer
from tests.support.running_relay import RunningRelay
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration


def _relay_to(sink: SmtpSink, dns: DnsTestServer, allowed: tuple[str, ...]) -> RunningRelay:
    dns.add("example.test", "MX", "10 mx.example.test")
    dns.add("mx.example.test", "A", "127.0.0.1")
    transport = DirectMxTransport(MxResolver(dns.address, timeout=0.5), OPTIONS, port=sink.port)
    settings = EgressSettings(host="127.0.0.1", port=0, allowed_networks=allowed, threads=4)
    return RunningRelay(EgressRelay(settings, transport, "egress.sesame.test"))


@pytest.fixture
def relay(sink: SmtpSink, dns: DnsTestServer) -> Iterator[RunningRelay]:
    with _relay_to(sink, dns, ("127.0.0.0/8",)) as running:
        yield running


def test_each_recipients_outcome_comes_back_from_the_receiving_server(
    relay: RunningRelay, sink: SmtpSink
) -> None:
    # Given the receiving server refuses one of two recipients
    sink.reply_to_rcpt("nobody@example.test", "550 5.1.1 no such user")
    # When the worker's relay transport sends one message to both through the egress relay
    with RelayTransport(relay.address, OPTIONS).session("example.test") as session:
        results = session.send(envelope("rcpt@example.test", "nobody@example.test"))
    # Then each recipient carries the remote server's own answer
    by_recipient = {r.recipient: r for r in results}
    delivered, refused = by_recipient["rcpt@example.test"], by_recipient["nobody@example.test"]
    assert delivered.kind is ResultKind.DELIVERED
    assert delivered.smtp_response.startswith("250 2.0.0 Ok: queued as SINK")
    assert refused.kind is ResultKind.BOUNCED
    assert refused.status == "5.1.1"
    assert refused.smtp_response == "550 5.1.1 no such user"
    # And the MX got the message, unchanged, for the one recipient it accepted
    [received] = sink.messages
    assert received.recipients == ("rcpt@example.test",)
    assert received.mail_from == "bounce@sesame.test"
    assert received.data == MESSAGE


def test_a_deferral_at_the_mx_defers_at_the_worker(relay: RunningRelay, sink: SmtpSink) -> None:
    sink.reply_to_data("451 4.3.0 try later")
    with RelayTransport(relay.address, OPTIONS).session("example.test") as session:
        [result] = session.send(envelope("rcpt@example.test"))
    assert result.kind is ResultKind.DEFERRED
    assert result.smtp_response == "451 4.3.0 try later"


def test_messages_of_one_session_share_one_connection_to_the_mx(relay: RunningRelay, sink: SmtpSink) -> None:
    with RelayTransport(relay.address, OPTIONS).session("example.test") as session:
        session.send(envelope("a@example.test"))
        session.send(envelope("b@example.test"))
    received = sink.wait_for_messages(2)
    assert [m.recipients for m in received] == [("a@example.test",), ("b@example.test",)]
    assert received[0].connection == received[1].connection


def test_clients_outside_the_allowed_networks_may_not_relay(sink: SmtpSink, dns: DnsTestServer) -> None:
    with (
        _relay_to(sink, dns, ("10.0.0.0/8",)) as running,
        smtplib.SMTP("127.0.0.1", running.port, timeout=5) as client,
    ):
        client.ehlo("worker.test")
        code, text = client.mail("bounce@sesame.test")
    assert (code, text) == (550, b"5.7.1 Relaying denied")
    assert sink.messages == []


def test_settings_read_the_allowed_networks_from_the_environment() -> None:
    settings = EgressSettings.from_environment(
        {"SESAME_EGRESS_PORT": "2526", "SESAME_EGRESS_ALLOWED_NETWORKS": "10.64.0.0/16, 10.65.0.0/16"}
    )
    assert settings.port == 2526
    assert settings.allowed_networks == ("10.64.0.0/16", "10.65.0.0/16")
    with pytest.raises(ValueError):
        EgressSettings.from_environment({"SESAME_EGRESS_ALLOWED_NETWORKS": "not-a-network"})
