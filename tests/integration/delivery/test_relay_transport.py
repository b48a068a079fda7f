"""RelayTransport against a real SMTP server on loopback: every domain goes to one server."""

from __future__ import annotations

import dataclasses
import time

import pytest

from sesame.adapters.smtp_transport import RelayTransport, make_transport
from sesame.domain.sending.model import BounceSubType, BounceType, ResultKind
from sesame.domain.sending.smtp_replies import parse_reply_line
from tests.integration.delivery.helpers import MESSAGE, OPTIONS, SilentListener, envelope, unused_port
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration


def relay(sink: SmtpSink, **changes: object) -> RelayTransport:
    return RelayTransport(sink.address, dataclasses.replace(OPTIONS, **changes))  # type: ignore[arg-type]


# --- delivery and TLS -------------------------------------------------------------------------


def test_delivers_over_starttls_and_records_the_server_reply(sink: SmtpSink) -> None:
    with relay(sink).session("example.test") as session:
        results = session.send(envelope("rcpt@example.test"))

    [result] = results
    assert result.kind is ResultKind.DELIVERED
    assert result.recipient == "rcpt@example.test"
    assert result.smtp_response == "250 2.0.0 Ok: queued as SINK0001"
    assert result.status == "2.0.0"
    assert result.remote_mta == "127.0.0.1"
    assert result.reporting_mta == "sesame.test"
    assert result.bounce_type is None
    [received] = sink.messages
    assert received.tls
    assert received.mail_from == "bounce@sesame.test"
    assert received.recipients == ("rcpt@example.test",)
    assert received.data == MESSAGE
    assert f"SIZE={len(MESSAGE)}" in received.mail_options


def test_delivers_in_clear_when_starttls_is_not_offered_and_tls_is_not_required(clear_sink: SmtpSink) -> None:
    with relay(clear_sink).session("example.test") as session:
        [result] = session.send(envelope("rcpt@example.test"))
    assert result.kind is ResultKind.DELIVERED
    assert [m.tls for m in clear_sink.messages] == [False]


def test_required_tls_without_starttls_defers_and_sends_nothing(clear_sink: SmtpSink) -> None:
    with relay(clear_sink).session("example.test") as session:
        results = session.send(envelope("a@example.test", "b@example.test", require_tls=True))

    assert [r.kind for r in results] == [ResultKind.DEFERRED, ResultKind.DEFERRED]
    assert results[0].status == "4.7.10"
    assert "TLS is required" in results[0].smtp_response
    assert "does not offer STARTTLS" in results[0].smtp_response
    assert clear_sink.messages == []
    assert clear_sink.mail_commands == 0  # not even the envelope went out in clear


def test_required_tls_is_judged_per_message_on_one_connection(clear_sink: SmtpSink) -> None:
    with relay(clear_sink).session("example.test") as session:
        required = session.send(envelope("a@example.test", require_tls=True))
        optional = session.send(envelope("b@example.test"))
    assert required[0].kind is ResultKind.DEFERRED
    assert optional[0].kind is ResultKind.DELIVERED
    assert [m.recipients for m in clear_sink.messages] == [("b@example.test",)]
    assert clear_sink.connection_count == 1


def test_required_tls_is_delivered_when_starttls_works(sink: SmtpSink) -> None:
    with relay(sink).session("example.test") as session:
        [result] = session.send(envelope("a@example.test", require_tls=True))
    assert result.kind is ResultKind.DELIVERED
    assert sink.messages[0].tls


def test_verified_tls_delivers_when_the_certificate_is_trusted(sink: SmtpSink) -> None:
    transport = relay(sink, verify_certificates=True, ca_file=sink.certificate_file)
    with transport.session("example.test") as session:
        [result] = session.send(envelope("a@example.test", require_tls=True))
    assert result.kind is ResultKind.DELIVERED
    assert sink.messages[0].tls


def test_verified_tls_defers_when_the_certificate_is_not_trusted(sink: SmtpSink) -> None:
    transport = relay(sink, verify_certificates=True)  # the system's CAs do not know the sink
    with transport.session("example.test") as session:
        [result] = session.send(envelope("a@example.test"))
    assert result.kind is ResultKind.DEFERRED
    assert result.status == "4.7.5"
    assert "TLS handshake failed" in result.smtp_response
    assert sink.messages == []


