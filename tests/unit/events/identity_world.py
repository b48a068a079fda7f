"""An IdentityService on fakes (those of the identity unit tests) plus a topic directory, and the
fakes of the notification ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sesame.domain.identities import IdentityService
from sesame.domain.sending.event_ports import TopicUnavailable
from sesame.settings import Settings
from tests.unit.identities.fakes import (
    FakeCipher,
    FakeClock,
    FakeDns,
    FakeMac,
    FakeMailer,
    FakeRepository,
    pooled_key_factory,
)

A = "111111111111"
BOUNCES = "arn:aws:sns:us-east-1:123456789012:bounces"
COMPLAINTS = "arn:aws:sns:us-east-1:123456789012:complaints"
DELIVERIES = "arn:aws:sns:us-east-1:123456789012:deliveries"


@dataclass
class FakeTopics:
    """The topic directory: which topic ARNs exist."""

    existing: set[str] = field(default_factory=lambda: {BOUNCES, COMPLAINTS, DELIVERIES})
    asked: list[str] = field(default_factory=list)

    def exists(self, topic_arn: str) -> bool:
        self.asked.append(topic_arn)
        return topic_arn in self.existing


@dataclass
class FakeNotificationPublisher:
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)

    def publish(self, topic_arn: str, notification: dict[str, Any]) -> None:
        if topic_arn in self.gone:
            raise TopicUnavailable(topic_arn)
        self.published.append((topic_arn, notification))


@dataclass
class FakeFeedbackMailer:
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def send_feedback(self, account_id: str, to_address: str, dsn_bytes: bytes) -> None:
        self.sent.append((account_id, to_address, dsn_bytes))


@dataclass
class IdentityWorld:
    service: IdentityService
    repo: FakeRepository
    dns: FakeDns
    mailer: FakeMailer
    topics: FakeTopics

    def verified_domain(self, domain: str, account: str = A) -> None:
        token = self.service.verify_domain(account, domain)
        self.dns.txts[f"_amazonses.{domain}"] = [token]
        self.service.check_now(account, domain)

    def verified_address(self, address: str, account: str = A) -> None:
        self.service.verify_email(account, address)
        self.service.confirm_email(self.mailer.last_token())


def make_identity_world() -> IdentityWorld:
    settings = Settings(dkim_signing_zone=None, public_base_url="https://sesame.example")
    repo, dns, mailer, topics = FakeRepository(), FakeDns(), FakeMailer(), FakeTopics()
    service = IdentityService(
        settings=settings,
        repository=repo,
        cipher=FakeCipher(),
        mac=FakeMac(),
        dns=dns,
        mailer=mailer,
        clock=FakeClock(),
        key_factory=pooled_key_factory(),
        topics=topics,
    )
    return IdentityWorld(service, repo, dns, mailer, topics)
