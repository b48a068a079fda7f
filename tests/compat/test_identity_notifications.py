"""Identity notification settings through a real boto3 `ses` client against `sesame local`, with
the SNS topics made by a real `sns` client on the embedded AWS (--aws-port)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.local_process import LocalProcess, start_local

pytestmark = pytest.mark.compat

REGION = "us-east-1"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProcess]:
    process = start_local()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def ses(local: LocalProcess) -> Any:
    return boto3.client(
        "ses",
        endpoint_url=local.api_url,
        region_name=REGION,
        aws_access_key_id=local.access_key_id,
        aws_secret_access_key=local.secret_access_key,
    )


@pytest.fixture(scope="module")
def sns(local: LocalProcess) -> Any:
    return boto3.client(
        "sns",
        endpoint_url=local.aws_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_a_new_identity_forwards_feedback_and_has_no_topics(ses: Any) -> None:
    ses.verify_domain_identity(Domain="fresh.example")
    answer = ses.get_identity_notification_attributes(Identities=["fresh.example", "never-added.example"])
    assert answer["NotificationAttributes"] == {
        "fresh.example": {
            "ForwardingEnabled": True,
            "HeadersInBounceNotificationsEnabled": False,
            "HeadersInComplaintNotificationsEnabled": False,
            "HeadersInDeliveryNotificationsEnabled": False,
        }
    }


def test_topics_headers_and_forwarding_round_trip(ses: Any, sns: Any) -> None:
    ses.verify_email_identity(EmailAddress="notify@example.com")
    bounces = sns.create_topic(Name="compat-bounces")["TopicArn"]
    complaints = sns.create_topic(Name="compat-complaints")["TopicArn"]
    deliveries = sns.create_topic(Name="compat-deliveries")["TopicArn"]
    for kind, arn in (("Bounce", bounces), ("Complaint", complaints), ("Delivery", deliveries)):
        ses.set_identity_notification_topic(
            Identity="notify@example.com", NotificationType=kind, SnsTopic=arn
        )
    ses.set_identity_headers_in_notifications_enabled(
        Identity="notify@example.com", NotificationType="Complaint", Enabled=True
    )
    ses.set_identity_feedback_forwarding_enabled(Identity="notify@example.com", ForwardingEnabled=False)
    answer = ses.get_identity_notification_attributes(Identities=["notify@example.com"])
    assert answer["NotificationAttributes"]["notify@example.com"] == {
        "BounceTopic": bounces,
        "ComplaintTopic": complaints,
        "DeliveryTopic": deliveries,
        "ForwardingEnabled": False,
        "HeadersInBounceNotificationsEnabled": False,
        "HeadersInComplaintNotificationsEnabled": True,
        "HeadersInDeliveryNotificationsEnabled": False,
    }
    # Clearing the Delivery topic is fine; the Bounce topic stays while forwarding is off.
    ses.set_identity_notification_topic(Identity="notify@example.com", NotificationType="Delivery")
    code, status, _ = error_of(
        ses.set_identity_notification_topic, Identity="notify@example.com", NotificationType="Bounce"
    )
    assert (code, status) == ("InvalidParameterValue", 400)
    ses.set_identity_feedback_forwarding_enabled(Identity="notify@example.com", ForwardingEnabled=True)
    ses.set_identity_notification_topic(Identity="notify@example.com", NotificationType="Bounce")
    after = ses.get_identity_notification_attributes(Identities=["notify@example.com"])
    assert set(after["NotificationAttributes"]["notify@example.com"]) == {
        "ComplaintTopic",
        "ForwardingEnabled",
        "HeadersInBounceNotificationsEnabled",
        "HeadersInComplaintNotificationsEnabled",
        "HeadersInDeliveryNotificationsEnabled",
    }


def test_forwarding_stays_on_without_bounce_and_complaint_topics(ses: Any) -> None:
    ses.verify_domain_identity(Domain="no-topics.example")
    code, status, message = error_of(
        ses.set_identity_feedback_forwarding_enabled, Identity="no-topics.example", ForwardingEnabled=False
    )
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "Bounce and Complaint" in message


def test_bad_topics_are_refused(ses: Any) -> None:
    ses.verify_domain_identity(Domain="bad-topics.example")
    for arn, expected in [
        ("not-an-arn", "Invalid SNS topic ARN"),
        ("arn:aws:sns:us-east-1:123456789012:nobody-made-this", "does not exist"),
        ("arn:aws:sns:eu-west-1:123456789012:elsewhere", "not in region"),
    ]:
        code, status, message = error_of(
            ses.set_identity_notification_topic,
            Identity="bad-topics.example",
            NotificationType="Bounce",
            SnsTopic=arn,
        )
        assert (code, status) == ("InvalidParameterValue", 400)
        assert expected in message


def test_unknown_identities_are_invalid_parameters(ses: Any, sns: Any) -> None:
    topic = sns.create_topic(Name="compat-orphan")["TopicArn"]
    expected = (
        "InvalidParameterValue",
        400,
        "Identity ghost.example is invalid. Must be a verified email address or domain.",
    )
    assert (
        error_of(
            ses.set_identity_notification_topic,
            Identity="ghost.example",
            NotificationType="Bounce",
            SnsTopic=topic,
        )
        == expected
    )
    assert (
        error_of(
            ses.set_identity_feedback_forwarding_enabled, Identity="ghost.example", ForwardingEnabled=True
        )
        == expected
    )
    assert (
        error_of(
            ses.set_identity_headers_in_notifications_enabled,
            Identity="ghost.example",
            NotificationType="Delivery",
            Enabled=True,
        )
        == expected
    )
