"""The four v1 notification operations through their handlers, against moto's DynamoDB and SNS:
outputs in botocore's shapes, settings stored in the identities table, SES's refusals."""

from __future__ import annotations

from typing import Any

import pytest

from sesame.domain.errors import InvalidParameterValue
from tests.integration.identities.helpers import A, B, World
from tests.unit.identities.shapes import check_output

pytestmark = pytest.mark.integration

# SES leaves out the topics that are not set, although the model calls them required.
UNSET_TOPICS = frozenset(
    f"NotificationAttributes.*.{kind}Topic" for kind in ("Bounce", "Complaint", "Delivery")
)


def call(world: World, operation: str, account: str = A, **params: Any) -> Any:
    output = world.call(1, operation, account, **params)
    check_output(1, operation, output, optional=UNSET_TOPICS)
    return output


def verified_domain(world: World, domain: str = "example.com", account: str = A) -> None:
    token = world.call(1, "VerifyDomainIdentity", account, Domain=domain)["VerificationToken"]
    world.dns.add(f"_amazonses.{domain}", "TXT", token)
    world.service.check_now(account, domain)


def topic(world: World, name: str) -> str:
    return str(world.aws.client("sns").create_topic(Name=name)["TopicArn"])


def attributes(world: World, *names: str, account: str = A) -> Any:
    return call(world, "GetIdentityNotificationAttributes", account, Identities=list(names))[
        "NotificationAttributes"
    ]


def test_a_new_identity_reports_forwarding_on_and_no_topics(world: World) -> None:
    verified_domain(world)
    assert attributes(world, "example.com", "unknown.com") == {
        "example.com": {
            "ForwardingEnabled": True,
            "HeadersInBounceNotificationsEnabled": False,
            "HeadersInComplaintNotificationsEnabled": False,
            "HeadersInDeliveryNotificationsEnabled": False,
        }
    }


def test_topics_and_headers_are_stored_and_reported(world: World) -> None:
    verified_domain(world)
    bounces, deliveries = topic(world, "bounces"), topic(world, "deliveries")
    call(
        world,
        "SetIdentityNotificationTopic",
        Identity="example.com",
        NotificationType="Bounce",
        SnsTopic=bounces,
    )
    call(
        world,
        "SetIdentityNotificationTopic",
        Identity="example.com",
        NotificationType="Delivery",
        SnsTopic=deliveries,
    )
    call(
        world,
        "SetIdentityHeadersInNotificationsEnabled",
        Identity="example.com",
        NotificationType="Bounce",
        Enabled=True,
    )
    assert attributes(world, "example.com")["example.com"] == {
        "BounceTopic": bounces,
        "DeliveryTopic": deliveries,
        "ForwardingEnabled": True,
        "HeadersInBounceNotificationsEnabled": True,
        "HeadersInComplaintNotificationsEnabled": False,
        "HeadersInDeliveryNotificationsEnabled": False,
    }
    item = world.aws.dynamodb.get_item(
        TableName=world.settings.tables.identities,
        Key={"account_id": {"S": A}, "identity": {"S": "example.com"}},
    )["Item"]
    assert item["notification_topics"]["M"] == {"Bounce": {"S": bounces}, "Delivery": {"S": deliveries}}
    assert item["headers_in_notifications"] == {"SS": ["Bounce"]}
    call(world, "SetIdentityNotificationTopic", Identity="example.com", NotificationType="Delivery")
    assert "DeliveryTopic" not in attributes(world, "example.com")["example.com"]


def test_a_topic_that_does_not_exist_in_sns_is_refused(world: World) -> None:
    verified_domain(world)
    missing = "arn:aws:sns:us-east-1:123456789012:never-created"
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        call(
            world,
            "SetIdentityNotificationTopic",
            Identity="example.com",
            NotificationType="Bounce",
            SnsTopic=missing,
        )
    with pytest.raises(InvalidParameterValue, match="Invalid SNS topic ARN"):
        call(
            world,
            "SetIdentityNotificationTopic",
            Identity="example.com",
            NotificationType="Bounce",
            SnsTopic="x",
        )


def test_forwarding_can_be_disabled_once_bounces_and_complaints_have_topics(world: World) -> None:
    verified_domain(world)
    with pytest.raises(InvalidParameterValue, match="both Bounce and Complaint"):
        call(world, "SetIdentityFeedbackForwardingEnabled", Identity="example.com", ForwardingEnabled=False)
    for kind in ("Bounce", "Complaint"):
        call(
            world,
            "SetIdentityNotificationTopic",
            Identity="example.com",
            NotificationType=kind,
            SnsTopic=topic(world, kind.lower()),
        )
    call(world, "SetIdentityFeedbackForwardingEnabled", Identity="example.com", ForwardingEnabled=False)
    assert attributes(world, "example.com")["example.com"]["ForwardingEnabled"] is False
    assert world.call(2, "GetEmailIdentity", EmailIdentity="example.com")["FeedbackForwardingStatus"] is False


def test_unknown_identities_are_refused_as_ses_refuses_them(world: World) -> None:
    verified_domain(world)
    bounces = topic(world, "bounces")
    message = "Identity missing.com is invalid. Must be a verified email address or domain."
    for operation, extra in [
        ("SetIdentityNotificationTopic", {"NotificationType": "Bounce", "SnsTopic": bounces}),
        ("SetIdentityFeedbackForwardingEnabled", {"ForwardingEnabled": True}),
        ("SetIdentityHeadersInNotificationsEnabled", {"NotificationType": "Bounce", "Enabled": True}),
    ]:
        with pytest.raises(InvalidParameterValue) as raised:
            call(world, operation, Identity="missing.com", **extra)
        assert raised.value.message == message
        with pytest.raises(InvalidParameterValue):
            call(world, operation, B, Identity="example.com", **extra)
    assert attributes(world, "example.com", account=B) == {}


def test_an_identity_may_be_named_by_its_arn(world: World) -> None:
    verified_domain(world)
    bounces = topic(world, "bounces")
    arn = f"arn:aws:ses:us-east-1:{A}:identity/example.com"
    call(world, "SetIdentityNotificationTopic", Identity=arn, NotificationType="Bounce", SnsTopic=bounces)
    assert attributes(world, arn) == {arn: attributes(world, "example.com")["example.com"]}
    assert attributes(world, "example.com")["example.com"]["BounceTopic"] == bounces
