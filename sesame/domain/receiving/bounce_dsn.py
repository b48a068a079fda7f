"""Delivery status notifications (RFC 3464 inside an RFC 6522 multipart/report) for received mail:
the Bounce receipt action's and SendBounce's.

The report comes from the bounce sender the rule or the caller names and goes to the envelope
sender of the received message. It has a human-readable part (the explanation), the
``message/delivery-status`` part (per-message fields, then per recipient Final-Recipient,
Action, Status and the optional fields), and the received message's header section as
``text/rfc822-headers``. Builders are pure: dates, ids and the boundary come from the arguments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sesame.domain.sending.feedback_reports import header_section, rfc5322_date

CRLF = b"\r\n"
SUBJECT = "Delivery Status Notification (Failure)"


@dataclass(frozen=True)
class BouncedRecipient:
    recipient: str
    status: str  # enhanced status code, e.g. 5.1.1
    action: str = "failed"
    final_recipient: str | None = None
    diagnostic_code: str | None = None  # e.g. "smtp; 550 5.1.1 Mailbox does not exist"
    remote_mta: str | None = None
    last_attempt: float | None = None
    extension_fields: tuple[tuple[str, str], ...] = ()


def _address_field(address: str) -> str:
    # RFC 6533: an address with non-ASCII characters is typed utf-8, not rfc822.
    return f"{'rfc822' if address.isascii() else 'utf-8'}; {address}"


def _clean(value: str) -> str:
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def _mta(value: str) -> str:
    """``type; name`` as RFC 3464 writes an MTA; a bare name is a DNS name."""
    value = _clean(value)
    return value if ";" in value else f"dns; {value}"


def _lines(*lines: str) -> bytes:
    return CRLF.join(line.encode("utf-8") for line in lines)


def build_bounce_dsn(
    *,
    sender: str,
    to_address: str,
    explanation: str,
    reporting_mta: str,
    arrival: float | None,
    at: float,
    recipients: Sequence[BouncedRecipient],
    original_message: bytes,
    report_id: str,
    mail_host_name: str,
    extension_fields: Sequence[tuple[str, str]] = (),
) -> bytes:
    if not recipients:
        raise ValueError("a delivery status notification needs at least one recipient")
    boundary = "=_sesame_" + hashlib.sha256(report_id.encode("utf-8")).hexdigest()[:32]
    per_message = [f"Reporting-MTA: {_mta(reporting_mta)}"]
    if arrival is not None:
        per_message.append(f"Arrival-Date: {rfc5322_date(arrival)}")
    per_message += [f"{_clean(name)}: {_clean(value)}" for name, value in extension_fields]
    fields = list(per_message)
    for bounced in recipients:
        fields += [
            "",
            f"Final-Recipient: {_address_field(_clean(bounced.final_recipient or bounced.recipient))}",
            f"Action: {_clean(bounced.action)}",
            f"Status: {_clean(bounced.status)}",
        ]
        if bounced.remote_mta:
            fields.append(f"Remote-MTA: {_mta(bounced.remote_mta)}")
        if bounced.diagnostic_code:
            fields.append(f"Diagnostic-Code: {_clean(bounced.diagnostic_code)}")
        if bounced.last_attempt is not None:
            fields.append(f"Last-Attempt-Date: {rfc5322_date(bounced.last_attempt)}")
        fields += [f"{_clean(name)}: {_clean(value)}" for name, value in bounced.extension_fields]
    head = _lines(
        f"From: {_clean(sender)}",
        f"To: {_clean(to_address)}",
        f"Subject: {SUBJECT}",
        f"Date: {rfc5322_date(at)}",
        f"Message-ID: <{report_id}@{mail_host_name}>",
        "MIME-Version: 1.0",
        # RFC 3834: a report is an automatic reply; nothing should answer it.
        "Auto-Submitted: auto-replied",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
    )
    text = explanation.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8") + CRLF
    parts = [
        ("text/plain; charset=utf-8", text),
        ("message/delivery-status", _lines(*fields) + CRLF),
        ("text/rfc822-headers", header_section(original_message) + CRLF),
    ]
    body = b""
    for content_type, content in parts:
        body += _lines(f"--{boundary}", f"Content-Type: {content_type}", "") + CRLF + content + CRLF
    body += _lines(f"--{boundary}--") + CRLF
    return head + CRLF + CRLF + body
