"""Ports through which events and notifications leave the domain.

``EventPublisher`` feeds the internal event stream: every event record, once, later fanned out to
the configuration set's destinations. ``NotificationPublisher`` sends an identity's notification
to the SNS topic the customer chose. ``TopicDirectory`` answers whether such a topic is there to
publish to. Adapters: ``sesame.adapters.sns_publishers``.
"""

from __future__ import annotations

from typing import Any, Protocol


class TopicUnavailable(Exception):
    """The topic is gone, or refuses our messages: SES then drops it from the identity."""

    def __init__(self, topic_arn: str) -> None:
        super().__init__(topic_arn)
        self.topic_arn = topic_arn


class EventPublisher(Protocol):
    def publish(self, event: dict[str, Any]) -> None:
        """Put one event record (``eventType`` ...) on the internal event stream."""
        ...


class NotificationPublisher(Protocol):
    def publish(self, topic_arn: str, notification: dict[str, Any]) -> None:
        """Publish one notification (``notificationType`` ...) to the customer's topic; raises
        TopicUnavailable when the topic does not exist or may not be published to."""
        ...


class TopicDirectory(Protocol):
    def exists(self, topic_arn: str) -> bool:
        """Whether the topic exists and can be read with Sesame's credentials."""
        ...