def test_opportunistic_tls_falls_back_to_clear_when_the_handshake_fails() -> None:
    with SmtpSink(broken_tls=True) as old:
        with relay(old).session("example.test") as session:
            optional = session.send(envelope("a@example.test"))
            required = session.send(envelope("b@example.test", require_tls=True))
        assert optional[0].kind is ResultKind.DELIVERED
        assert required[0].kind is ResultKind.DEFERRED
        assert "handshake failed" in required[0].smtp_response
        assert [(m.recipients, m.tls) for m in old.messages] == [(("a@example.test",), False)]
        assert old.connection_count == 2  # the failed handshake, then the one in clear


# --- failures at RCPT and DATA ----------------------------------------------------------------


def test_rcpt_4xx_defers_that_recipient(sink: SmtpSink) -> None:
    sink.reply_to_rcpt("busy@example.test", "450 4.2.1 Mailbox busy, try later")
    with relay(sink).session("example.test") as session:
        [result] = session.send(envelope("busy@example.test"))
    assert result.kind is ResultKind.DEFERRED
    assert result.status == "4.2.1"
    assert result.smtp_response == "450 4.2.1 Mailbox busy, try later"
    assert sink.messages == []


def test_rcpt_5xx_bounces_that_recipient_while_the_others_get_the_message(sink: SmtpSink) -> None:
    sink.reply_to_rcpt("nobody@example.test", "550 5.1.1 <nobody@example.test>: no such user")
    with relay(sink).session("example.test") as session:
        results = session.send(envelope("one@example.test", "nobody@example.test", "two@example.test"))

    by_recipient = {r.recipient: r for r in results}
    assert [r.recipient for r in results] == ["one@example.test", "nobody@example.test", "two@example.test"]
    bounced = by_recipient["nobody@example.test"]
    assert bounced.kind is ResultKind.BOUNCED
    assert (bounced.bounce_type, bounced.bounce_subtype) == (BounceType.PERMANENT, BounceSubType.NO_EMAIL)
    assert bounced.status == "5.1.1"
    assert bounced.smtp_response == "550 5.1.1 <nobody@example.test>: no such user"
    assert by_recipient["one@example.test"].kind is ResultKind.DELIVERED
    assert by_recipient["two@example.test"].kind is ResultKind.DELIVERED
    [received] = sink.messages
    assert received.recipients == ("one@example.test", "two@example.test")


def test_every_recipient_refused_sends_no_data(sink: SmtpSink) -> None:
    sink.reply_to_rcpt("a@example.test", "550 5.1.1 no such user")
    sink.reply_to_rcpt("b@example.test", "452 4.2.2 Mailbox full")
    with relay(sink).session("example.test") as session:
        results = session.send(envelope("a@example.test", "b@example.test"))
    assert [r.kind for r in results] == [ResultKind.BOUNCED, ResultKind.DEFERRED]
    assert results[1].status == "4.2.2"
    assert sink.messages == []


def test_data_4xx_defers_every_accepted_recipient(sink: SmtpSink) -> None:
    sink.reply_to_data("451 4.3.0 Temporary local problem")
    with relay(sink).session("example.test") as session:
        results = session.send(envelope("a@example.test", "b@example.test"))
    assert [r.kind for r in results] == [ResultKind.DEFERRED] * 2
    assert {r.smtp_response for r in results} == {"451 4.3.0 Temporary local problem"}
    assert sink.messages == []


@pytest.mark.parametrize(
    ("data_reply", "bounce_type", "subtype", "status"),
    [
        (
            "552 5.3.4 Message too big for system",
            BounceType.TRANSIENT,
            BounceSubType.MESSAGE_TOO_LARGE,
            "5.3.4",
        ),
        ("552 5.2.2 Mailbox full", BounceType.TRANSIENT, BounceSubType.MAILBOX_FULL, "5.2.2"),
        ("554 5.7.1 Message rejected as spam", BounceType.TRANSIENT, BounceSubType.CONTENT_REJECTED, "5.7.1"),
        (
            "554 5.7.1 Attachment type not allowed",
            BounceType.TRANSIENT,
            BounceSubType.ATTACHMENT_REJECTED,
            "5.7.1",
        ),
        ("554 Transaction failed", BounceType.PERMANENT, BounceSubType.GENERAL, "5.0.0"),
    ],
)
def test_data_5xx_bounces_every_accepted_recipient_with_its_subtype(
    sink: SmtpSink, data_reply: str, bounce_type: BounceType, subtype: BounceSubType, status: str
) -> None:
    sink.reply_to_data(data_reply)
    with relay(sink).session("example.test") as session:
        results = session.send(envelope("a@example.test", "b@example.test"))
    for result in results:
        assert result.kind is ResultKind.BOUNCED
        assert (result.bounce_type, result.bounce_subtype) == (bounce_type, subtype)
        assert result.status == status
        assert result.smtp_response == data_reply
    assert sink.messages == []


