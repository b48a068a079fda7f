"""Fakes of the identity ports (no sockets, no AWS) and a service wired to them."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from sesame.api.context import RequestContext
from sesame.domain.identities import IdentityService
from sesame.domain.identity_model import Identity, IdentitySummary, IdentityType, Status
from sesame.domain.identity_ports import (
    DnsRecord,
    DnsTemporaryFailure,
    IdentityAlreadyStored,
    StaleIdentity,
)
from sesame.settings import Settings

START = 1_800_000_000.0
ZONE = "dkim.sesame.test"


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeRepository:
    """In memory, with the port's semantics: versions, conditional writes, sorted listing."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Identity] = {}
        self.writes = 0
        # Called before a replace commits: lets a test slip in a concurrent change.
        self.before_replace: list[Any] = []

    def get(self, account_id: str, name: str) -> Identity | None:
        found = self.items.get((account_id, name))
        return copy.deepcopy(found) if found else None

    def get_many(self, account_id: str, names: Sequence[str]) -> dict[str, Identity]:
        return {n: copy.deepcopy(i) for n in names if (i := self.items.get((account_id, n))) is not None}

    def create(self, identity: Identity) -> None:
        key = (identity.account_id, identity.name)
        if key in self.items:
            raise IdentityAlreadyStored(identity.name)
        stored = copy.deepcopy(identity)
        stored.version = 1
        self.items[key] = stored
        self.writes += 1

    def replace(self, identity: Identity, expected_version: int) -> None:
        hooks, self.before_replace = self.before_replace, []
        for hook in hooks:
            hook()
        key = (identity.account_id, identity.name)
        current = self.items.get(key)
        if current is None or current.version != expected_version:
            raise StaleIdentity(identity.name)
        stored = copy.deepcopy(identity)
        stored.version = expected_version + 1
        self.items[key] = stored
        self.writes += 1

    def delete(self, account_id: str, name: str) -> Identity | None:
        return self.items.pop((account_id, name), None)

    def list_page(
        self,
        account_id: str,
        *,
        identity_type: IdentityType | None,
        after: str | None,
        limit: int,
        status: Status | None = None,
        name_contains: str | None = None,
    ) -> tuple[list[IdentitySummary], bool]:
        rows = sorted(
            (i for (a, _), i in self.items.items() if a == account_id),
            key=lambda i: i.name,
        )
        rows = [
            i
            for i in rows
            if (after is None or i.name > after)
            and (identity_type is None or i.type is identity_type)
            and (status is None or i.status is status)
            and (not name_contains or name_contains in i.name)
        ]
        page = [IdentitySummary(i.name, i.type, i.status) for i in rows[:limit]]
        return page, len(rows) > limit

    def due(self, now: float, limit: int) -> list[Identity]:
        rows = [
            i
            for i in self.items.values()
            if i.check_state.value == "PENDING" and i.next_check_at is not None and i.next_check_at <= now
        ]
        return [copy.deepcopy(i) for i in sorted(rows, key=lambda i: i.next_check_at or 0)[:limit]]


class FakeDns:
    def __init__(self) -> None:
        self.txts: dict[str, list[str]] = {}
        self.cnames: dict[str, str] = {}
        self.mxs: dict[str, list[tuple[int, str]]] = {}
        self.broken: set[str] = set()
        self.asked: list[tuple[str, str]] = []

    def _ask(self, name: str, kind: str) -> None:
        self.asked.append((name, kind))
        if name in self.broken:
            raise DnsTemporaryFailure(f"{name}: SERVFAIL")

    def txt(self, name: str) -> list[str]:
        self._ask(name, "TXT")
        return list(self.txts.get(name, []))

    def cname(self, name: str) -> str | None:
        self._ask(name, "CNAME")
        return self.cnames.get(name)

    def mx(self, name: str) -> list[tuple[int, str]]:
        self._ask(name, "MX")
        return list(self.mxs.get(name, []))

    def publish(self, records: Sequence[DnsRecord]) -> None:
        """Put what the customer is told to publish into 'their DNS'."""
        for record in records:
            if record.type == "CNAME":
                self.cnames[record.name] = record.value
            elif record.type == "TXT":
                self.txts.setdefault(record.name, []).append(record.value)
            elif record.type == "MX":
                pref, host = record.value.split()
                self.mxs.setdefault(record.name, []).append((int(pref), host))


