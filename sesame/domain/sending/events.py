"""SES's JSON records, built from what the sending pipeline knows about a message.

Two families share the ``mail`` object and the per-type objects but differ in small ways:

* Event records (configuration-set event publishing): top-level ``eventType`` (Send, Reject,
  Delivery, DeliveryDelay, Bounce, Complaint); the ``mail`` object always says whether the
  headers were truncated, carries them when known, and carries the message's ``tags`` (custom
  tags plus SES's own ``ses:*`` tags).
* Notifications (an identity's SNS topics): top-level ``notificationType`` (Bounce, Complaint,
  Delivery); ``headersTruncated``, ``headers`` and ``commonHeaders`` only when the identity asked
  for headers in that type's notifications, and never ``tags``.

Timestamps are ISO 8601 in UTC with milliseconds and ``Z``. The headers themselves (the
``name``/``value`` list, ``commonHeaders`` and whether they were cut at 10 KB) come from the raw
message and are passed in. Every function is pure and returns plain dicts for ``json.dumps``.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

from sesame.domain.identity_model import NotificationType
from sesame.domain.sending.model import BounceSubType, BounceType, QueuedMessage, RecipientResult

Record = dict[str, Any]


class EventType(StrEnum):
    SEND = "Send"
    REJECT = "Reject"
    DELIVERY = "Delivery"
    DELIVERY_DELAY = "DeliveryDelay"
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"


class DelayType(StrEnum):
    """Why a delivery is being retried (``deliveryDelay.delayType``)."""

    INTERNAL_FAILURE = "InternalFailure"
    GENERAL = "General"
    MAILBOX_FULL = "MailboxFull"
    SPAM_DETECTED = "SpamDetected"
    RECIPIENT_SERVER_ERROR = "RecipientServerError"
    IP_FAILURE = "IPFailure"
    TRANSIENT_COMMUNICATION_FAILURE = "TransientCommunicationFailure"
    BYOIP_HOST_NAME_LOOKUP_UNAVAILABLE = "BYOIPHostNameLookupUnavailable"
    UNDETERMINED = "Undetermined"
    SENDING_DEFERRAL = "SendingDeferral"


# The one reason SES gives in a Reject event: a virus was found in the message.
REJECT_REASON_BAD_CONTENT = "Bad content"
# complaintSubType when the complaint stands for an address on the account's suppression list.
COMPLAINT_ON_ACCOUNT_SUPPRESSION_LIST = "OnAccountSuppressionList"


@dataclass(frozen=True)
class MessageHeaders:
    """The original message's headers in SES's shape."""

    headers: list[dict[str, str]]  # [{"name": "From", "value": "..."}, ...] in message order
    common_headers: dict[str, Any]  # {"from": [...], "to": [...], "subject": "...", ...}
    truncated: bool = False  # SES cuts the list when the headers reach 10 KB


@dataclass(frozen=True)
class Complaint:
    """A complaint about a message, with the feedback report's fields when there was one."""

    recipients: tuple[str, ...]
    at: float  # when the complaint was sent
    feedback_id: str
    feedback_type: str | None = None  # Feedback-Type: abuse, auth-failure, fraud, not-spam, ...
    user_agent: str | None = None
    arrival_date: float | None = None
    subtype: str | None = None  # None or COMPLAINT_ON_ACCOUNT_SUPPRESSION_LIST


@dataclass(frozen=True)
class Bounce:
    """One bounce record: recipients that bounced with the same type and subtype."""

    bounce_type: BounceType
    bounce_subtype: BounceSubType
    recipients: tuple[RecipientResult, ...]
    at: float
    feedback_id: str


# --- small pieces ---------------------------------------------------------------------------------


