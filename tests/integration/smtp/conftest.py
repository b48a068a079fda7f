"""A submission server on loopback in front of the real services on moto: one production account
with an access key and a verified domain."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.domain.smtp_credentials import smtp_password
from sesame.local.provision import provision
from sesame.services import Services, build_services
from sesame.settings import Settings
from sesame.smtp.server import SubmissionServer, build_submission_server
from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls import local_context
from tests.support.dns_server import DnsTestServer

ACCOUNT = "000000000001"
DOMAIN = "sender.test"


@dataclass
class World:
    aws: AwsClients
    settings: Settings
    services: Services
    access_key_id: str
    password: str

    def queued(self) -> list[str]:
        """Bodies of the delivery queue's messages (each names its MessageId)."""
        sqs = self.aws.client("sqs")
        bodies: list[str] = []
        while True:
            answer = sqs.receive_message(
                QueueUrl=self.settings.delivery_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
            )
            messages = answer.get("Messages", [])
            if not messages:
                return bodies
            bodies += [m["Body"] for m in messages]


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws(), DnsTestServer() as dns:
        base = Settings(dkim_signing_zone=None, dns_server=dns.address)
        aws = AwsClients(base)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        services.accounts.create_account(ACCOUNT, production=True)
        key, secret = services.accounts.create_access_key(ACCOUNT)
        token = services.identities.verify_domain(ACCOUNT, DOMAIN)
        dns.set(f"_amazonses.{DOMAIN}", "TXT", token)
        assert services.identities.check_now(ACCOUNT, DOMAIN).verified_for_sending
        yield World(aws, settings, services, key.access_key_id, smtp_password(secret, settings.region))


@pytest.fixture
def start_server(world: World) -> Iterator[Callable[..., SubmissionServer]]:
    """Start a submission server with these SmtpSettings; stopped at the end of the test."""
    started: list[SubmissionServer] = []

    def start(**overrides: Any) -> SubmissionServer:
        settings = SmtpSettings(
            **{"host": "127.0.0.1", "submission_port": 0, "smtps_port": 0, "shutdown_grace": 5, **overrides}
        )
        tls, _ = local_context("127.0.0.1", "smtp.sesame.test")
        server = build_submission_server(world.services, settings, tls)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def insecure_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def logged_in(server: SubmissionServer, world: World) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", server.submission_port, timeout=30)
    client.starttls(context=insecure_context())
    client.login(world.access_key_id, world.password)
    return client


def message(subject: str = "hello", sender: str = f"ops@{DOMAIN}") -> bytes:
    to = "success@simulator.amazonses.com"
    return f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nbody\r\n".encode()
