"""Receipt rule sets, receipt rules and IP address filters of each account, as SES manages them.

Every change to a rule set is a read, a change in memory and a write conditioned on the version
that was read, retried a few times when another change got there first. The resources a rule's
actions name are checked before the rule is stored, as SES checks them: the bucket must take a
test object, the key must exist, the topic and the function must exist.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence

from sesame.domain.errors import (
    AlreadyExists,
    CannotDelete,
    ConcurrentModification,
    InvalidLambdaFunction,
    InvalidNextToken,
    InvalidParameterValue,
    InvalidS3Configuration,
    InvalidSnsTopic,
    LimitExceeded,
    RuleDoesNotExist,
    RuleSetDoesNotExist,
)
from sesame.domain.receiving.rule_model import (
    MAX_FILTERS,
    MAX_RULE_SETS,
    MAX_RULES_PER_SET,
    IpFilter,
    LambdaAction,
    ReceiptRule,
    RuleSet,
    RuleSetSummary,
    S3Action,
    action_topic,
    check_filter,
    check_rule,
    check_rule_set_name,
)
from sesame.domain.receiving.rule_ports import (
    ActiveRuleSet,
    FilterExists,
    ReceiptRuleRepository,
    ReceivingTargets,
    RuleSetExists,
    RuleSetMissing,
    StaleRuleSet,
    StoredRuleSet,
)

PAGE_SIZE = 100
_ATTEMPTS = 5


def _no_rule_set(name: str) -> RuleSetDoesNotExist:
    return RuleSetDoesNotExist(f"Rule set does not exist: {name}")


def _no_rule(name: str) -> RuleDoesNotExist:
    return RuleDoesNotExist(f"Rule does not exist: {name}")


def _insert_after(rules: list[ReceiptRule], rule: ReceiptRule, after: str | None) -> list[ReceiptRule]:
    """``rules`` with ``rule`` placed after the rule named ``after`` (None: first)."""
    if after is None:
        return [rule, *rules]
    names = [r.name for r in rules]
    if after not in names:
        raise _no_rule(after)
    position = names.index(after) + 1
    return [*rules[:position], rule, *rules[position:]]


class ReceiptRuleService:
    def __init__(
        self,
        *,
        repository: ReceiptRuleRepository,
        targets: ReceivingTargets,
        clock: Callable[[], float],
    ) -> None:
        self._repo = repository
        self._targets = targets
        self._clock = clock

    # --- rule sets --------------------------------------------------------------------------------

    def create_rule_set(self, account_id: str, name: str) -> None:
        self._create(account_id, RuleSet(name=check_rule_set_name(name), created_at=self._clock()))

    def clone_rule_set(self, account_id: str, name: str, original: str) -> None:
        check_rule_set_name(name)
        source = self._rule_set(account_id, original).rule_set
        self._create(account_id, RuleSet(name=name, created_at=self._clock(), rules=source.rules))

    def _create(self, account_id: str, rule_set: RuleSet) -> None:
        if self._repo.count_rule_sets(account_id) >= MAX_RULE_SETS:
            raise LimitExceeded(f"An account can have at most {MAX_RULE_SETS} receipt rule sets.")
        try:
            self._repo.create_rule_set(account_id, rule_set)
        except RuleSetExists:
            raise AlreadyExists(f"Rule set already exists: {rule_set.name}") from None

    def delete_rule_set(self, account_id: str, name: str) -> None:
        try:
            self._repo.delete_rule_set(account_id, name)
        except ActiveRuleSet:
            raise CannotDelete(f"Cannot delete active rule set: {name}") from None

    def describe_rule_set(self, account_id: str, name: str) -> RuleSet:
        return self._rule_set(account_id, name).rule_set

    def list_rule_sets(
        self, account_id: str, next_token: str | None = None
    ) -> tuple[list[RuleSetSummary], str | None]:
        after = _decode_token(next_token) if next_token else None
        items, more = self._repo.list_rule_sets(account_id, after=after, limit=PAGE_SIZE)
        return items, (_encode_token(items[-1].name) if more and items else None)

    def set_active_rule_set(self, account_id: str, name: str | None) -> None:
        try:
            self._repo.set_active_rule_set(account_id, name or None)
        except RuleSetMissing:
            raise _no_rule_set(str(name)) from None

    def describe_active_rule_set(self, account_id: str) -> RuleSet | None:
        name = self._repo.active_rule_set(account_id)
        if name is None:
            return None
        found = self._repo.get_rule_set(account_id, name)
        return None if found is None else found.rule_set

    def reorder_rule_set(self, account_id: str, name: str, rule_names: Sequence[str]) -> None:
        def reorder(rules: list[ReceiptRule]) -> tuple[list[ReceiptRule], list[str], list[str]]:
            by_name = {rule.name: rule for rule in rules}
            for rule_name in rule_names:
                if rule_name not in by_name:
                    raise _no_rule(rule_name)
            if len(set(rule_names)) != len(rule_names) or len(rule_names) != len(rules):
                raise InvalidParameterValue("Reordering a rule set must name each of its rules exactly once.")
            return [by_name[n] for n in rule_names], [], []

        self._change(account_id, name, reorder)

    # --- rules -----------------------------------------------------------------------------------

    def create_rule(self, account_id: str, rule_set: str, rule: ReceiptRule, after: str | None) -> None:
        rule = check_rule(rule)

        def create(rules: list[ReceiptRule]) -> tuple[list[ReceiptRule], list[str], list[str]]:
            if any(r.name == rule.name for r in rules):
                raise AlreadyExists(f"Rule already exists: {rule.name}")
            placed = _insert_after(rules, rule, after)
            if len(placed) > MAX_RULES_PER_SET:
                raise LimitExceeded(f"A receipt rule set can have at most {MAX_RULES_PER_SET} rules.")
            return placed, [rule.name], []

        self._change(account_id, rule_set, create, before_write=lambda: self._check_targets(rule))

    def update_rule(self, account_id: str, rule_set: str, rule: ReceiptRule) -> None:
        rule = check_rule(rule)

        def update(rules: list[ReceiptRule]) -> tuple[list[ReceiptRule], list[str], list[str]]:
            names = [r.name for r in rules]
            if rule.name not in names:
                raise _no_rule(rule.name)
            rules[names.index(rule.name)] = rule
            return rules, [rule.name], []

        self._change(account_id, rule_set, update, before_write=lambda: self._check_targets(rule))

    def delete_rule(self, account_id: str, rule_set: str, rule_name: str) -> None:
        def delete(rules: list[ReceiptRule]) -> tuple[list[ReceiptRule], list[str], list[str]]:
            if not any(r.name == rule_name for r in rules):
                return rules, [], []  # SES answers success for a rule that is not there
            return [r for r in rules if r.name != rule_name], [], [rule_name]

        self._change(account_id, rule_set, delete)

    def describe_rule(self, account_id: str, rule_set: str, rule_name: str) -> ReceiptRule:
        rule = self._rule_set(account_id, rule_set).rule_set.rule(rule_name)
        if rule is None:
            raise _no_rule(rule_name)
        return rule

    def set_rule_position(self, account_id: str, rule_set: str, rule_name: str, after: str | None) -> None:
        def move(rules: list[ReceiptRule]) -> tuple[list[ReceiptRule], list[str], list[str]]:
            rule = next((r for r in rules if r.name == rule_name), None)
            if rule is None:
                raise _no_rule(rule_name)
            if after == rule_name:
                raise InvalidParameterValue("A rule cannot be placed after itself.")
            return _insert_after([r for r in rules if r.name != rule_name], rule, after), [], []

        self._change(account_id, rule_set, move)

    # --- IP address filters ------------------------------------------------------------------------

    def create_filter(self, account_id: str, ip_filter: IpFilter) -> None:
        check_filter(ip_filter)
        if len(self._repo.list_filters(account_id)) >= MAX_FILTERS:
            raise LimitExceeded(f"An account can have at most {MAX_FILTERS} IP address filters.")
        try:
            self._repo.create_filter(account_id, ip_filter)
        except FilterExists:
            raise AlreadyExists(f"Filter already exists: {ip_filter.name}") from None

    def delete_filter(self, account_id: str, name: str) -> None:
        self._repo.delete_filter(account_id, name)

    def list_filters(self, account_id: str) -> list[IpFilter]:
        return sorted(self._repo.list_filters(account_id), key=lambda f: f.name)

    # --- internals ---------------------------------------------------------------------------------

    def _rule_set(self, account_id: str, name: str) -> StoredRuleSet:
        found = self._repo.get_rule_set(account_id, name)
        if found is None:
            raise _no_rule_set(name)
        return found

    def _change(
        self,
        account_id: str,
        name: str,
        change: Callable[[list[ReceiptRule]], tuple[list[ReceiptRule], list[str], list[str]]],
        *,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        """Read the set, apply ``change`` (new rule list, rules to write, rules to drop), write it
        conditioned on the version read; retried when another change came first."""
        checked = False
        for _ in range(_ATTEMPTS):
            stored = self._rule_set(account_id, name)
            rules, written, removed = change(list(stored.rule_set.rules))
            if (
                not written
                and not removed
                and [r.name for r in rules] == [r.name for r in stored.rule_set.rules]
            ):
                return
            if before_write is not None and not checked:
                before_write()
                checked = True
            try:
                self._repo.save_rules(
                    account_id,
                    name,
                    rules,
                    written=written,
                    removed=removed,
                    expected_version=stored.version,
                )
                return
            except StaleRuleSet:
                continue
        raise ConcurrentModification(f"Rule set {name} kept changing; try again.")

    def _check_targets(self, rule: ReceiptRule) -> None:
        targets = self._targets
        for action in rule.actions:
            if isinstance(action, S3Action):
                if action.kms_key_arn and not targets.kms_key_usable(action.kms_key_arn):
                    raise InvalidS3Configuration(f"Could not use KMS key: {action.kms_key_arn}")
                if not targets.bucket_writable(action.bucket_name, action.object_key_prefix):
                    raise InvalidS3Configuration(f"Could not write to bucket: {action.bucket_name}")
            elif isinstance(action, LambdaAction) and not targets.function_invocable(action.function_arn):
                raise InvalidLambdaFunction(f"Could not invoke Lambda function: {action.function_arn}")
            topic = action_topic(action)
            if topic is not None and not targets.topic_exists(topic):
                raise InvalidSnsTopic(f"Invalid SNS topic: {topic}")


def _encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode("utf-8")).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidNextToken("Invalid NextToken.") from None
