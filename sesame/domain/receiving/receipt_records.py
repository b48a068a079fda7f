"""The message as receipt actions see it, and the JSON records SES makes of it: the ``mail`` and
``receipt`` objects of notifications and Lambda events.

What the actions see and store is, from the top: SES's trace fields (Return-Path, Received), the
verdict fields (X-SES-Spam-Verdict, ..., X-SES-RECEIPT), the fields AddHeader actions added so
far, and the message as it was received.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, getaddresses
from typing import Any

from sesame.domain.receiving.inbound import InboundEnvelope
from sesame.domain.receiving.rule_model import (
    BounceAction,
    LambdaAction,
    ReceiptAction,
    S3Action,
    SnsAction,
    SnsEncoding,
    StopAction,
)
from sesame.domain.receiving.verdict_status import VerdictStatus
from sesame.domain.sending.events import timestamp
from sesame.domain.sending.mime import headers_for_events

Record = dict[str, Any]
CRLF = b"\r\n"

# When no verdict could be made at all: authentication checks failed, scans not made.
UNAVAILABLE_VERDICTS: Record = {
    "spamVerdict": {"status": VerdictStatus.GRAY.value},
    "virusVerdict": {"status": VerdictStatus.GRAY.value},
    "spfVerdict": {"status": VerdictStatus.PROCESSING_FAILED.value},
    "dkimVerdict": {"status": VerdictStatus.PROCESSING_FAILED.value},
    "dmarcVerdict": {"status": VerdictStatus.PROCESSING_FAILED.value},
}


def _clean(text: str) -> str:
    """A value from the client, safe inside a header field."""
    return "".join(c for c in text if c.isprintable() and c not in "()\\")[:255]


def trace_fields(
    envelope: InboundEnvelope, recipients: Sequence[str], *, mail_host_name: str
) -> list[tuple[str, str]]:
    """Return-Path and Received (RFC 5321 section 4.4) for the account's copy of the message."""
    protocol = "ESMTPS" if envelope.tls else "SMTP"
    recipient = f" for {_clean(recipients[0])}" if len(recipients) == 1 else ""
    date = format_datetime(datetime.fromtimestamp(envelope.received_at, tz=UTC))
    received = (
        f"from {_clean(envelope.helo) or 'unknown'} ([{_clean(envelope.remote_ip)}])\r\n"
        f" by {mail_host_name} with {protocol} id {envelope.message_id}{recipient};\r\n"
        f" {date}"
    )
    return [("Return-Path", f"<{_clean(envelope.mail_from)}>"), ("Received", received)]


def header_block(fields: Sequence[tuple[str, str]]) -> bytes:
    return b"".join(
        name.encode("ascii") + b": " + value.encode("utf-8", "replace") + CRLF for name, value in fields
    )


def compose(raw: bytes, *field_groups: Sequence[tuple[str, str]]) -> bytes:
    """``raw`` with the field groups above its own header, in order."""
    return b"".join(header_block(group) for group in field_groups) + raw


def _destination(common: dict[str, Any], fallback: Sequence[str]) -> list[str]:
    listed = [*common.get("to", []), *common.get("cc", [])]
    addresses = [address for _, address in getaddresses(listed) if address]
    return addresses or list(fallback)


def mail_object(message: bytes, envelope: InboundEnvelope, recipients: Sequence[str]) -> Record:
    headers, common, truncated = headers_for_events(message)
    return {
        "timestamp": timestamp(envelope.received_at),
        "source": envelope.mail_from,
        "messageId": envelope.message_id,
        "destination": _destination(dict(common), recipients),
        "headersTruncated": truncated,
        "headers": headers,
        "commonHeaders": dict(common),
    }


def action_object(action: ReceiptAction, *, object_key: str | None = None) -> Record:
    """The ``receipt.action`` object for ``action`` (AddHeader actions publish nothing)."""
    if isinstance(action, S3Action):
        record: Record = {"type": "S3"}
        if action.topic_arn:
            record["topicArn"] = action.topic_arn
        record["bucketName"] = action.bucket_name
        if action.object_key_prefix:
            record["objectKeyPrefix"] = action.object_key_prefix
        record["objectKey"] = object_key or ""
        return record
    if isinstance(action, SnsAction):
        encoding = "BASE64" if action.encoding is SnsEncoding.BASE64 else "UTF8"
        return {"type": "SNS", "topicArn": action.topic_arn, "encoding": encoding}
    if isinstance(action, LambdaAction):
        record = {"type": "Lambda"}
        if action.topic_arn:
            record["topicArn"] = action.topic_arn
        record["functionArn"] = action.function_arn
        record["invocationType"] = action.invocation_type.value
        return record
    if isinstance(action, BounceAction):
        record = {"type": "Bounce"}
        if action.topic_arn:
            record["topicArn"] = action.topic_arn
        record["smtpReplyCode"] = action.smtp_reply_code
        if action.status_code:
            record["statusCode"] = action.status_code
        record["message"] = action.message
        record["sender"] = action.sender
        return record
    if isinstance(action, StopAction):
        record = {"type": "Stop"}
        if action.topic_arn:
            record["topicArn"] = action.topic_arn
        return record
    raise ValueError(f"{type(action).__name__} has no receipt action object")


def receipt_object(
    *,
    at: float,
    received_at: float,
    recipients: Sequence[str],
    verdict_fields: Record,
    action: Record,
) -> Record:
    return {
        "timestamp": timestamp(at),
        "processingTimeMillis": max(0, round((at - received_at) * 1000)),
        "recipients": list(recipients),
        **verdict_fields,
        "action": action,
    }


def received_notification(mail: Record, receipt: Record, *, content: str | None = None) -> Record:
    notification: Record = {"notificationType": "Received", "receipt": receipt, "mail": mail}
    if content is not None:
        notification["content"] = content
    return notification


def notification_content(message: bytes, encoding: SnsEncoding) -> str:
    if encoding is SnsEncoding.BASE64:
        return base64.b64encode(message).decode("ascii")
    return message.decode("utf-8", "replace")


def lambda_event(mail: Record, receipt: Record) -> Record:
    return {
        "Records": [
            {"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {"mail": mail, "receipt": receipt}}
        ]
    }
