"""The records the sending pipeline passes between its stages.

An accepted message becomes one ``QueuedMessage``: what the delivery worker needs to deliver it
and what events and notifications need to describe it. Each recipient's delivery attempt ends in
one ``RecipientResult``; the worker records it once per (message, recipient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ApiSource(StrEnum):
    """How the message reached us; events carry it in mail.callerIdentity / sourceIp."""

    API_V1 = "API_V1"
    API_V2 = "API_V2"
    SMTP = "SMTP"
    INTERNAL = "INTERNAL"  # verification mail, DSNs Sesame itself sends


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str  # SES format, see sesame.domain.sending.message_ids
    account_id: str
    # The address the message is sent as (the From / Source identity checked at send time).
    source: str
    # Envelope sender (MAIL FROM). SES uses its own bounce domain; ours is the account's
    # feedback address, or the custom MAIL FROM domain when configured.
    mail_from: str
    destinations: tuple[str, ...]  # every envelope recipient, as given
    sending_identity: str  # the verified identity that authorised the send (address or domain)
    created_at: float  # epoch seconds when the API or SMTP accepted it
    configuration_set: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    source_arn: str | None = None
    from_arn: str | None = None
    return_path_arn: str | None = None
    # Where bounce and complaint feedback is forwarded by email (v1 ReturnPath, v2
    # FeedbackForwardingEmailAddress); None: the source address.
    return_path: str | None = None
    caller_identity: str = ""  # the access key id or SMTP user that sent it
    source_ip: str = ""
    api: ApiSource = ApiSource.API_V2
    # Where the unsigned RFC 5322 bytes are: inline in the queue message, or spooled to S3.
    raw: bytes | None = None
    spool_key: str | None = None


class ResultKind(StrEnum):
    DELIVERED = "DELIVERED"  # the receiving server answered 2xx to DATA for this recipient
    DEFERRED = "DEFERRED"  # 4xx, timeout, connection failure: try again later
    BOUNCED = "BOUNCED"  # permanent failure (or a transient one that ran out of time)


class BounceType(StrEnum):
    PERMANENT = "Permanent"
    TRANSIENT = "Transient"
    UNDETERMINED = "Undetermined"


class BounceSubType(StrEnum):
    UNDETERMINED = "Undetermined"
    GENERAL = "General"
    NO_EMAIL = "NoEmail"
    SUPPRESSED = "Suppressed"
    ON_ACCOUNT_SUPPRESSION_LIST = "OnAccountSuppressionList"
    MAILBOX_FULL = "MailboxFull"
    MESSAGE_TOO_LARGE = "MessageTooLarge"
    CONTENT_REJECTED = "ContentRejected"
    ATTACHMENT_REJECTED = "AttachmentRejected"


@dataclass(frozen=True)
class RecipientResult:
    recipient: str
    kind: ResultKind
    # The receiving server's reply as SES reports it, e.g. "250 2.0.0 Ok: queued as 4F..." or
    # "smtp; 550 5.1.1 user unknown" (diagnosticCode) -- without the "smtp; " prefix here.
    smtp_response: str
    status: str = ""  # enhanced status code, "5.1.1"; derived from the basic code when absent
    remote_mta: str = ""  # host name or address of the server that answered
    reporting_mta: str = ""  # our side: the host that made the attempt
    bounce_type: BounceType | None = None  # set for BOUNCED
    bounce_subtype: BounceSubType | None = None  # set for BOUNCED
    processing_ms: int = 0  # time from acceptance to this result, for Delivery events
