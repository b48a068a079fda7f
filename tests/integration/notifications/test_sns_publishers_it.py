"""The SNS adapters against moto: what a subscriber of the topic (an SQS queue here) receives is
exactly the record, with no Subject, and attributes only on the internal event stream."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from sesame.adapters.sns_publishers import SnsEventPublisher, SnsNotificationPublisher, SnsTopicDirectory
from sesame.domain.identities import NotificationType
from sesame.domain.sending.event_ports import TopicUnavailable
from sesame.domain.sending.events import Bounce, MessageHeaders, bounce_notification, send_event
from sesame.domain.sending.model import BounceSubType, BounceType, QueuedMessage, RecipientResult, ResultKind
from sesame.domain.sending.notifications import NotificationRouter
from tests.integration.identities.helpers import A, World

pytestmark = pytest.mark.integration

MESSAGE = QueuedMessage(
    message_id="0100018bcfe56800-11111111-2222-3333-4444-555555555555-000000",
    account_id=A,
    source="Zoë <zoe@example.com>",
    mail_from="bounces@example.com",
    destinations=("bob@example.net",),
    sending_identity="zoe@example.com",
    created_at=1_700_000_000.0,
    configuration_set="cs",
    tags={"campaign": ["spring"]},
    source_ip="198.51.100.7",
    caller_identity="AKIATEST",
)
HEADERS = MessageHeaders(headers=[{"name": "Subject", "value": "Grüße"}], common_headers={"subject": "Grüße"})


def subscribed_queue(world: World, topic_arn: str) -> str:
    sqs = world.aws.client("sqs")
    url = sqs.create_queue(QueueName=topic_arn.rsplit(":", 1)[1] + "-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    world.aws.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return url


def received(world: World, url: str) -> list[dict[str, Any]]:
    answer = world.aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def bounce() -> Bounce:
    result = RecipientResult(
        "bob@example.net",
        ResultKind.BOUNCED,
        "550 5.1.1 unknown",
        remote_mta="192.0.2.9",
        reporting_mta="out",
    )
    return Bounce(
        BounceType.PERMANENT, BounceSubType.NO_EMAIL, (result,), at=1_700_000_030.0, feedback_id="fb"
    )


def test_an_event_reaches_subscribers_of_the_internal_stream_as_json(world: World) -> None:
    assert world.settings.events_topic_arn is not None
    url = subscribed_queue(world, world.settings.events_topic_arn)
    event = send_event(MESSAGE, region="us-east-1", headers=HEADERS)
    SnsEventPublisher(world.aws.client("sns"), world.settings.events_topic_arn).publish(event)
    [envelope] = received(world, url)
    assert json.loads(envelope["Message"]) == event
    assert envelope["TopicArn"] == world.settings.events_topic_arn
    assert not envelope.get("Subject")
    assert envelope["MessageAttributes"]["eventType"] == {"Type": "String", "Value": "Send"}


def test_a_notification_reaches_subscribers_without_subject_or_attributes(world: World) -> None:
    sns = world.aws.client("sns")
    topic = sns.create_topic(Name="customer-bounces")["TopicArn"]
    url = subscribed_queue(world, topic)
    notification = bounce_notification(MESSAGE, bounce(), region="us-east-1", headers=None)
    SnsNotificationPublisher(sns).publish(topic, notification)
    [envelope] = received(world, url)
    assert json.loads(envelope["Message"]) == notification
    assert not envelope.get("Subject") and not envelope.get("MessageAttributes")


def test_publishing_to_a_deleted_topic_says_the_topic_is_unavailable(world: World) -> None:
    sns = world.aws.client("sns")
    topic = sns.create_topic(Name="short-lived")["TopicArn"]
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(TopicUnavailable) as raised:
        SnsNotificationPublisher(sns).publish(topic, {"notificationType": "Bounce"})
    assert raised.value.topic_arn == topic


def test_the_topic_directory_knows_which_topics_exist(world: World) -> None:
    sns = world.aws.client("sns")
    topic = sns.create_topic(Name="here")["TopicArn"]
    directory = SnsTopicDirectory(sns)
    assert directory.exists(topic) is True
    assert directory.exists(topic.replace(":here", ":not-here")) is False


def test_a_bounce_travels_from_the_router_to_the_identitys_topic(world: World) -> None:
    sns = world.aws.client("sns")
    topic = sns.create_topic(Name="zoe-bounces")["TopicArn"]
    url = subscribed_queue(world, topic)
    world.service.verify_email(A, "zoe@example.com")
    world.service.confirm_email(parse_qs(world.mailer.last_query())["token"][0])
    world.service.set_notification_topic(A, "zoe@example.com", NotificationType.BOUNCE, topic)
    world.service.set_headers_in_notifications(A, "zoe@example.com", NotificationType.BOUNCE, True)
    mailed: list[tuple[str, str, bytes]] = []

    class Mailer:
        def send_feedback(self, account_id: str, to_address: str, dsn_bytes: bytes) -> None:
            mailed.append((account_id, to_address, dsn_bytes))

    router = NotificationRouter(
        identities=world.service,
        publisher=SnsNotificationPublisher(sns),
        mailer=Mailer(),
        region="us-east-1",
        mail_host_name="sesame.test",
    )
    router.bounce(MESSAGE, bounce(), headers=HEADERS, original_message=b"Subject: x\r\n\r\nbody")
    [envelope] = received(world, url)
    notification = json.loads(envelope["Message"])
    assert notification["notificationType"] == "Bounce"
    assert notification["mail"]["headers"] == HEADERS.headers and "tags" not in notification["mail"]
    assert notification["bounce"]["bounceSubType"] == "NoEmail"
    assert notification["bounce"]["remoteMtaIp"] == "192.0.2.9"
    assert [(a, to) for a, to, _ in mailed] == [(A, "zoe@example.com")], "forwarding is on by default"
