"""Outbound content filtering: with clamd configured, a message carrying a virus is refused at
send time with MessageRejected and a Reject event ("Bad content"), and is neither queued nor
counted against the quota; a clean message goes through, and so does every message while the
scanner is down (a scanner outage does not stop sending)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.domain.errors import MessageRejected
from sesame.domain.sending.model import ApiSource
from sesame.domain.sending.service import Sender, SendRequest
from sesame.local.provision import provision
from sesame.services import Services, build_services
from sesame.settings import Settings
from tests.support.dns_server import DnsTestServer
from tests.support.scanners import TEST_VIRUS, ClamdDaemon, free_port

pytestmark = pytest.mark.integration

ACCOUNT = "000000000001"
DOMAIN = "sender.example"


@pytest.fixture(scope="module")
def clamd() -> Iterator[ClamdDaemon]:
    with ClamdDaemon() as daemon:
        yield daemon


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


class World:
    def __init__(self, settings: Settings, aws: AwsClients, dns_server: DnsTestServer) -> None:
        self.settings, self.aws = settings, aws
        self.services: Services = build_services(settings, aws)
        self.services.accounts.create_account(ACCOUNT, production=True)
        token = self.services.identities.verify_domain(ACCOUNT, DOMAIN)
        dns_server.set(f"_amazonses.{DOMAIN}", "TXT", token)
        assert self.services.identities.check_now(ACCOUNT, DOMAIN).verified_for_sending
        sqs, sns = aws.client("sqs"), aws.client("sns")
        self.events_url = sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.events_url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=settings.events_topic_arn,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )

    def send(self, raw: bytes) -> str:
        sender = Sender(
            account_id=ACCOUNT, caller_identity="tester", source_ip="127.0.0.1", api=ApiSource.API_V2
        )
        return self.services.sending.send(SendRequest(sender=sender, raw=raw))

    def events(self) -> list[dict[str, Any]]:
        answer = self.aws.client("sqs").receive_message(QueueUrl=self.events_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    def queued(self) -> int:
        attributes = self.aws.client("sqs").get_queue_attributes(
            QueueUrl=self.settings.delivery_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def sent_today(self) -> float:
        return self.services.quotas.sent_last_24_hours(ACCOUNT, time.time())


def build_world(dns_server: DnsTestServer, clamd_address: str) -> Iterator[World]:
    dns_server.clear()
    with mock_aws():
        base = Settings(dkim_signing_zone=None, dns_server=dns_server.address, clamd_address=clamd_address)
        aws = AwsClients(base)
        yield World(provision(aws, base), aws, dns_server)


@pytest.fixture
def world(dns_server: DnsTestServer, clamd: ClamdDaemon) -> Iterator[World]:
    yield from build_world(dns_server, clamd.address)


@pytest.fixture
def world_without_scanner(dns_server: DnsTestServer) -> Iterator[World]:
    yield from build_world(dns_server, f"127.0.0.1:{free_port()}")


def raw_message(attachment: bytes) -> bytes:
    encoded = base64.encodebytes(attachment).replace(b"\n", b"\r\n")
    return (
        (
            f"From: Alice <alice@{DOMAIN}>\r\n"
            "To: bob@inbox.example\r\n"
            "Subject: The invoice\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b1"\r\n'
            "\r\n"
            "--b1\r\n"
            "Content-Type: text/plain\r\n\r\n"
            "Invoice attached.\r\n"
            "--b1\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            'Content-Disposition: attachment; filename="invoice.bin"\r\n\r\n'
        ).encode()
        + encoded
        + b"--b1--\r\n"
    )


INFECTED = raw_message(b"\x00" + TEST_VIRUS + b"\x00")
CLEAN = raw_message(b"\x00 an ordinary attachment \x00")


def test_a_message_with_a_virus_is_rejected_with_a_reject_event_and_not_queued(world: World) -> None:
    with pytest.raises(MessageRejected) as refused:
        world.send(INFECTED)
    assert refused.value.code == "MessageRejected"
    assert "Bad content" in refused.value.message

    events = world.events()
    assert [e["eventType"] for e in events] == ["Reject"]
    assert events[0]["reject"] == {"reason": "Bad content"}
    assert events[0]["mail"]["source"] == f"alice@{DOMAIN}"
    assert events[0]["mail"]["destination"] == ["bob@inbox.example"]
    assert world.queued() == 0
    assert world.sent_today() == 0


def test_a_clean_message_is_sent_with_a_send_event(world: World) -> None:
    message_id = world.send(CLEAN)
    events = world.events()
    assert [(e["eventType"], e["mail"]["messageId"]) for e in events] == [("Send", message_id)]
    assert world.queued() == 1
    assert world.sent_today() == 1


def test_messages_are_sent_unscanned_while_the_scanner_is_down(world_without_scanner: World) -> None:
    message_id = world_without_scanner.send(INFECTED)
    assert [e["eventType"] for e in world_without_scanner.events()] == ["Send"]
    assert message_id and world_without_scanner.queued() == 1
