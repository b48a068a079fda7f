"""Reports about mail we sent, matched back to it: DSNs become Bounce events and ARF reports
Complaint events, with notifications, suppression and statistics, as SES reports them.

Every message goes out with the envelope sender ``<MessageId>@<feedback domain>`` (VERP), so a
report arriving at that address names the message it is about. Only delivered messages are
remembered (``SentMessages``), for 30 days: a report about anything else is refused at RCPT.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sesame.domain.sending.feedback_parsing import parse_arf, parse_dsn
from sesame.domain.sending.message_ids import is_message_id
from sesame.domain.sending.model import QueuedMessage, RecipientResult

log = logging.getLogger(__name__)

SENT_MESSAGE_RETENTION_SECONDS = 30 * 86400


@dataclass(frozen=True)
class SentMessage:
    """What events about a delivered message need: the message (without its body) and its
    header section."""

    message: QueuedMessage
    headers: bytes


class SentMessages(Protocol):
    def remember(self, message: QueuedMessage, header_section: bytes, *, now: float) -> None: ...

    def find(self, message_id: str) -> SentMessage | None: ...


class FeedbackReporter(Protocol):
    """The part of the outcome reporter that reports what came back later."""

    def bounced_later(
        self, message: QueuedMessage, raw: bytes, results: Sequence[RecipientResult]
    ) -> None: ...

    def complained(
        self,
        message: QueuedMessage,
        raw: bytes,
        recipients: Sequence[str],
        *,
        feedback_type: str | None = ...,
        user_agent: str | None = ...,
        arrival_date: float | None = ...,
    ) -> None: ...


def message_id_of(address: str) -> str | None:
    """The MessageId a VERP envelope sender names, or None."""
    local, at, _ = address.strip().strip("<>").rpartition("@")
    return local if at and is_message_id(local) else None


class FeedbackLoop:
    def __init__(self, *, sent: SentMessages, reporter: FeedbackReporter) -> None:
        self._sent = sent
        self._reporter = reporter

    def takes(self, recipient: str) -> bool:
        """Whether ``recipient`` is the envelope sender of a message we delivered."""
        message_id = message_id_of(recipient)
        if message_id is None:
            return False
        found = self._sent.find(message_id)
        return found is not None and found.message.mail_from.lower() == recipient.strip("<>").lower()

    def process(self, recipient: str, raw: bytes) -> None:
        """Turn one report into events; anything else sent to the address is logged and
        dropped (a VERP address is not a mailbox)."""
        message_id = message_id_of(recipient)
        found = self._sent.find(message_id) if message_id else None
        if found is None:
            log.warning("feedback for unknown message at %s dropped", recipient)
            return
        message, raw_headers = found.message, found.headers + b"\r\n\r\n"
        bounced = parse_dsn(raw)
        if bounced is not None:
            sent_to = {d.lower() for d in message.destinations}
            ours: list[RecipientResult] = [r for r in bounced if r.recipient.lower() in sent_to]
            if ours:
                self._reporter.bounced_later(message, raw_headers, ours)
            log.info("DSN for %s: %d failed recipient(s)", message.message_id, len(ours))
            return
        complaint = parse_arf(raw)
        if complaint is not None:
            by_address = {d.lower(): d for d in message.destinations}
            recipients = [by_address[r.lower()] for r in complaint.recipients if r.lower() in by_address]
            if not recipients and len(message.destinations) == 1:
                # Providers often redact the complainer; with one recipient it can only be them.
                recipients = list(message.destinations)
            if recipients:
                self._reporter.complained(
                    message,
                    raw_headers,
                    recipients,
                    feedback_type=complaint.feedback_type,
                    user_agent=complaint.user_agent,
                    arrival_date=complaint.arrival_date,
                )
            log.info("feedback report for %s: %d recipient(s)", message.message_id, len(recipients))
            return
        log.info("mail to %s is neither a DSN nor a feedback report; dropped", recipient)
