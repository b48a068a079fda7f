"""Reports that come back about mail we sent, read with the standard library's email package.

* A delivery status notification (RFC 3464, ``multipart/report; report-type=delivery-status``):
  per recipient Final-Recipient, Action, Status and Diagnostic-Code. ``Action: failed`` is a
  bounce (``5.x.x`` Permanent, ``4.x.x`` Transient, subtype from the status and diagnostic as
  for our own SMTP replies); ``delayed``, ``delivered``, ``relayed`` and ``expanded`` are not.
* A feedback report (RFC 5965 ARF, ``report-type=feedback-report``): Feedback-Type,
  User-Agent, Arrival-Date, and the complaining recipient from Original-Rcpt-To or, when
  absent, the To of the returned original message.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from sesame.domain.sending.model import BounceSubType, BounceType, RecipientResult, ResultKind
from sesame.domain.sending.smtp_replies import Reason, SmtpReply, failure_reason, parse_reply_line

_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
_SUBTYPE_BY_REASON = {
    Reason.NO_EMAIL: BounceSubType.NO_EMAIL,
    Reason.MAILBOX_FULL: BounceSubType.MAILBOX_FULL,
    Reason.MESSAGE_TOO_LARGE: BounceSubType.MESSAGE_TOO_LARGE,
    Reason.ATTACHMENT_REJECTED: BounceSubType.ATTACHMENT_REJECTED,
    Reason.CONTENT_REJECTED: BounceSubType.CONTENT_REJECTED,
    Reason.GENERAL: BounceSubType.GENERAL,
    Reason.NONE: BounceSubType.UNDETERMINED,
}


@dataclass(frozen=True)
class ComplaintReport:
    recipients: tuple[str, ...]
    feedback_type: str  # "abuse", "fraud", "virus", "other", "not-spam", ...
    user_agent: str | None
    arrival_date: float | None  # epoch seconds


def _report_parts(raw: bytes, report_type: str) -> list[Message] | None:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").__str__().lower() != report_type:
        return None
    payload = message.get_payload()
    if not isinstance(payload, list):
        return None
    return [part for part in payload if isinstance(part, Message)]


def _field_groups(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [email.message_from_string(block + "\n\n") for block in blocks if block.strip()]


def _typed_address(value: str | None) -> str:
    """``rfc822; user@example.com`` -> ``user@example.com``."""
    if not value:
        return ""
    _, _, address = value.partition(";")
    return (address or value).strip().strip("<>")


def _bounce_of(status: str, diagnostic: str) -> tuple[BounceType, BounceSubType]:
    bounce_type = BounceType.PERMANENT if status.startswith("5") else BounceType.TRANSIENT
    reply: SmtpReply | None = None
    if diagnostic:
        try:
            reply = parse_reply_line(diagnostic)
        except ValueError:
            reply = None
    if reply is None:
        code = 550 if status.startswith("5") else 450
        reply = SmtpReply(code=code, lines=(f"{status} {diagnostic}".strip(),))
    reason = failure_reason(reply)
    if bounce_type is BounceType.PERMANENT and reason not in (Reason.NO_EMAIL, Reason.GENERAL):
        # SES counts only a missing address and general hard failures as Permanent.
        bounce_type = BounceType.TRANSIENT
    return bounce_type, _SUBTYPE_BY_REASON[reason]


def parse_dsn(raw: bytes) -> list[RecipientResult] | None:
    """The failed recipients a DSN reports (possibly none), or None if ``raw`` is not a DSN."""
    parts = _report_parts(raw, "delivery-status")
    if parts is None:
        return None
    status_part = next((p for p in parts if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        return None
    groups = _field_groups(status_part)
    reporting_mta = _typed_address(groups[0].get("Reporting-MTA")) if groups else ""
    results: list[RecipientResult] = []
    for group in groups[1:]:
        recipient = _typed_address(group.get("Final-Recipient") or group.get("Original-Recipient"))
        action = (group.get("Action") or "").strip().lower()
        status = (group.get("Status") or "").strip().split(" ")[0]
        if not recipient or action != "failed" or not _STATUS.match(status) or status[0] == "2":
            continue
        diagnostic = (group.get("Diagnostic-Code") or "").strip()
        diagnostic = " ".join(diagnostic.split())
        bounce_type, subtype = _bounce_of(status, diagnostic)
        if diagnostic.lower().startswith("smtp;"):
            diagnostic = diagnostic[5:].strip()
        results.append(
            RecipientResult(
                recipient=recipient,
                kind=ResultKind.BOUNCED,
                smtp_response=diagnostic or status,
                status=status,
                remote_mta=_typed_address(group.get("Remote-MTA")),
                reporting_mta=reporting_mta,
                bounce_type=bounce_type,
                bounce_subtype=subtype,
            )
        )
    return results


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value.strip()).timestamp()
    except (TypeError, ValueError):
        return None


def parse_arf(raw: bytes) -> ComplaintReport | None:
    """The complaint an ARF report carries, or None if ``raw`` is not one."""
    parts = _report_parts(raw, "feedback-report")
    if parts is None:
        return None
    report_part = next((p for p in parts if p.get_content_type() == "message/feedback-report"), None)
    if report_part is None:
        return None
    groups = _field_groups(report_part)
    if not groups:
        return None
    fields = groups[0]
    recipients = [_typed_address(v) for v in fields.get_all("Original-Rcpt-To") or []]
    if not recipients:
        original = next(
            (p for p in parts if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")), None
        )
        if original is not None:
            inner = original.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                headers: Message = inner[0]
            else:
                headers = email.message_from_string(str(inner))
            recipients = [address for _, address in getaddresses(headers.get_all("To") or []) if address]
    return ComplaintReport(
        recipients=tuple(r for r in recipients if r),
        feedback_type=(fields.get("Feedback-Type") or "abuse").strip().lower(),
        user_agent=(fields.get("User-Agent") or "").strip() or None,
        arrival_date=_date(fields.get("Arrival-Date") or fields.get("Received-Date")),
    )
