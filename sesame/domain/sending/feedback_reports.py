"""The reports Sesame mails when it forwards feedback by email, as SES forwards it.

* A bounce becomes a delivery status notification (RFC 3464 in an RFC 6522 multipart/report):
  a human-readable part, a ``message/delivery-status`` part (Reporting-MTA and Arrival-Date,
  then per recipient Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code and
  Last-Attempt-Date) and the original message's header section as ``text/rfc822-headers``; sent
  from ``MAILER-DAEMON@<mail host name>``.
* A complaint becomes an abuse report (RFC 5965 ARF, ``report-type=feedback-report``) from
  ``complaints@<mail host name>``.

Both go to the feedback address of the original message (its Return-Path, else its Source).
The builders are pure: dates, ids and the MIME boundary all come from their arguments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from sesame.domain.sending.events import Complaint, diagnostic_code, enhanced_status
from sesame.domain.sending.model import RecipientResult

CRLF = b"\r\n"
BOUNCE_SUBJECT = "Delivery Status Notification (Failure)"
COMPLAINT_SUBJECT = "Complaint Notification"
BOUNCE_TEXT = "An error occurred while trying to deliver the mail to the following recipients:"


def rfc5322_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, tz=UTC))


def header_section(message: bytes) -> bytes:
    """The message's header section with CRLF line ends, without the blank line after it."""
    normalized = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head, _, _ = normalized.partition(b"\r\n\r\n")
    return head.rstrip(b"\r\n")


def _address_field(address: str) -> str:
    # RFC 6533: an address with non-ASCII characters is typed utf-8, not rfc822.
    kind = "rfc822" if address.isascii() else "utf-8"
    return f"{kind}; {address}"


def _boundary(report_id: str) -> str:
    return "=_sesame_" + hashlib.sha256(report_id.encode("utf-8")).hexdigest()[:32]


def _lines(*lines: str) -> bytes:
    return CRLF.join(line.encode("utf-8") for line in lines)


def _multipart_report(
    *,
    sender: str,
    to_address: str,
    subject: str,
    at: float,
    report_id: str,
    mail_host_name: str,
    report_type: str,
    parts: Sequence[tuple[str, bytes]],
) -> bytes:
    boundary = _boundary(report_id)
    head = _lines(
        f"From: {sender}",
        f"To: {to_address}",
        f"Subject: {subject}",
        f"Date: {rfc5322_date(at)}",
        f"Message-ID: <{report_id}@{mail_host_name}>",
        "MIME-Version: 1.0",
        # RFC 3834: a report is an automatic reply; nothing should answer it.
        "Auto-Submitted: auto-replied",
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"',
    )
    body = b""
    for content_type, content in parts:
        body += _lines(f"--{boundary}", f"Content-Type: {content_type}", "") + CRLF + content + CRLF
    body += _lines(f"--{boundary}--") + CRLF
    return head + CRLF + CRLF + body


def build_bounce_report(
    *,
    mail_host_name: str,
    to_address: str,
    results: Sequence[RecipientResult],
    original_message: bytes,
    arrival: float,
    at: float,
    report_id: str,
) -> bytes:
    """A DSN for bounced ``results`` of one message, accepted at ``arrival``, bounced at ``at``.
    ``report_id`` (the feedback id) names the report: its Message-ID and MIME boundary."""
    if not results:
        raise ValueError("a delivery status notification needs at least one recipient")
    reporting_mta = results[0].reporting_mta or mail_host_name
    text = _lines(BOUNCE_TEXT, *(result.recipient for result in results)) + CRLF
    fields = [f"Reporting-MTA: dns; {reporting_mta}", f"Arrival-Date: {rfc5322_date(arrival)}"]
    for result in results:
        fields += [
            "",
            f"Final-Recipient: {_address_field(result.recipient)}",
            "Action: failed",
            f"Status: {enhanced_status(result) or '5.0.0'}",
        ]
        if result.remote_mta:
            fields.append(f"Remote-MTA: dns; {result.remote_mta}")
        code = diagnostic_code(result.smtp_response)
        if code:
            # Sesame's own reasons (no SMTP reply) are typed as an extension diagnostic.
            fields.append(f"Diagnostic-Code: {code if code.startswith('smtp; ') else 'X-Sesame; ' + code}")
        fields.append(f"Last-Attempt-Date: {rfc5322_date(at)}")
    status = _lines(*fields) + CRLF
    return _multipart_report(
        sender=f"MAILER-DAEMON@{mail_host_name}",
        to_address=to_address,
        subject=BOUNCE_SUBJECT,
        at=at,
        report_id=report_id,
        mail_host_name=mail_host_name,
        report_type="delivery-status",
        parts=[
            ("text/plain; charset=utf-8", text),
            ("message/delivery-status", status),
            ("text/rfc822-headers", header_section(original_message) + CRLF),
        ],
    )


def build_complaint_report(
    *,
    mail_host_name: str,
    to_address: str,
    complaint: Complaint,
    original_mail_from: str,
    source: str,
    original_message: bytes,
    arrival: float,
) -> bytes:
    """An abuse report (ARF) for ``complaint`` about a message sent as ``source``."""
    text = _lines(
        f"This is an email abuse report for an email message sent from {source}.",
        "A recipient reported it as unwanted.",
    )
    arrived = complaint.arrival_date if complaint.arrival_date is not None else arrival
    fields = [
        f"Feedback-Type: {complaint.feedback_type or 'abuse'}",
        f"User-Agent: {complaint.user_agent or 'Sesame'}",
        "Version: 1",
        f"Original-Mail-From: <{original_mail_from}>",
        *(f"Original-Rcpt-To: <{recipient}>" for recipient in complaint.recipients),
        f"Arrival-Date: {rfc5322_date(arrived)}",
    ]
    return _multipart_report(
        sender=f"complaints@{mail_host_name}",
        to_address=to_address,
        subject=COMPLAINT_SUBJECT,
        at=complaint.at,
        report_id=complaint.feedback_id,
        mail_host_name=mail_host_name,
        report_type="feedback-report",
        parts=[
            ("text/plain; charset=utf-8", text + CRLF),
            ("message/feedback-report", _lines(*fields) + CRLF),
            ("text/rfc822-headers", header_section(original_message) + CRLF),
        ],
    )
