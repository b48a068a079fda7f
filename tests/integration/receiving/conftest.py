"""Receiving integration fixtures: moto in-process, provisioned as local mode provisions it, the
services ``build_services`` wires, two accounts, and boto3 ``ses`` clients whose requests go
through the real API application (SigV4, Query protocol, handlers) without a socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.api.app import ApiApp
from sesame.local.provision import provision
from sesame.services import Services, build_services
from sesame.settings import Settings
from tests.support.dns_server import DnsTestServer
from tests.unit.protocol.protocol_helpers import prepared_to_http

A = "111111111111"
B = "222222222222"
KEYS = {
    A: ("AKIAACCOUNTAAAAAAAAA", "secret-of-account-a"),
    B: ("AKIAACCOUNTBBBBBBBBB", "secret-of-account-b"),
}
ENDPOINT = "http://sesame.invalid"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass
class World:
    settings: Settings
    aws: AwsClients
    services: Services
    dns: DnsTestServer
    ses: Callable[[str], Any]  # account id -> boto3 ses client

    def verify_domain(self, account_id: str, domain: str) -> None:
        token = self.services.identities.verify_domain(account_id, domain)
        self.dns.add(f"_amazonses.{domain}", "TXT", token)
        self.services.identities.check_now(account_id, domain)

    def bucket(self, name: str) -> str:
        self.aws.client("s3").create_bucket(Bucket=name)
        return name

    def topic(self, name: str) -> str:
        return str(self.aws.client("sns").create_topic(Name=name)["TopicArn"])


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


def settings_for(dns: DnsTestServer, **overrides: Any) -> Settings:
    return Settings(dns_server=dns.address, dkim_signing_zone=None, **overrides)


@pytest.fixture
def world(dns_server: DnsTestServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    dns_server.clear()
    with mock_aws():
        base = settings_for(
            dns_server, lambda_functions={"arn:aws:lambda:us-east-1:111111111111:function:f": "json:dumps"}
        )
        aws = AwsClients(base)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        for account, (key, secret) in KEYS.items():
            services.accounts.ensure_bootstrap(
                account, key, secret, production=True, max_send_rate=None, max_24_hour_send=None
            )
        app = ApiApp(services)

        def ses(account: str) -> Any:
            key, secret = KEYS[account]
            client = boto3.session.Session().client(
                "ses",
                region_name=settings.region,
                endpoint_url=ENDPOINT,
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                config=Config(retries={"total_max_attempts": 1}),
            )

            def send(request: Any, **_: Any) -> AWSResponse:
                response = app.handle(prepared_to_http(request))
                return AWSResponse(request.url, response.status, response.headers, _Raw(response.body))

            client.meta.events.register("before-send", send)
            return client

        yield World(settings=settings, aws=aws, services=services, dns=dns_server, ses=ses)
    dns_server.clear()
