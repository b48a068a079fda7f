"""Identity integration fixtures: moto in-process (tables, KMS keys and the Route 53 zone made by
``provision``), a real DNS server on loopback, and the service built by ``make_identity_service``."""

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


def build_world(dns_server: DnsTestServer, **overrides: object) -> World:
    settings = Settings(dns_server=dns_server.address, public_base_url="http://127.0.0.1:8787", **overrides)  # type: ignore[arg-type]
    aws = AwsClients(settings)
    settings = provision(aws, settings)
    clock = Clock(time.time())
    mailer = CapturingMailer()
    service = make_identity_service(settings, aws, clock=clock, mailer=mailer)
    return World(settings, aws, service, dns_server, clock, mailer)


@pytest.fixture
def aws_mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture
def world(dns_server: DnsTestServer, aws_mock: None) -> Iterator[World]:
    dns_server.clear()
    yield build_world(dns_server)
    dns_server.clear()


@pytest.fixture
def txt_world(dns_server: DnsTestServer, aws_mock: None) -> Iterator[World]:
    """No managed signing zone: customers publish DKIM keys as TXT records."""
    dns_server.clear()
    yield build_world(dns_server, dkim_signing_zone=None)
    dns_server.clear()