def timestamp(epoch: float) -> str:
    """``2017-08-05T00:41:02.669Z``."""
    millis = round(epoch * 1000)
    moment = datetime.fromtimestamp(millis // 1000, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"


def feedback_id(at: float, unique: uuid.UUID) -> str:
    """A feedback id in SES's format, like its message ids: 16 hex digits (a version prefix
    and the time in milliseconds), a UUID, and ``-000000``."""
    return f"0100{round(at * 1000):012x}-{unique}-000000"


def new_feedback_id(at: float) -> str:
    return feedback_id(at, uuid.uuid4())


def identity_arn(region: str, account_id: str, identity: str) -> str:
    return f"arn:aws:ses:{region}:{account_id}:identity/{identity}"


def address_of(mailbox: str) -> str:
    """``Sender Name <sender@example.com>`` -> ``sender@example.com``."""
    return parseaddr(mailbox)[1] or mailbox.strip()


_REPLY = re.compile(r"^([245])\d\d(?:[ -]([245]\.\d{1,3}\.\d{1,3}))?")


def diagnostic_code(smtp_response: str) -> str | None:
    """``smtp; 550 5.1.1 user unknown`` for a server's reply; text that is not an SMTP reply
    (a reason Sesame gives itself) as it is."""
    text = smtp_response.strip()
    if not text:
        return None
    return f"smtp; {text}" if _REPLY.match(text) else text


def enhanced_status(result: RecipientResult) -> str | None:
    """The recipient's status code: as recorded, else from the reply's enhanced code, else the
    class of its basic code (``550`` -> ``5.0.0``)."""
    if result.status:
        return result.status
    match = _REPLY.match(result.smtp_response.strip())
    if match is None:
        return None
    return match.group(2) or f"{match.group(1)}.0.0"


def remote_mta_ip(result: RecipientResult) -> str | None:
    """The receiving server's address, when the result names it by address."""
    candidate = result.remote_mta.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def delay_type_for(result: RecipientResult) -> DelayType:
    """Classify a deferral: no reply at all is a communication failure; a full mailbox says so
    in its enhanced code; any other temporary reply is the recipient server's."""
    match = _REPLY.match(result.smtp_response.strip())
    if match is None:
        return DelayType.TRANSIENT_COMMUNICATION_FAILURE
    status = result.status or match.group(2) or ""
    if status == "4.2.2":
        return DelayType.MAILBOX_FULL
    if match.group(1) == "4":
        return DelayType.RECIPIENT_SERVER_ERROR
    return DelayType.UNDETERMINED


def event_tags(message: QueuedMessage) -> dict[str, list[str]]:
    """SES's own tags, then the message's: ``ses:configuration-set``, ``ses:source-ip``,
    ``ses:from-domain`` and ``ses:caller-identity`` when known."""
    tags: dict[str, list[str]] = {}
    if message.configuration_set:
        tags["ses:configuration-set"] = [message.configuration_set]
    if message.source_ip:
        tags["ses:source-ip"] = [message.source_ip]
    domain = address_of(message.source).rpartition("@")[2]
    if domain:
        tags["ses:from-domain"] = [domain]
    if message.caller_identity:
        tags["ses:caller-identity"] = [message.caller_identity]
    for key, values in message.tags.items():
        tags[key] = list(values)
    return tags


def mail_object(
    message: QueuedMessage, *, region: str, headers: MessageHeaders | None, for_event: bool
) -> Record:
    """The ``mail`` object. Events always carry ``headersTruncated`` and the tags;
    notifications carry the header fields only when ``headers`` is given, and no tags."""
    mail: Record = {
        "timestamp": timestamp(message.created_at),
        "source": message.source,
        "sourceArn": message.source_arn or identity_arn(region, message.account_id, message.sending_identity),
    }
    if message.source_ip:
        mail["sourceIp"] = message.source_ip
    if message.caller_identity:
        mail["callerIdentity"] = message.caller_identity
    mail["sendingAccountId"] = message.account_id
    mail["messageId"] = message.message_id
    mail["destination"] = list(message.destinations)
    if headers is not None:
        mail["headersTruncated"] = headers.truncated
        mail["headers"] = [dict(header) for header in headers.headers]
        mail["commonHeaders"] = dict(headers.common_headers)
    elif for_event:
        mail["headersTruncated"] = False
    if for_event:
        mail["tags"] = event_tags(message)
    return mail


# --- the per-type objects ----------------------------------------------------------------------------


def bounce_object(bounce: Bounce) -> Record:
    if not bounce.recipients:
        raise ValueError("a bounce needs at least one recipient")
    recipients: list[Record] = []
    for result in bounce.recipients:
        entry: Record = {"emailAddress": result.recipient, "action": "failed"}
        status = enhanced_status(result)
        if status:
            entry["status"] = status
        code = diagnostic_code(result.smtp_response)
        if code:
            entry["diagnosticCode"] = code
        recipients.append(entry)
    record: Record = {
        "bounceType": bounce.bounce_type.value,
        "bounceSubType": bounce.bounce_subtype.value,
        "bouncedRecipients": recipients,
        "timestamp": timestamp(bounce.at),
        "feedbackId": bounce.feedback_id,
    }
    first = bounce.recipients[0]
    if first.reporting_mta:
        record["reportingMTA"] = f"dsn; {first.reporting_mta}"
    ip = remote_mta_ip(first)
    if ip:
        record["remoteMtaIp"] = ip
    return record


def complaint_object(complaint: Complaint) -> Record:
    record: Record = {
        "complainedRecipients": [{"emailAddress": address} for address in complaint.recipients],
        "timestamp": timestamp(complaint.at),
        "feedbackId": complaint.feedback_id,
        "complaintSubType": complaint.subtype,
    }
    if complaint.user_agent is not None:
        record["userAgent"] = complaint.user_agent
    if complaint.feedback_type is not None:
        record["complaintFeedbackType"] = complaint.feedback_type
    if complaint.arrival_date is not None:
        record["arrivalDate"] = timestamp(complaint.arrival_date)
    return record


def delivery_object(results: Sequence[RecipientResult], *, at: float) -> Record:
    """Recipients that one server accepted with one reply (normally one recipient)."""
    if not results:
        raise ValueError("a delivery needs at least one recipient")
    first = results[0]
    record: Record = {
        "timestamp": timestamp(at),
        "processingTimeMillis": first.processing_ms,
        "recipients": [result.recipient for result in results],
        "smtpResponse": first.smtp_response,
    }
    if first.reporting_mta:
        record["reportingMTA"] = first.reporting_mta
    ip = remote_mta_ip(first)
    if ip:
        record["remoteMtaIp"] = ip
    return record


def delivery_delay_object(
    results: Sequence[RecipientResult], *, at: float, expires_at: float, delay_type: DelayType | None = None
) -> Record:
    if not results:
        raise ValueError("a delivery delay needs at least one recipient")
    delayed: list[Record] = []
    for result in results:
        entry: Record = {"emailAddress": result.recipient}
        status = enhanced_status(result)
        if status:
            entry["status"] = status
        code = diagnostic_code(result.smtp_response)
        if code:
            entry["diagnosticCode"] = code
        delayed.append(entry)
    first = results[0]
    record: Record = {
        "timestamp": timestamp(at),
        "delayType": (delay_type or delay_type_for(first)).value,
        "expirationTime": timestamp(expires_at),
        "delayedRecipients": delayed,
    }
    if first.reporting_mta:
        record["reportingMTA"] = first.reporting_mta
    return record


# --- event records -------------------------------------------------------------------------------


def _event(
    event_type: EventType, message: QueuedMessage, region: str, headers: MessageHeaders | None
) -> Record:
    return {
        "eventType": event_type.value,
        "mail": mail_object(message, region=region, headers=headers, for_event=True),
    }


def send_event(message: QueuedMessage, *, region: str, headers: MessageHeaders | None) -> Record:
    record = _event(EventType.SEND, message, region, headers)
    record["send"] = {}
    return record


def reject_event(
    message: QueuedMessage,
    *,
    region: str,
    headers: MessageHeaders | None,
    reason: str = REJECT_REASON_BAD_CONTENT,
) -> Record:
    record = _event(EventType.REJECT, message, region, headers)
    record["reject"] = {"reason": reason}
    return record


def delivery_event(
    message: QueuedMessage,
    results: Sequence[RecipientResult],
    *,
    at: float,
    region: str,
    headers: MessageHeaders | None,
) -> Record:
    record = _event(EventType.DELIVERY, message, region, headers)
    record["delivery"] = delivery_object(results, at=at)
    return record


def delivery_delay_event(
    message: QueuedMessage,
    results: Sequence[RecipientResult],
    *,
    at: float,
    expires_at: float,
    region: str,
    headers: MessageHeaders | None,
    delay_type: DelayType | None = None,
) -> Record:
    record = _event(EventType.DELIVERY_DELAY, message, region, headers)
    record["deliveryDelay"] = delivery_delay_object(
        results, at=at, expires_at=expires_at, delay_type=delay_type
    )
    return record


def bounce_event(
    message: QueuedMessage, bounce: Bounce, *, region: str, headers: MessageHeaders | None
) -> Record:
    record = _event(EventType.BOUNCE, message, region, headers)
    record["bounce"] = bounce_object(bounce)
    return record


def complaint_event(
    message: QueuedMessage, complaint: Complaint, *, region: str, headers: MessageHeaders | None
) -> Record:
    record = _event(EventType.COMPLAINT, message, region, headers)
    record["complaint"] = complaint_object(complaint)
    return record


# --- notifications --------------------------------------------------------------------------------
# ``headers`` is given only when the identity has headers enabled for that notification type.


def _notification(
    kind: NotificationType, message: QueuedMessage, region: str, headers: MessageHeaders | None
) -> Record:
    return {
        "notificationType": kind.value,
        "mail": mail_object(message, region=region, headers=headers, for_event=False),
    }


def bounce_notification(
    message: QueuedMessage, bounce: Bounce, *, region: str, headers: MessageHeaders | None
) -> Record:
    record = _notification(NotificationType.BOUNCE, message, region, headers)
    record["bounce"] = bounce_object(bounce)
    return record


def complaint_notification(
    message: QueuedMessage, complaint: Complaint, *, region: str, headers: MessageHeaders | None
) -> Record:
    record = _notification(NotificationType.COMPLAINT, message, region, headers)
    record["complaint"] = complaint_object(complaint)
    return record


def delivery_notification(
    message: QueuedMessage,
    results: Sequence[RecipientResult],
    *,
    at: float,
    region: str,
    headers: MessageHeaders | None,
) -> Record:
    record = _notification(NotificationType.DELIVERY, message, region, headers)
    record["delivery"] = delivery_object(results, at=at)
    return record
