"""Delivery outcomes made known: events, identity notifications, suppression and statistics.

Each recorded outcome is reported once, after the ledger holds it. A failure to report (SNS
down, say) is logged with the message id and does not undo the delivery: the mail went out,
and sending it again to get an event would be worse.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate

from sesame.domain.send_statistics import SendCounts, SendStatistics
from sesame.domain.sending.event_ports import EventPublisher
from sesame.domain.sending.events import (
    Bounce,
    Complaint,
    MessageHeaders,
    address_of,
    bounce_event,
    complaint_event,
    delivery_delay_event,
    delivery_event,
    new_feedback_id,
)
from sesame.domain.sending.model import (
    ApiSource,
    BounceSubType,
    BounceType,
    QueuedMessage,
    RecipientResult,
    ResultKind,
)
from sesame.domain.sending.notifications import FeedbackMailer, NotificationRouter
from sesame.domain.suppression import SuppressionReason, SuppressionService

log = logging.getLogger(__name__)

HeadersOf = Callable[[bytes, str], MessageHeaders]  # (raw message, MessageId)
# Keeps what a later DSN or feedback report about a delivered message needs: (message, raw).
RememberSent = Callable[[QueuedMessage, bytes], None]


class OutcomeReporter:
    def __init__(
        self,
        *,
        events: EventPublisher,
        router: NotificationRouter,
        suppression: SuppressionService,
        statistics: SendStatistics,
        headers_of: HeadersOf,
        auto_replies: FeedbackMailer,
        region: str,
        max_delivery_age: float,
        clock: Callable[[], float],
        remember_sent: RememberSent | None = None,
    ) -> None:
        self._remember_sent = remember_sent
        self._events = events
        self._router = router
        self._suppression = suppression
        self._statistics = statistics
        self._headers_of = headers_of
        self._auto_replies = auto_replies
        self._region = region
        self._max_age = max_delivery_age
        self._clock = clock

    def report(
        self,
        message: QueuedMessage,
        raw: bytes,
        results: Sequence[RecipientResult],
        *,
        attempt: int,
        next_attempt_at: float,
    ) -> None:
        if message.api is ApiSource.INTERNAL:
            # Sesame's own mail (verification, forwarded reports) is not the customer's sending:
            # no events, notifications, suppression or statistics.
            for result in results:
                log.info("system mail %s to %s: %s", message.message_id, result.recipient, result.kind)
            return
        now = self._clock()
        headers = self._headers_of(raw, message.message_id)
        delivered = [r for r in results if r.kind is ResultKind.DELIVERED]
        bounced = [r for r in results if r.kind is ResultKind.BOUNCED]
        deferred = [r for r in results if r.kind is ResultKind.DEFERRED]
        if delivered and self._remember_sent is not None:
            remember = self._remember_sent
            self._guarded(message, "sent-message record", lambda: remember(message, raw))
        if delivered:
            self._guarded(message, "Delivery", lambda: self._delivered(message, delivered, headers, now))
        if bounced:
            self._guarded(message, "Bounce", lambda: self._bounced(message, raw, bounced, headers, now))
        if deferred:
            self._guarded(
                message,
                "DeliveryDelay",
                lambda: self._events.publish(
                    delivery_delay_event(
                        message,
                        deferred,
                        at=now,
                        expires_at=message.created_at + self._max_age,
                        region=self._region,
                        headers=headers,
                    )
                ),
            )
        finished = len(delivered) + len(bounced)
        if finished:
            self._guarded(
                message,
                "statistics",
                lambda: self._statistics.record(
                    message.account_id,
                    SendCounts(delivery_attempts=finished, bounces=len(bounced)),
                    at=now,
                ),
            )

    def bounced_later(self, message: QueuedMessage, raw: bytes, results: Sequence[RecipientResult]) -> None:
        """Bounces a remote server reported by DSN after it had accepted the message: the
        delivery attempt was already counted, so statistics add only the bounces."""
        now = self._clock()
        headers = self._headers_of(raw, message.message_id)
        self._guarded(message, "Bounce", lambda: self._bounced(message, raw, list(results), headers, now))
        self._guarded(
            message,
            "statistics",
            lambda: self._statistics.record(message.account_id, SendCounts(bounces=len(results)), at=now),
        )

    def complained(
        self,
        message: QueuedMessage,
        raw: bytes,
        recipients: Sequence[str],
        *,
        feedback_type: str | None = "abuse",
        user_agent: str | None = None,
        arrival_date: float | None = None,
    ) -> None:
        now = self._clock()
        headers = self._headers_of(raw, message.message_id)
        complaint = Complaint(
            recipients=tuple(recipients),
            at=now,
            feedback_id=new_feedback_id(now),
            feedback_type=feedback_type,
            user_agent=user_agent,
            arrival_date=now if arrival_date is None else arrival_date,
        )

        def publish() -> None:
            self._events.publish(complaint_event(message, complaint, region=self._region, headers=headers))
            self._router.complaint(
                message, complaint, headers=headers, original_message=raw, return_path=message.return_path
            )
            for recipient in recipients:
                self._suppression.suppress_automatically(
                    message.account_id,
                    recipient,
                    SuppressionReason.COMPLAINT,
                    message_id=message.message_id,
                    feedback_id=complaint.feedback_id,
                )
            self._statistics.record(message.account_id, SendCounts(complaints=len(recipients)), at=now)

        self._guarded(message, "Complaint", publish)

    def auto_replied(self, message: QueuedMessage, recipient: str) -> None:
        """Send the sender an out-of-the-office reply from ``recipient``, as a mailbox would."""
        now = self._clock()
        reply = EmailMessage()
        reply["From"] = recipient
        reply["To"] = address_of(message.return_path or message.source)
        reply["Subject"] = "Out of the office"
        reply["Date"] = formatdate(now, usegmt=True)
        reply["Auto-Submitted"] = "auto-replied"  # RFC 3834: never answered automatically again
        reply["In-Reply-To"] = f"<{message.message_id}>"
        reply.set_content("I am out of the office and will answer your message when I return.\n")
        self._guarded(
            message,
            "auto-reply",
            lambda: self._auto_replies.send_feedback(message.account_id, reply["To"], reply.as_bytes()),
        )

    # --- parts ------------------------------------------------------------------------------

    def _delivered(
        self, message: QueuedMessage, results: list[RecipientResult], headers: MessageHeaders, now: float
    ) -> None:
        self._events.publish(delivery_event(message, results, at=now, region=self._region, headers=headers))
        self._router.delivery(message, results, at=now, headers=headers)

    def _bounced(
        self,
        message: QueuedMessage,
        raw: bytes,
        results: list[RecipientResult],
        headers: MessageHeaders,
        now: float,
    ) -> None:
        groups: dict[tuple[BounceType, BounceSubType], list[RecipientResult]] = defaultdict(list)
        for result in results:
            kind = result.bounce_type or BounceType.UNDETERMINED
            subtype = result.bounce_subtype or BounceSubType.UNDETERMINED
            groups[(kind, subtype)].append(result)
        for (kind, subtype), members in groups.items():
            bounce = Bounce(
                bounce_type=kind,
                bounce_subtype=subtype,
                recipients=tuple(members),
                at=now,
                feedback_id=new_feedback_id(now),
            )
            self._events.publish(bounce_event(message, bounce, region=self._region, headers=headers))
            self._router.bounce(
                message, bounce, headers=headers, original_message=raw, return_path=message.return_path
            )
            # Hard bounces put the address on the suppression list (if the account suppresses
            # for bounces); a bounce *because* of the list does not add it again.
            if kind is BounceType.PERMANENT and subtype is not BounceSubType.ON_ACCOUNT_SUPPRESSION_LIST:
                for result in members:
                    self._suppression.suppress_automatically(
                        message.account_id,
                        result.recipient,
                        SuppressionReason.BOUNCE,
                        message_id=message.message_id,
                        feedback_id=bounce.feedback_id,
                    )

    def _guarded(self, message: QueuedMessage, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            log.exception("%s report for message %s failed", what, message.message_id)
