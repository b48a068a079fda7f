"""Shared pieces of the identity integration tests: the world under test and a handler caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import sesame.api.operations  # noqa: F401  (registers the handlers)
from sesame.adapters.aws import AwsClients
from sesame.api.context import RequestContext
from sesame.api.registry import handler_for
from sesame.domain.identities import IdentityService
from sesame.settings import Settings
from tests.support.dns_server import DnsTestServer

A = "111111111111"
B = "222222222222"


class Clock:
    """The service's clock, moved by the tests (deadlines of 24 and 72 hours)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class CapturingMailer:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send_verification(self, account_id: str, address: str, link: str) -> None:
        self.sent.append((account_id, address, link))

    def last_query(self) -> str:
        return urlsplit(self.sent[-1][2]).query


@dataclass
class World:
    settings: Settings
    aws: AwsClients
    service: IdentityService
    dns: DnsTestServer
    clock: Clock
    mailer: CapturingMailer

    @property
    def services(self) -> Any:
        return SimpleNamespace(identities=self.service, settings=self.settings)

    def call(self, version: int, operation: str, account: str = A, **params: Any) -> Any:
        handler = handler_for(version, operation)
        assert handler is not None, f"v{version} {operation} is not registered"
        ctx = RequestContext(
            account_id=account, access_key_id="AKIATEST", region="us-east-1", request_id="req"
        )
        return handler(self.services, ctx, params)

    def tick(self) -> int:
        """One checker round, one check interval later."""
        self.clock.advance(self.settings.check_interval)
        return self.service.check_pending()

    def publish_customer_dkim(self, account: str, domain: str) -> None:
        for record in self.service.dkim_records(account, domain):
            self.dns.add(record.name, record.type, record.value)

    def zone_records(self) -> dict[str, list[str]]:
        """TXT records in Sesame's signing zone, read back from Route 53."""
        route53 = self.aws.route53
        assert self.settings.dkim_hosted_zone_id
        found: dict[str, list[str]] = {}
        paginator = route53.get_paginator("list_resource_record_sets")
        for page in paginator.paginate(HostedZoneId=self.settings.dkim_hosted_zone_id):
            for record_set in page["ResourceRecordSets"]:
                if record_set["Type"] == "TXT":
                    found[record_set["Name"].rstrip(".")] = [
                        r["Value"] for r in record_set["ResourceRecords"]
                    ]
        return found
