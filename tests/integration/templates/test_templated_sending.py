"""Templated sending on moto: each destination its own queued message with its own content and
quota units; per-destination refusals; rendering failures as events with nothing queued."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import Sender, SendRequest
from sesame.domain.template_rendering import TemplateContent
from sesame.domain.templated_sending import Destination, TemplateChoice, TemplatedSend, status_of
from sesame.local.provision import provision
from sesame.services import Services, build_services
from sesame.settings import Settings
from tests.support.dns_server import DnsTestServer

ACCOUNT = "000000000001"
DOMAIN = "shop.test"
SENDER = Sender(account_id=ACCOUNT, caller_identity="AKIATEST", source_ip="192.0.2.1", api=ApiSource.API_V2)


class World:
    def __init__(self, aws: AwsClients, settings: Settings, services: Services) -> None:
        self.aws, self.settings, self.services = aws, settings, services
        sqs, sns = aws.client("sqs"), aws.client("sns")
        self.events_url = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.events_url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=settings.events_topic_arn,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )

    def queued(self) -> list[dict[str, Any]]:
        sqs = self.aws.client("sqs")
        tasks = []
        while True:
            answer = sqs.receive_message(QueueUrl=self.settings.delivery_queue_url, MaxNumberOfMessages=10)
            if not answer.get("Messages"):
                return tasks
            for message in answer["Messages"]:
                tasks.append(json.loads(message["Body"]))
                sqs.delete_message(
                    QueueUrl=self.settings.delivery_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def events(self) -> list[dict[str, Any]]:
        sqs = self.aws.client("sqs")
        answer = sqs.receive_message(QueueUrl=self.events_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    def send(self, *destinations: Destination, default_data: str | None = None) -> list[Any]:
        return self.services.templated_sending.send(
            TemplatedSend(
                request=SendRequest(
                    sender=SENDER, from_address=f"orders@{DOMAIN}", tags={"kind": ["receipt"]}
                ),
                template=TemplateChoice(name="receipt"),
                destinations=destinations,
                default_data=default_data,
            )
        )


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws(), DnsTestServer() as dns:
        base = Settings(dns_server=dns.address, dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        services.accounts.create_account(ACCOUNT, production=True)
        services.accounts.set_quotas(ACCOUNT, max_send_rate=100, max_24_hour_send=3)
        dns.set(f"_amazonses.{DOMAIN}", "TXT", services.identities.verify_domain(ACCOUNT, DOMAIN))
        assert services.identities.check_now(ACCOUNT, DOMAIN).verified_for_sending
        services.templates.create(
            ACCOUNT,
            "receipt",
            TemplateContent(subject="Order {{order}}", text="Thanks {{name}} for order {{order}}"),
        )
        yield World(aws, settings, services)


def test_each_destination_is_its_own_message_with_its_own_content(world: World) -> None:
    outcomes = world.send(
        Destination(to=("ann@a.test",), template_data='{"name": "Ann", "order": 1}'),
        Destination(to=("bob@b.test", "bo@b.test"), template_data='{"name": "Bob"}', tags={"kind": ["gift"]}),
        default_data='{"order": 99}',
    )
    assert [status_of(o).value for o in outcomes] == ["Success", "Success"]
    tasks = {task["message"]["message_id"]: task for task in world.queued()}
    first, second = (tasks[o.message_id] for o in outcomes)
    assert first["recipients"] == ["ann@a.test"] and second["recipients"] == ["bob@b.test", "bo@b.test"]
    assert b"Thanks Ann for order 1" in base64.b64decode(first["message"]["raw"])
    assert b"Thanks Bob for order 99" in base64.b64decode(second["message"]["raw"])
    assert second["message"]["tags"] == {"kind": ["gift"]}
    assert world.services.quotas.sent_last_24_hours(ACCOUNT, time.time()) == 3


def test_destinations_past_the_daily_quota_are_refused_alone(world: World) -> None:
    outcomes = world.send(
        *(Destination(to=(f"r{i}@r.test",), template_data='{"name": "R", "order": 1}') for i in range(5))
    )
    assert [status_of(o).v2 for o in outcomes] == ["SUCCESS"] * 3 + ["ACCOUNT_DAILY_QUOTA_EXCEEDED"] * 2
    assert len(world.queued()) == 3


def test_a_destination_that_does_not_render_is_accepted_reported_and_not_queued(world: World) -> None:
    (outcome,) = world.send(Destination(to=("cy@c.test",), template_data='{"name": "Cy"}'))
    assert status_of(outcome).value == "Success" and outcome.message_id
    assert world.queued() == []
    (event,) = world.events()
    assert event["eventType"] == "Rendering Failure"
    assert event["failure"] == {
        "templateName": "receipt",
        "errorMessage": "Attribute 'order' is not present in the rendering data.",
    }
    assert event["mail"]["messageId"] == outcome.message_id
    assert event["mail"]["destination"] == ["cy@c.test"]
    assert event["mail"]["tags"]["kind"] == ["receipt"]
    assert world.services.quotas.sent_last_24_hours(ACCOUNT, time.time()) == 0