class FakePublisher:
    def __init__(self) -> None:
        self.zone: dict[str, str] = {}  # name -> TXT value
        self.fail_next = False

    def publish(self, records: Sequence[DnsRecord]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("Route 53 is down")
        for record in records:
            self.zone[record.name] = record.value

    def withdraw(self, records: Sequence[DnsRecord]) -> None:
        for record in records:
            if self.zone.get(record.name) == record.value:
                del self.zone[record.name]


class FakeCipher:
    """Reversible, and like KMS refuses a ciphertext under another encryption context."""

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        return json.dumps(context, sort_keys=True).encode() + b"\n" + plaintext[::-1]

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> bytes:
        header, _, body = ciphertext.partition(b"\n")
        if header != json.dumps(context, sort_keys=True).encode():
            raise PermissionError("InvalidCiphertextException")
        return body[::-1]


class FakeMac:
    key = b"unit-test-key"

    def sign(self, message: bytes) -> bytes:
        return hmac.new(self.key, message, hashlib.sha256).digest()

    def verify(self, message: bytes, mac: bytes) -> bool:
        return hmac.compare_digest(self.sign(message), mac)


@dataclass
class FakeMailer:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send_verification(self, account_id: str, address: str, link: str) -> None:
        self.sent.append((account_id, address, link))

    def last_token(self) -> str:
        from urllib.parse import parse_qs, urlsplit

        return parse_qs(urlsplit(self.sent[-1][2]).query)["token"][0]


_POOL: dict[int, list[rsa.RSAPrivateKey]] = {}


def pooled_key_factory() -> Any:
    """Real RSA keys, made once per test session: generating 2048-bit keys for every domain of
    every test would dominate the run time. Seven keys per size, so the three of one domain
    and those of the next differ."""
    counters: dict[int, itertools.count[int]] = {}

    def make(bits: int) -> rsa.RSAPrivateKey:
        pool = _POOL.setdefault(bits, [])
        if not pool:
            pool.extend(rsa.generate_private_key(public_exponent=65537, key_size=bits) for _ in range(7))
        index = next(counters.setdefault(bits, itertools.count()))
        return pool[index % len(pool)]

    return make


@dataclass
class World:
    service: IdentityService
    repo: FakeRepository
    dns: FakeDns
    publisher: FakePublisher
    mailer: FakeMailer
    clock: FakeClock
    settings: Settings

    def ctx(self, account_id: str = "111111111111") -> RequestContext:
        return RequestContext(account_id=account_id, access_key_id="AKIA", region="us-east-1", request_id="r")


def make_world(*, zone: str | None = ZONE, check_interval: float = 5.0) -> World:
    settings = Settings(
        dkim_signing_zone=zone,
        dkim_hosted_zone_id="Z1" if zone else None,
        check_interval=check_interval,
        public_base_url="https://sesame.example",
    )
    repo, dns, publisher, mailer, clock = (
        FakeRepository(),
        FakeDns(),
        FakePublisher(),
        FakeMailer(),
        FakeClock(),
    )
    service = IdentityService(
        settings=settings,
        repository=repo,
        cipher=FakeCipher(),
        mac=FakeMac(),
        dns=dns,
        mailer=mailer,
        publisher=publisher if zone else None,
        clock=clock,
        key_factory=pooled_key_factory(),
    )
    return World(service, repo, dns, publisher, mailer, clock, settings)


A = "111111111111"
B = "222222222222"
