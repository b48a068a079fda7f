"""Ports of the receipt rule service: where rule sets and filters are stored, and how the
resources that actions name (buckets, keys, topics, functions) are checked at rule creation.

Adapters: ``sesame.adapters.dynamodb_receipt_rules`` and ``sesame.adapters.receiving_targets``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sesame.domain.receiving.rule_model import IpFilter, ReceiptRule, RuleSet, RuleSetSummary


class RuleSetExists(Exception):
    pass


class RuleSetMissing(Exception):
    pass


class StaleRuleSet(Exception):
    """The rule set changed (or went away) since it was read."""


class ActiveRuleSet(Exception):
    """The rule set is the account's active one and so cannot be deleted."""


class FilterExists(Exception):
    pass


@dataclass(frozen=True)
class StoredRuleSet:
    rule_set: RuleSet
    version: int  # grows with every change; writes name the version they were based on


@dataclass(frozen=True)
class ReceivingState:
    """One account's entry in the receiving registry: the MX reloads an account's rules and
    filters only when its generation moved."""

    account_id: str
    generation: int
    active_rule_set: str | None


class ReceiptRuleRepository(Protocol):
    def create_rule_set(self, account_id: str, rule_set: RuleSet) -> None:
        """Store a new rule set with its rules; RuleSetExists if the name is taken."""
        ...

    def get_rule_set(self, account_id: str, name: str) -> StoredRuleSet | None: ...

    def list_rule_sets(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[RuleSetSummary], bool]:
        """Rule sets in name order after ``after``; True when more follow."""
        ...

    def count_rule_sets(self, account_id: str) -> int: ...

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
        """Replace the set's rule list (and order) with ``rules``, writing the rules named in
        ``written`` and dropping those in ``removed``; StaleRuleSet if the set's version is no
        longer ``expected_version``."""
        ...

    def delete_rule_set(self, account_id: str, name: str) -> None:
        """ActiveRuleSet if it is the active set; nothing happens for an unknown name."""
        ...

    def active_rule_set(self, account_id: str) -> str | None: ...

    def set_active_rule_set(self, account_id: str, name: str | None) -> None:
        """Make ``name`` the active set (None: none); RuleSetMissing if it does not exist."""
        ...

    def create_filter(self, account_id: str, ip_filter: IpFilter) -> None:
        """FilterExists if the name is taken."""
        ...

    def delete_filter(self, account_id: str, name: str) -> None: ...

    def list_filters(self, account_id: str) -> list[IpFilter]: ...

    def receiving_states(self) -> list[ReceivingState]:
        """Every account that has configured receiving, with its generation: one read."""
        ...


class ReceivingTargets(Protocol):
    """Whether the resources a rule's actions name can be used, checked as SES checks them
    when a rule is created or updated."""

    def bucket_writable(self, bucket: str, prefix: str) -> bool: ...

    def kms_key_usable(self, key_arn: str) -> bool: ...

    def topic_exists(self, topic_arn: str) -> bool: ...

    def function_invocable(self, function_arn: str) -> bool: ...
