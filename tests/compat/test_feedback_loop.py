"""Reports about sent mail coming back to a running `sesame local`: a message is sent through
the API and relayed to a sink, then a DSN and an ARF report for it are delivered with smtplib to
the MX, addressed to the message's envelope sender. They show as a user sees them: Bounce and
Complaint events, the suppression list, the send statistics."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.compat_clients import running_local, sdk_client, wait_for
from tests.support.dns_server import DnsTestServer
from tests.support.event_stream import EventReader, subscribe_events
from tests.support.local_process import LocalProcess
from tests.support.smtp_sink import SmtpSink

SENDER_DOMAIN = "sender.test"
RECIPIENT_DOMAIN = "inbox.test"


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer, sink: SmtpSink) -> Iterator[LocalProcess]:
    with running_local(
        "--dns", dns_server.address,
        "--check-interval", "0.5",
        "--relay", sink.address,
        "--max-send-rate", "40",
    ) as process:  # fmt: skip
        yield process


@pytest.fixture(scope="module")
def events(local: LocalProcess) -> EventReader:
    return subscribe_events(local, "feedback-events")


@pytest.fixture(scope="module")
def verified(local: LocalProcess, dns_server: DnsTestServer) -> None:
    v1, v2 = sdk_client(local, "ses"), sdk_client(local, "sesv2")
    for domain in (SENDER_DOMAIN, RECIPIENT_DOMAIN):
        token = v1.verify_domain_identity(Domain=domain)["VerificationToken"]
        dns_server.set(f"_amazonses.{domain}", "TXT", token)
    for domain in (SENDER_DOMAIN, RECIPIENT_DOMAIN):
        wait_for(
            lambda d=domain: v2.get_email_identity(EmailIdentity=d),
            lambda answer: answer["VerifiedForSendingStatus"],
        )


def mx(local: LocalProcess) -> tuple[str, int]:
    host, _, port = local.ready["mx"].rpartition(":")
    return host, int(port)


def send_and_deliver(local: LocalProcess, sink: SmtpSink, recipient: str, events: Any) -> tuple[str, str]:
    """Send one message; return its MessageId and envelope sender once it was delivered."""
    message_id = sdk_client(local, "sesv2").send_email(
        FromEmailAddress=f"news@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [recipient]},
        Content={"Simple": {"Subject": {"Data": "News"}, "Body": {"Text": {"Data": "hello"}}}},
    )["MessageId"]
    (received,) = wait_for(lambda: [m for m in sink.messages if recipient in m.recipients], bool, timeout=60)
    assert events(message_id, "Delivery")
    return message_id, received.mail_from


def dsn(recipient: str, message_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.inbox.test\r\n"
        "To: bounces@sesame.localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nThe mailbox does not exist.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.inbox.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{message_id}@email.sesame.localhost>\r\nTo: {recipient}\r\n"
        "--b1--\r\n"
    ).encode()


def arf(recipient: str) -> bytes:
    return (
        "From: fbl@inbox.test\r\n"
        "To: complaints@sesame.localhost\r\n"
        "Subject: Abuse report\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n'
        "\r\n"
        "--b2\r\nContent-Type: text/plain\r\n\r\nA user marked this message as spam.\r\n"
        "--b2\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: InboxFBL/1.0\r\n"
        "Version: 1\r\n"
        "Arrival-Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
        f"Original-Rcpt-To: {recipient}\r\n"
        "\r\n"
        "--b2\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"To: {recipient}\r\nSubject: News\r\n"
        "--b2--\r\n"
    ).encode()


def test_a_dsn_for_a_sent_message_becomes_a_permanent_bounce_with_suppression_and_statistics(
    local: LocalProcess, sink: SmtpSink, verified: None, events: Any
) -> None:
    recipient = f"gone@{RECIPIENT_DOMAIN}"
    message_id, mail_from = send_and_deliver(local, sink, recipient, events)

    with smtplib.SMTP(*mx(local), timeout=30) as client:
        client.sendmail("", [mail_from], dsn(recipient, message_id))

    (bounce,) = events(message_id, "Bounce")
    assert bounce["bounce"]["bounceType"] == "Permanent"
    assert bounce["bounce"]["bounceSubType"] == "NoEmail"
    assert [r["emailAddress"] for r in bounce["bounce"]["bouncedRecipients"]] == [recipient]
    assert bounce["mail"]["commonHeaders"]["subject"] == "News"
    v2 = sdk_client(local, "sesv2")
    entry = v2.get_suppressed_destination(EmailAddress=recipient)["SuppressedDestination"]
    assert entry["Reason"] == "BOUNCE"
    points = sdk_client(local, "ses").get_send_statistics()["SendDataPoints"]
    assert sum(p["Bounces"] for p in points) >= 1


def test_an_arf_report_for_a_sent_message_becomes_a_complaint_and_a_complaint_suppression(
    local: LocalProcess, sink: SmtpSink, verified: None, events: Any
) -> None:
    recipient = f"angry@{RECIPIENT_DOMAIN}"
    message_id, mail_from = send_and_deliver(local, sink, recipient, events)

    with smtplib.SMTP(*mx(local), timeout=30) as client:
        client.sendmail("", [mail_from], arf(recipient))

    (complaint,) = events(message_id, "Complaint")
    assert [r["emailAddress"] for r in complaint["complaint"]["complainedRecipients"]] == [recipient]
    assert complaint["complaint"]["complaintFeedbackType"] == "abuse"
    assert complaint["complaint"]["userAgent"] == "InboxFBL/1.0"
    assert complaint["complaint"]["arrivalDate"].startswith("2026-11-26T10:00:00")
    entry = sdk_client(local, "sesv2").get_suppressed_destination(EmailAddress=recipient)
    assert entry["SuppressedDestination"]["Reason"] == "COMPLAINT"
    points = sdk_client(local, "ses").get_send_statistics()["SendDataPoints"]
    assert sum(p["Complaints"] for p in points) >= 1


def test_a_report_for_an_unknown_message_id_is_refused_at_rcpt(local: LocalProcess, verified: None) -> None:
    unknown = "0100019ac0ffee00-8d4f3f0e-3c8a-4d0e-9a51-0f6e6b2b1c7d-000000@sesame.localhost"
    with smtplib.SMTP(*mx(local), timeout=30) as client:
        client.ehlo()
        client.mail("")
        code, _ = client.rcpt(unknown)
    assert code == 550
