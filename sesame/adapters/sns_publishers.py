"""SNS implementations of the event and notification ports.

Messages are the JSON records themselves, as SES publishes them: no Subject (SNS then uses its
own default for email subscribers) and, on customers' topics, no message attributes. The internal
event stream carries an ``eventType`` attribute so that its subscribers can filter by type.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.sending.event_ports import TopicUnavailable

# SNS's answers that mean the topic cannot take our messages (as opposed to a passing fault).
_UNAVAILABLE = frozenset(
    {
        "NotFound",
        "NotFoundException",
        "AuthorizationError",
        "AuthorizationErrorException",
        "InvalidParameter",
        "KMSAccessDenied",
        "KMSDisabled",
        "KMSInvalidState",
        "KMSNotFound",
    }
)


def encode(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class SnsEventPublisher:
    """The internal event stream: one SNS topic (``settings.events_topic_arn``)."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def publish(self, event: dict[str, Any]) -> None:
        attributes = {}
        event_type = event.get("eventType")
        if isinstance(event_type, str):
            attributes["eventType"] = {"DataType": "String", "StringValue": event_type}
        self._sns.publish(TopicArn=self._topic_arn, Message=encode(event), MessageAttributes=attributes)


class SnsNotificationPublisher:
    """Identity notifications, to the topic the customer set for the notification type."""

    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def publish(self, topic_arn: str, notification: dict[str, Any]) -> None:
        try:
            self._sns.publish(TopicArn=topic_arn, Message=encode(notification))
        except ClientError as error:
            if _code(error) in _UNAVAILABLE:
                raise TopicUnavailable(topic_arn) from error
            raise


class SnsTopicDirectory:
    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def exists(self, topic_arn: str) -> bool:
        try:
            self._sns.get_topic_attributes(TopicArn=topic_arn)
        except ClientError as error:
            if _code(error) in _UNAVAILABLE:
                return False
            raise
        return True
