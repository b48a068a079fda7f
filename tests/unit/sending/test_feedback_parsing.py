"""Reading DSNs (RFC 3464) and ARF feedback reports (RFC 5965) about mail we sent."""

from __future__ import annotations

from datetime import UTC, datetime

from sesame.domain.sending.feedback_parsing import parse_arf, parse_dsn
from sesame.domain.sending.model import BounceSubType, BounceType, ResultKind


def report(report_type: str, fields: str, original: str = "To: someone@example.com\r\n") -> bytes:
    machine = "message/delivery-status" if report_type == "delivery-status" else "message/feedback-report"
    return (
        "From: postmaster@example.com\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="x"\r\n'
        "\r\n"
        "--x\r\nContent-Type: text/plain\r\n\r\nhuman text\r\n"
        f"--x\r\nContent-Type: {machine}\r\n\r\n{fields}\r\n"
        f"--x\r\nContent-Type: text/rfc822-headers\r\n\r\n{original}"
        "--x--\r\n"
    ).encode()


def test_a_failed_recipient_with_a_5xx_status_is_a_permanent_bounce() -> None:
    (result,) = parse_dsn(
        report(
            "delivery-status",
            "Reporting-MTA: dns; mx.example.com\r\n\r\n"
            "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Remote-MTA: dns; store.example.com\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: user unknown\r\n",
        )
    ) or [None]
    assert result is not None
    assert result.recipient == "gone@example.com"
    assert result.kind is ResultKind.BOUNCED
    assert (result.bounce_type, result.bounce_subtype) == (BounceType.PERMANENT, BounceSubType.NO_EMAIL)
    assert result.status == "5.1.1"
    assert result.smtp_response == "550 5.1.1 <gone@example.com>: user unknown"
    assert (result.reporting_mta, result.remote_mta) == ("mx.example.com", "store.example.com")


def test_a_4xx_status_is_transient_and_a_full_mailbox_is_named() -> None:
    (result,) = parse_dsn(
        report(
            "delivery-status",
            "Reporting-MTA: dns; mx.example.com\r\n\r\n"
            "Final-Recipient: rfc822; full@example.com\r\nAction: failed\r\nStatus: 4.2.2\r\n"
            "Diagnostic-Code: smtp; 452 4.2.2 mailbox full\r\n",
        )
    ) or [None]
    assert result is not None
    assert (result.bounce_type, result.bounce_subtype) == (BounceType.TRANSIENT, BounceSubType.MAILBOX_FULL)


def test_delayed_and_delivered_recipients_are_not_bounces() -> None:
    results = parse_dsn(
        report(
            "delivery-status",
            "Reporting-MTA: dns; mx.example.com\r\n\r\n"
            "Final-Recipient: rfc822; slow@example.com\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
            "Final-Recipient: rfc822; fine@example.com\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
            "Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.0.0\r\n",
        )
    )
    assert results is not None
    assert [r.recipient for r in results] == ["gone@example.com"]
    assert results[0].bounce_type is BounceType.PERMANENT


def test_mail_that_is_not_a_dsn_is_not_read_as_one() -> None:
    assert parse_dsn(b"From: a@example.com\r\nSubject: hi\r\n\r\nout of office\r\n") is None
    assert parse_dsn(report("feedback-report", "Feedback-Type: abuse\r\n")) is None


def test_an_arf_report_gives_the_feedback_type_user_agent_arrival_date_and_recipient() -> None:
    complaint = parse_arf(
        report(
            "feedback-report",
            "Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n"
            "Arrival-Date: Thu, 8 Mar 2005 14:00:00 +0000\r\nOriginal-Rcpt-To: <angry@example.com>\r\n",
        )
    )
    assert complaint is not None
    assert complaint.recipients == ("angry@example.com",)
    assert complaint.feedback_type == "abuse"
    assert complaint.user_agent == "SomeGenerator/1.0"
    assert complaint.arrival_date == datetime(2005, 3, 8, 14, tzinfo=UTC).timestamp()


def test_an_arf_report_without_original_rcpt_to_names_the_original_messages_to() -> None:
    complaint = parse_arf(
        report("feedback-report", "Feedback-Type: fraud\r\n", original="To: Ann <ann@example.com>\r\n")
    )
    assert complaint is not None
    assert complaint.recipients == ("ann@example.com",)
    assert complaint.feedback_type == "fraud"
    assert complaint.user_agent is None and complaint.arrival_date is None


def test_mail_that_is_not_an_arf_report_is_not_read_as_one() -> None:
    assert parse_arf(b"From: a@example.com\r\nSubject: hi\r\n\r\nthanks\r\n") is None
    assert parse_arf(report("delivery-status", "Reporting-MTA: dns; x\r\n")) is None
