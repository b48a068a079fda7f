"""In-memory stand-ins for the receiving ports, for unit tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sesame.domain.receiving.action_ports import ActionFailed
from sesame.domain.receiving.inbound import ReceiptProgress, ReceiptTask
from sesame.domain.receiving.rule_model import IpFilter, ReceiptRule, RuleSet, RuleSetSummary
from sesame.domain.receiving.rule_ports import (
    ActiveRuleSet,
    FilterExists,
    ReceivingState,
    RuleSetExists,
    RuleSetMissing,
    StaleRuleSet,
    StoredRuleSet,
)


@dataclass
class InMemoryRuleRepository:
    sets: dict[tuple[str, str], StoredRuleSet] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)
    filters: dict[str, dict[str, IpFilter]] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    # Versions to bump behind the service's back before its next save: simulates a concurrent change.
    interfere: int = 0

    def _bump(self, account_id: str) -> None:
        self.generations[account_id] = self.generations.get(account_id, 0) + 1

    def create_rule_set(self, account_id: str, rule_set: RuleSet) -> None:
        if (account_id, rule_set.name) in self.sets:
            raise RuleSetExists(rule_set.name)
        self.sets[(account_id, rule_set.name)] = StoredRuleSet(rule_set, 1)
        self._bump(account_id)

    def get_rule_set(self, account_id: str, name: str) -> StoredRuleSet | None:
        return self.sets.get((account_id, name))

    def list_rule_sets(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[RuleSetSummary], bool]:
        names = sorted(n for a, n in self.sets if a == account_id and (after is None or n > after))
        found = [RuleSetSummary(n, self.sets[(account_id, n)].rule_set.created_at) for n in names]
        return found[:limit], len(found) > limit

    def count_rule_sets(self, account_id: str) -> int:
        return sum(1 for a, _ in self.sets if a == account_id)

    def save_rules(
        self,
        account_id: str,
        name: str,
        rules: Sequence[ReceiptRule],
        *,
        written: Sequence[str],
        removed: Sequence[str],
        expected_version: int,
    ) -> None:
        stored = self.sets.get((account_id, name))
        if stored is not None and self.interfere:
            self.interfere -= 1
            stored = self.sets[(account_id, name)] = StoredRuleSet(stored.rule_set, stored.version + 1)
        if stored is None or stored.version != expected_version:
            raise StaleRuleSet(name)
        self.sets[(account_id, name)] = StoredRuleSet(
            replace(stored.rule_set, rules=tuple(rules)), stored.version + 1
        )
        self._bump(account_id)

    def delete_rule_set(self, account_id: str, name: str) -> None:
        if self.active.get(account_id) == name:
            raise ActiveRuleSet(name)
        self.sets.pop((account_id, name), None)
        self._bump(account_id)

    def active_rule_set(self, account_id: str) -> str | None:
        return self.active.get(account_id)

    def set_active_rule_set(self, account_id: str, name: str | None) -> None:
        if name is None:
            self.active.pop(account_id, None)
        elif (account_id, name) not in self.sets:
            raise RuleSetMissing(name)
        else:
            self.active[account_id] = name
        self._bump(account_id)

    def create_filter(self, account_id: str, ip_filter: IpFilter) -> None:
        mine = self.filters.setdefault(account_id, {})
        if ip_filter.name in mine:
            raise FilterExists(ip_filter.name)
        mine[ip_filter.name] = ip_filter
        self._bump(account_id)

    def delete_filter(self, account_id: str, name: str) -> None:
        self.filters.get(account_id, {}).pop(name, None)
        self._bump(account_id)

    def list_filters(self, account_id: str) -> list[IpFilter]:
        return list(self.filters.get(account_id, {}).values())

    def receiving_states(self) -> list[ReceivingState]:
        return [
            ReceivingState(account, generation, self.active.get(account))
            for account, generation in sorted(self.generations.items())
        ]


@dataclass
class FakeTargets:
    buckets: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)

    def bucket_writable(self, bucket: str, prefix: str) -> bool:
        return bucket in self.buckets

    def kms_key_usable(self, key_arn: str) -> bool:
        return key_arn in self.keys

    def topic_exists(self, topic_arn: str) -> bool:
        return topic_arn in self.topics

    def function_invocable(self, function_arn: str) -> bool:
        return function_arn in self.functions


# --- processing ------------------------------------------------------------------------------------


@dataclass
class InMemoryInbound:
    objects: dict[str, bytes] = field(default_factory=dict)

    def store(self, message_id: str, raw: bytes) -> str:
        key = f"inbound/{message_id}"
        self.objects[key] = raw
        return key

    def load(self, key: str) -> bytes:
        return self.objects[key]


@dataclass
class RecordingQueue:
    tasks: list[tuple[ReceiptTask, int]] = field(default_factory=list)

    def enqueue(self, task: ReceiptTask, *, delay_seconds: int = 0) -> None:
        self.tasks.append((task, delay_seconds))


@dataclass
class InMemoryLedger:
    items: dict[tuple[str, str], ReceiptProgress] = field(default_factory=dict)

    def get(self, message_id: str, account_id: str) -> ReceiptProgress | None:
        return self.items.get((message_id, account_id))

    def claim(self, progress: ReceiptProgress, *, now: float, lease_seconds: float) -> ReceiptProgress | None:
        key = (progress.message_id, progress.account_id)
        stored = self.items.get(key)
        if stored is None:
            stored = self.items[key] = replace(progress, version=1, lease_until=now + lease_seconds)
            return stored
        if stored.finished:
            return stored
        if stored.lease_until > now:
            return None
        stored = self.items[key] = replace(
            stored, version=stored.version + 1, lease_until=now + lease_seconds
        )
        return stored

    def save(self, progress: ReceiptProgress) -> bool:
        key = (progress.message_id, progress.account_id)
        stored = self.items.get(key)
        if stored is None or stored.version != progress.version - 1:
            return False
        self.items[key] = progress
        return True


@dataclass
class FakeObjects:
    stored: dict[tuple[str, str], bytes] = field(default_factory=dict)
    encrypted: dict[tuple[str, str], tuple[str, dict[str, str]]] = field(default_factory=dict)
    failures_left: dict[str, int] = field(default_factory=dict)  # bucket -> puts that fail

    def _maybe_fail(self, bucket: str) -> None:
        if self.failures_left.get(bucket, 0) > 0:
            self.failures_left[bucket] -= 1
            raise ActionFailed(f"bucket {bucket} is unavailable")

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self._maybe_fail(bucket)
        self.stored[(bucket, key)] = body

    def put_encrypted(
        self, bucket: str, key: str, body: bytes, *, kms_key_arn: str, context: dict[str, str]
    ) -> None:
        self._maybe_fail(bucket)
        self.stored[(bucket, key)] = body
        self.encrypted[(bucket, key)] = (kms_key_arn, context)


@dataclass
class FakeTopics:
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, topic_arn: str, message: str) -> None:
        self.published.append((topic_arn, json.loads(message)))


@dataclass
class FakeFunctions:
    results: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)

    def exists(self, function_arn: str) -> bool:
        return function_arn in self.results

    def invoke(self, function_arn: str, event: dict[str, Any], *, wait: bool) -> Any:
        self.calls.append((function_arn, event, wait))
        return self.results.get(function_arn) if wait else None


@dataclass
class FakeBounces:
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def send_report(self, account_id: str, to_address: str, report: bytes) -> str:
        self.sent.append((account_id, to_address, report))
        return f"bounce-{len(self.sent)}"


@dataclass
class FakeMetrics:
    points: list[tuple[str, str, str, str]] = field(default_factory=list)

    def publish_failure(self, account_id: str, rule_set: str, rule: str) -> None:
        self.points.append(("PublishFailure", account_id, rule_set, rule))

    def publish_expired(self, account_id: str, rule_set: str, rule: str) -> None:
        self.points.append(("PublishExpired", account_id, rule_set, rule))
