"""Where a message's Bounce, Complaint and Delivery feedback goes, by SES's rules.

The settings are those of the most specific verified identity the message was sent as: the
address itself when it is a verified identity, else its domain (SES: "verified domain
notification settings apply to all mail sent from email addresses in that domain except for
email addresses that are also verified").

* A notification goes to the identity's SNS topic for the type, with the original headers when
  the identity enabled them for that type.
* Bounces and complaints are also forwarded by email (a DSN or an abuse report, to the message's
  Return-Path, else its Source) while feedback forwarding is enabled; and even when it is
  disabled if nothing else reports that feedback (no topic for the type and no event destination
  of the message's configuration set), because SES insists that feedback reach the sender.
  Deliveries are never forwarded by email.
* A topic that can no longer be published to is dropped from the identity and feedback
  forwarding is enabled again, as SES does; that feedback is then forwarded by email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sesame.domain.identity_model import Identity, NotificationType
from sesame.domain.sending.event_ports import NotificationPublisher, TopicUnavailable
from sesame.domain.sending.events import (
    Bounce,
    Complaint,
    MessageHeaders,
    Record,
    address_of,
    bounce_notification,
    complaint_notification,
    delivery_notification,
)
from sesame.domain.sending.feedback_reports import build_bounce_report, build_complaint_report
from sesame.domain.sending.model import QueuedMessage, RecipientResult

log = logging.getLogger(__name__)


class FeedbackMailer(Protocol):
    def send_feedback(self, account_id: str, to_address: str, dsn_bytes: bytes) -> None:
        """Send a complete report message (headers included) to ``to_address``."""
        ...


class NotificationSettingsSource(Protocol):
    """What the router needs of the identities (``IdentityService`` provides it)."""

    def verified_identity_for(self, account_id: str, address_or_domain: str) -> Identity | None: ...

    def drop_unavailable_topic(
        self, account_id: str, name: str, kind: NotificationType, topic_arn: str
    ) -> None: ...


@dataclass(frozen=True)
class Route:
    """What happens to one piece of feedback."""

    identity: str | None  # the identity whose settings applied
    topic_arn: str | None  # publish a notification here
    include_headers: bool  # ... with the original headers
    forward_by_email: bool  # mail a report to the feedback address


def route(
    identity: Identity | None, kind: NotificationType, *, event_destination_covers: bool = False
) -> Route:
    """The decision for ``kind`` feedback under ``identity``'s settings (None: no verified
    identity any more). ``event_destination_covers``: the message's configuration set publishes
    this event type somewhere, which counts as a way of reporting it."""
    if identity is None:
        return Route(None, None, False, kind is not NotificationType.DELIVERY)
    topic = identity.notifications.topics.get(kind)
    include_headers = topic is not None and kind in identity.notifications.headers_in
    forward = kind is not NotificationType.DELIVERY and (
        identity.feedback_forwarding or (topic is None and not event_destination_covers)
    )
    return Route(identity.name, topic, include_headers, forward)


def feedback_address(message: QueuedMessage, return_path: str | None = None) -> str:
    """Where forwarded feedback goes: the Return-Path (for SMTP, the MAIL FROM), else the
    Source, as a bare address."""
    return address_of(return_path or message.source)


class NotificationRouter:
    def __init__(
        self,
        *,
        identities: NotificationSettingsSource,
        publisher: NotificationPublisher,
        mailer: FeedbackMailer,
        region: str,
        mail_host_name: str,
    ) -> None:
        self._identities = identities
        self._publisher = publisher
        self._mailer = mailer
        self._region = region
        self._mail_host_name = mail_host_name

    def decide(
        self, message: QueuedMessage, kind: NotificationType, *, event_destination_covers: bool = False
    ) -> Route:
        identity = self._identities.verified_identity_for(message.account_id, address_of(message.source))
        return route(identity, kind, event_destination_covers=event_destination_covers)

    def bounce(
        self,
        message: QueuedMessage,
        bounce: Bounce,
        *,
        headers: MessageHeaders | None,
        original_message: bytes,
        return_path: str | None = None,
        event_destination_covers: bool = False,
    ) -> Route:
        """Publish and/or forward one bounce; returns what was done."""
        to_address = feedback_address(message, return_path)
        return self._feedback(
            message,
            NotificationType.BOUNCE,
            lambda included: bounce_notification(message, bounce, region=self._region, headers=included),
            lambda: build_bounce_report(
                mail_host_name=self._mail_host_name,
                to_address=to_address,
                results=bounce.recipients,
                original_message=original_message,
                arrival=message.created_at,
                at=bounce.at,
                report_id=bounce.feedback_id,
            ),
            headers=headers,
            to_address=to_address,
            event_destination_covers=event_destination_covers,
        )

    def complaint(
        self,
        message: QueuedMessage,
        complaint: Complaint,
        *,
        headers: MessageHeaders | None,
        original_message: bytes,
        return_path: str | None = None,
        event_destination_covers: bool = False,
    ) -> Route:
        """Publish and/or forward one complaint; returns what was done."""
        to_address = feedback_address(message, return_path)
        return self._feedback(
            message,
            NotificationType.COMPLAINT,
            lambda included: complaint_notification(
                message, complaint, region=self._region, headers=included
            ),
            lambda: build_complaint_report(
                mail_host_name=self._mail_host_name,
                to_address=to_address,
                complaint=complaint,
                original_mail_from=message.mail_from,
                source=address_of(message.source),
                original_message=original_message,
                arrival=message.created_at,
            ),
            headers=headers,
            to_address=to_address,
            event_destination_covers=event_destination_covers,
        )

    def _feedback(
        self,
        message: QueuedMessage,
        kind: NotificationType,
        notification: Callable[[MessageHeaders | None], Record],
        report: Callable[[], bytes],
        *,
        headers: MessageHeaders | None,
        to_address: str,
        event_destination_covers: bool,
    ) -> Route:
        """The shared course of a bounce or complaint: the identity's topic (with headers if it
        asks for them), then the report by email when forwarding applies."""
        decision = self.decide(message, kind, event_destination_covers=event_destination_covers)
        if decision.topic_arn is not None:
            included = headers if decision.include_headers else None
            decision = self._publish(message, kind, decision, notification(included))
        if decision.forward_by_email:
            self._mailer.send_feedback(message.account_id, to_address, report())
        return decision

    def delivery(
        self,
        message: QueuedMessage,
        results: Sequence[RecipientResult],
        *,
        at: float,
        headers: MessageHeaders | None,
    ) -> Route:
        """Publish one delivery notification if the identity has a Delivery topic."""
        decision = self.decide(message, NotificationType.DELIVERY)
        if decision.topic_arn is None:
            return decision
        notification = delivery_notification(
            message,
            results,
            at=at,
            region=self._region,
            headers=headers if decision.include_headers else None,
        )
        return self._publish(message, NotificationType.DELIVERY, decision, notification)

    def _publish(
        self, message: QueuedMessage, kind: NotificationType, decision: Route, notification: Record
    ) -> Route:
        topic = decision.topic_arn
        if topic is None:
            return decision
        try:
            self._publisher.publish(topic, notification)
        except TopicUnavailable:
            log.warning(
                "topic %s of identity %s (account %s) is unavailable: removed, forwarding enabled",
                topic,
                decision.identity,
                message.account_id,
            )
            if decision.identity is not None:
                self._identities.drop_unavailable_topic(message.account_id, decision.identity, kind, topic)
            return Route(
                decision.identity,
                None,
                False,
                kind is not NotificationType.DELIVERY,
            )
        return decision
