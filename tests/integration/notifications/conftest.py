"""Notification integration fixtures: moto in-process (provisioned as local mode provisions it),
a real DNS server on loopback for domain verification, and the identity service that
``make_identity_service`` builds, with its SNS topic directory."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.adapters.identity_wiring import make_identity_service
from sesame.local.provision import provision
from sesame.settings import Settings
from tests.integration.identities.helpers import CapturingMailer, Clock, World
from tests.support.dns_server import DnsTestServer


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


@pytest.fixture
def world(dns_server: DnsTestServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    dns_server.clear()
    with mock_aws():
        base = Settings(dns_server=dns_server.address, dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        clock = Clock(time.time())
        mailer = CapturingMailer()
        service = make_identity_service(settings, aws, clock=clock, mailer=mailer)
        yield World(settings, aws, service, dns_server, clock, mailer)
    dns_server.clear()