def test_mail_from_refused_applies_to_every_recipient(sink: SmtpSink) -> None:
    sink.reply_to_mail("553 5.7.1 Sender address rejected")
    with relay(sink).session("example.test") as session:
        refused = session.send(envelope("a@example.test", "b@example.test"))
        accepted = session.send(envelope("c@example.test"))
    assert [r.kind for r in refused] == [ResultKind.BOUNCED] * 2
    assert accepted[0].kind is ResultKind.DELIVERED


def test_null_reverse_path_is_sent_as_empty_angle_brackets(sink: SmtpSink) -> None:
    with relay(sink).session("example.test") as session:
        [result] = session.send(envelope("a@example.test", mail_from=""))
    assert result.kind is ResultKind.DELIVERED
    assert sink.messages[0].mail_from == "<>"


# --- timeouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_a_server_that_stops_answering_defers_and_ends_the_session(sink: SmtpSink, stage: str) -> None:
    sink.hang_at(stage)
    with relay(sink).session("example.test") as session:
        started = time.monotonic()
        first = session.send(envelope("a@example.test"))
        waited = time.monotonic() - started
        started = time.monotonic()
        second = session.send(envelope("b@example.test"))
        second_waited = time.monotonic() - started
    assert first[0].kind is ResultKind.DEFERRED
    assert "did not answer" in first[0].smtp_response
    assert first[0].status == "4.4.2"
    assert 0.9 <= waited < 5
    # The rest of the session is deferred at once, not after another timeout each.
    assert second[0].kind is ResultKind.DEFERRED
    assert second_waited < 0.5
    assert sink.connection_count == 1


def test_a_server_that_never_greets_defers_after_the_command_timeout() -> None:
    port = unused_port()
    listener = SilentListener("127.0.0.1", port)
    try:
        transport = RelayTransport(f"127.0.0.1:{port}", OPTIONS)
        with transport.session("example.test") as session:
            [result] = session.send(envelope("a@example.test"))
    finally:
        listener.close()
    assert result.kind is ResultKind.DEFERRED
    assert "timed out" in result.smtp_response


def test_a_refused_connection_defers(sink: SmtpSink) -> None:
    transport = RelayTransport(f"127.0.0.1:{unused_port()}", OPTIONS)
    with transport.session("example.test") as session:
        first = session.send(envelope("a@example.test"))
        second = session.send(envelope("b@example.test"))
    assert first[0].kind is ResultKind.DEFERRED
    assert first[0].status == "4.4.1"
    assert "connection failed" in first[0].smtp_response
    assert second[0].smtp_response == first[0].smtp_response


# --- several messages per connection, several recipients per transaction ----------------------


def test_several_messages_share_one_connection_with_rset_between_them(sink: SmtpSink) -> None:
    sink.reply_to_data("451 4.3.0 Try again", "250 2.0.0 Ok: second")
    with relay(sink).session("example.test") as session:
        first = session.send(envelope("a@example.test"))
        second = session.send(envelope("b@example.test"))
        third = session.send(envelope("c@example.test", "d@example.test"))
    assert first[0].kind is ResultKind.DEFERRED
    assert second[0].kind is ResultKind.DELIVERED
    assert second[0].smtp_response == "250 2.0.0 Ok: second"
    assert [r.kind for r in third] == [ResultKind.DELIVERED] * 2
    assert sink.connection_count == 1
    assert sink.rset_commands == 2
    assert [m.recipients for m in sink.messages] == [
        ("b@example.test",),
        ("c@example.test", "d@example.test"),
    ]
    assert {m.connection for m in sink.messages} == {1}


def test_a_connection_closed_by_the_server_between_messages_is_reopened(sink: SmtpSink) -> None:
    sink.max_messages_per_connection = 2
    with relay(sink).session("example.test") as session:
        results = [session.send(envelope(f"r{i}@example.test"))[0] for i in range(5)]
    assert [r.kind for r in results] == [ResultKind.DELIVERED] * 5
    assert [m.connection for m in sink.messages] == [1, 1, 2, 2, 3]


