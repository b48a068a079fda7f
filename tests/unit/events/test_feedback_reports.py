"""The reports mailed when feedback is forwarded: an RFC 3464 DSN for bounces, an RFC 5965 abuse
report for complaints, read back with Python's email parser."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message

from sesame.domain.sending.events import Complaint
from sesame.domain.sending.feedback_reports import (
    build_bounce_report,
    build_complaint_report,
    header_section,
)
from sesame.domain.sending.model import RecipientResult, ResultKind

ORIGINAL = (
    b"From: Sender <sender@example.com>\r\n"
    b"To: jane@example.net, bob@example.org\r\n"
    b"Subject: Hello\r\n"
    b"Message-ID: <custom@example.com>\r\n"
    b"\r\n"
    b"The body, which the report leaves out.\r\n"
)
ACCEPTED = 1_700_000_000.0
BOUNCED = 1_700_000_090.0


def bounced() -> list[RecipientResult]:
    return [
        RecipientResult(
            "jane@example.net",
            ResultKind.BOUNCED,
            "550 5.1.1 <jane@example.net>: user unknown",
            remote_mta="mx.example.net",
            reporting_mta="out-1.sesame.test",
        ),
        RecipientResult(
            "bob@example.org",
            ResultKind.BOUNCED,
            "452 4.2.2 over quota",
            remote_mta="192.0.2.7",
            reporting_mta="out-1.sesame.test",
        ),
    ]


def bounce_report(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "mail_host_name": "sesame.test",
        "to_address": "sender@example.com",
        "results": bounced(),
        "original_message": ORIGINAL,
        "arrival": ACCEPTED,
        "at": BOUNCED,
        "report_id": "0100018bcfe56800-feedback-000000",
    }
    arguments.update(overrides)
    return build_bounce_report(**arguments)  # type: ignore[arg-type]


def parts(raw: bytes) -> tuple[Message, list[Message]]:
    message = message_from_bytes(raw, policy=policy.default)
    return message, list(message.iter_parts())  # type: ignore[attr-defined]


def test_a_bounce_report_is_a_multipart_report_from_the_mailer_daemon() -> None:
    message, sections = parts(bounce_report())
    assert message["From"] == "MAILER-DAEMON@sesame.test"
    assert message["To"] == "sender@example.com"
    assert message["Subject"] == "Delivery Status Notification (Failure)"
    assert message["Message-ID"] == "<0100018bcfe56800-feedback-000000@sesame.test>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    assert [part.get_content_type() for part in sections] == [
        "text/plain",
        "message/delivery-status",
        "text/rfc822-headers",
    ]


def test_the_readable_part_names_every_bounced_recipient() -> None:
    _, sections = parts(bounce_report())
    text = sections[0].get_content()
    assert "An error occurred while trying to deliver the mail to the following recipients:" in text
    assert "jane@example.net" in text and "bob@example.org" in text


def test_the_delivery_status_has_message_and_recipient_fields() -> None:
    _, sections = parts(bounce_report())
    blocks = sections[1].get_payload()
    assert isinstance(blocks, list) and len(blocks) == 3
    per_message, jane, bob = blocks
    assert per_message["Reporting-MTA"] == "dns; out-1.sesame.test"
    assert per_message["Arrival-Date"] == "Tue, 14 Nov 2023 22:13:20 +0000"
    assert dict(jane.items()) == {
        "Final-Recipient": "rfc822; jane@example.net",
        "Action": "failed",
        "Status": "5.1.1",
        "Remote-MTA": "dns; mx.example.net",
        "Diagnostic-Code": "smtp; 550 5.1.1 <jane@example.net>: user unknown",
        "Last-Attempt-Date": "Tue, 14 Nov 2023 22:14:50 +0000",
    }
    assert bob["Status"] == "4.2.2" and bob["Remote-MTA"] == "dns; 192.0.2.7"


def test_the_original_headers_are_returned_without_the_body() -> None:
    raw = bounce_report()
    _, sections = parts(raw)
    returned = sections[2].get_payload(decode=True)
    assert isinstance(returned, bytes)
    assert returned.rstrip(b"\r\n") == header_section(ORIGINAL)
    assert b"The body" not in raw


def test_the_report_uses_crlf_line_ends_only_and_is_reproducible() -> None:
    raw = bounce_report()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert raw == bounce_report()
    assert raw != bounce_report(report_id="another")


def test_bare_newlines_in_the_original_become_crlf() -> None:
    assert header_section(b"A: 1\nB: 2\n\nbody") == b"A: 1\r\nB: 2"


def test_sesames_own_reasons_and_internationalized_addresses_are_typed() -> None:
    own = RecipientResult(
        "josé@example.es",
        ResultKind.BOUNCED,
        "Sesame did not send to an address on the suppression list.",
        status="5.1.1",
    )
    _, sections = parts(bounce_report(results=[own]))
    recipient = sections[1].get_payload()[1]
    assert recipient["Final-Recipient"] == "utf-8; josé@example.es"
    assert (
        recipient["Diagnostic-Code"] == "X-Sesame; Sesame did not send to an address on the suppression list."
    )
    assert "Remote-MTA" not in recipient
    per_message = sections[1].get_payload()[0]
    assert per_message["Reporting-MTA"] == "dns; sesame.test", "our host when the result names none"


def test_a_complaint_report_is_an_abuse_report() -> None:
    complaint = Complaint(
        recipients=("jane@example.net",),
        at=BOUNCED,
        feedback_id="0100018bcfe56800-complaint-000000",
        feedback_type="abuse",
        user_agent="Example Feedback Loop",
    )
    raw = build_complaint_report(
        mail_host_name="sesame.test",
        to_address="sender@example.com",
        complaint=complaint,
        original_mail_from="bounces@mail.example.com",
        source="sender@example.com",
        original_message=ORIGINAL,
        arrival=ACCEPTED,
    )
    message, sections = parts(raw)
    assert message["From"] == "complaints@sesame.test" and message["To"] == "sender@example.com"
    assert message.get_param("report-type") == "feedback-report"
    assert [part.get_content_type() for part in sections] == [
        "text/plain",
        "message/feedback-report",
        "text/rfc822-headers",
    ]
    fields = sections[1].get_payload()[0]
    assert fields["Feedback-Type"] == "abuse"
    assert fields["User-Agent"] == "Example Feedback Loop"
    assert fields["Version"] == "1"
    assert fields["Original-Mail-From"] == "<bounces@mail.example.com>"
    assert fields["Original-Rcpt-To"] == "<jane@example.net>"
    assert fields["Arrival-Date"] == "Tue, 14 Nov 2023 22:13:20 +0000"