def test_recipients_over_the_servers_limit_go_in_another_transaction(sink: SmtpSink) -> None:
    sink.max_recipients = 2
    recipients = tuple(f"r{i}@example.test" for i in range(5))
    with relay(sink).session("example.test") as session:
        results = session.send(envelope(*recipients))
    assert [r.kind for r in results] == [ResultKind.DELIVERED] * 5
    assert [m.recipients for m in sink.messages] == [recipients[0:2], recipients[2:4], recipients[4:]]


def test_recipients_are_split_by_the_configured_transaction_size(sink: SmtpSink) -> None:
    recipients = tuple(f"r{i}@example.test" for i in range(3))
    with relay(sink, max_recipients_per_transaction=2).session("example.test") as session:
        results = session.send(envelope(*recipients))
    assert [r.kind for r in results] == [ResultKind.DELIVERED] * 3
    assert [len(m.recipients) for m in sink.messages] == [2, 1]


def test_a_recipient_listed_twice_is_sent_to_once(sink: SmtpSink) -> None:
    with relay(sink).session("example.test") as session:
        results = session.send(envelope("a@example.test", "a@example.test"))
    assert [r.recipient for r in results] == ["a@example.test"]
    assert sink.messages[0].recipients == ("a@example.test",)


# --- extensions: SIZE, SMTPUTF8, data transparency --------------------------------------------


def test_a_message_over_the_advertised_size_bounces_without_being_sent() -> None:
    with SmtpSink(size_limit=1000) as small:
        message = MESSAGE + b"x" * 2000 + b"\r\n"
        with relay(small).session("example.test") as session:
            [result] = session.send(envelope("a@example.test", message=message))
        assert result.kind is ResultKind.BOUNCED
        assert (result.bounce_type, result.bounce_subtype) == (
            BounceType.TRANSIENT,
            BounceSubType.MESSAGE_TOO_LARGE,
        )
        assert result.status == "5.3.4"
        assert small.mail_commands == 0


def test_non_ascii_addresses_use_smtputf8_when_offered(sink: SmtpSink) -> None:
    with relay(sink).session("example.test") as session:
        [result] = session.send(envelope("jörg@example.test", mail_from="bounce@sesame.test"))
    assert result.kind is ResultKind.DELIVERED
    [received] = sink.messages
    assert received.recipients == ("jörg@example.test",)
    assert "SMTPUTF8" in received.mail_options


def test_non_ascii_addresses_bounce_when_smtputf8_is_not_offered() -> None:
    with SmtpSink(smtputf8=False) as ascii_only:
        with relay(ascii_only).session("example.test") as session:
            [result] = session.send(envelope("jörg@example.test"))
        assert result.kind is ResultKind.BOUNCED
        assert result.status == "5.6.7"
        assert result.bounce_subtype is BounceSubType.GENERAL
        assert ascii_only.mail_commands == 0


def test_message_bytes_arrive_intact_with_crlf_and_leading_dots(sink: SmtpSink) -> None:
    message = "Subject: Grüße\n\n.leading dot\n..two dots\nlast line".encode()
    with relay(sink).session("example.test") as session:
        [result] = session.send(envelope("a@example.test", message=message))
    assert result.kind is ResultKind.DELIVERED
    [received] = sink.messages
    assert received.data == "Subject: Grüße\r\n\r\n.leading dot\r\n..two dots\r\nlast line\r\n".encode()
    assert "BODY=8BITMIME" in received.mail_options


def test_results_reparse_to_the_same_classification(sink: SmtpSink) -> None:
    sink.reply_to_rcpt("nobody@example.test", "550 5.1.1 no such user")
    with relay(sink).session("example.test") as session:
        [result] = session.send(envelope("nobody@example.test"))
    assert parse_reply_line(result.smtp_response).enhanced == result.status


def test_make_transport_relays_when_a_relay_is_configured(sink: SmtpSink) -> None:
    transport = make_transport(
        relay=sink.address, dns_server=None, helo_name="mail.sesame.test", options=OPTIONS
    )
    with transport.session("anywhere.test") as session:
        [result] = session.send(envelope("a@anywhere.test"))
    assert result.kind is ResultKind.DELIVERED
    assert result.reporting_mta == "mail.sesame.test"
