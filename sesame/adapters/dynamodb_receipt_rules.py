"""DynamoDB storage of receipt rule sets, receipt rules and IP address filters.

Table: partition key ``account_id``, sort key ``entry``. Per account:

* ``ruleset#<name>``: the rule set: ``created_at``, ``version`` (grows with every change),
  ``rules`` (the rule names in order) and ``incarnation`` (random, new for every set created).
* ``rule#<set>#<incarnation>#<rule>``: one rule, its v1 JSON in ``rule``. The incarnation in the
  key means a deleted set's leftover rules are never read as those of a new set of that name.
* ``filter#<name>``: an IP address filter (``policy``, ``cidr``).

One more partition, ``#receiving``, holds one item per account (sort key: the account id):
``active_rule_set`` and ``generation``. Every change to an account's rule sets or filters adds 1
to its generation in the same transaction, so the MX reads this one partition per connection
and reloads only the accounts whose generation moved.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.receiving.rule_model import (
    FilterPolicy,
    IpFilter,
    ReceiptRule,
    RuleSet,
    RuleSetSummary,
    rule_from_wire,
    rule_to_wire,
)
from sesame.domain.receiving.rule_ports import (
    ActiveRuleSet,
    FilterExists,
    ReceivingState,
    RuleSetExists,
    RuleSetMissing,
    StaleRuleSet,
    StoredRuleSet,
)

REGISTRY = "#receiving"
_SET = "ruleset#"
_RULE = "rule#"
_FILTER = "filter#"
_BATCH = 25


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": repr(int(value)) if float(value).is_integer() else repr(float(value))}


def _cancelled_because(error: ClientError) -> list[str]:
    """The per-item cancellation reasons of a cancelled transaction ('' for items that were fine)."""
    reasons = error.response.get("CancellationReasons") or []
    if not reasons:
        # Older moto and some SDKs only put them in the message: "... [None, ConditionalCheckFailed]".
        message = str(error.response.get("Error", {}).get("Message", ""))
        inside = message[message.find("[") + 1 : message.rfind("]")] if "[" in message else ""
        return [part.strip() if part.strip() != "None" else "" for part in inside.split(",")]
    return [str(reason.get("Code", "")) if reason.get("Code") != "None" else "" for reason in reasons]


def _is_cancelled(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "TransactionCanceledException")


class DynamoReceiptRuleRepository:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    # --- keys and items ----------------------------------------------------------------------------

    def _key(self, account_id: str, entry: str) -> dict[str, Any]:
        return {"account_id": _s(account_id), "entry": _s(entry)}

    def _bump(self, account_id: str, **extra: Any) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(REGISTRY, account_id),
            "UpdateExpression": "ADD generation :one",
            "ExpressionAttributeValues": {":one": _n(1)},
        }
        update.update(extra)
        return {"Update": update}

    @staticmethod
    def _rule_prefix(name: str, incarnation: str) -> str:
        return f"{_RULE}{name}#{incarnation}#"

    def _rule_item(self, account_id: str, name: str, incarnation: str, rule: ReceiptRule) -> dict[str, Any]:
        return {
            **self._key(account_id, self._rule_prefix(name, incarnation) + rule.name),
            "rule": _s(json.dumps(rule_to_wire(rule), separators=(",", ":"))),
        }

    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        request = {"TableName": self._table, "ConsistentRead": True, **request}
        while True:
            page = self._ddb.query(**request)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return
            request["ExclusiveStartKey"] = start

    def _prefixed(self, account_id: str, prefix: str) -> Iterator[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="account_id = :a AND begins_with(entry, :p)",
            ExpressionAttributeValues={":a": _s(account_id), ":p": _s(prefix)},
        )

    def _write_batches(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _BATCH):
            pending: dict[str, Any] = {self._table: requests[start : start + _BATCH]}
            for _ in range(8):
                answer = self._ddb.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB kept leaving receipt rule writes unprocessed")

    # --- rule sets -----------------------------------------------------------------------------------

    def create_rule_set(self, account_id: str, rule_set: RuleSet) -> None:
        incarnation = secrets.token_hex(8)
        # The rules first, under the new incarnation nobody reads yet; then the set that names them.
        self._write_batches(
            [
                {"PutRequest": {"Item": self._rule_item(account_id, rule_set.name, incarnation, rule)}}
                for rule in rule_set.rules
            ]
        )
        item = {
            **self._key(account_id, _SET + rule_set.name),
            "created_at": _n(rule_set.created_at),
            "version": _n(1),
            "incarnation": _s(incarnation),
            "rules": {"L": [_s(rule.name) for rule in rule_set.rules]},
        }
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(entry)",
                        }
                    },
                    self._bump(account_id),
                ]
            )
        except ClientError as error:
            if _is_cancelled(error) and _cancelled_because(error)[:1] == ["ConditionalCheckFailed"]:
                raise RuleSetExists(rule_set.name) from None
            raise

    def get_rule_set(self, account_id: str, name: str) -> StoredRuleSet | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(account_id, _SET + name), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        order = [value["S"] for value in item.get("rules", {}).get("L", [])]
        prefix = self._rule_prefix(name, item["incarnation"]["S"])
        stored: dict[str, ReceiptRule] = {}
        if order:
            for rule_item in self._prefixed(account_id, prefix):
                rule = rule_from_wire(json.loads(rule_item["rule"]["S"]))
                stored[rule.name] = rule
        rules = tuple(stored[rule_name] for rule_name in order if rule_name in stored)
        return StoredRuleSet(
            rule_set=RuleSet(name=name, created_at=float(item["created_at"]["N"]), rules=rules),
            version=int(item["version"]["N"]),
        )

    def list_rule_sets(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[RuleSetSummary], bool]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "KeyConditionExpression": "account_id = :a AND begins_with(entry, :p)",
            "ExpressionAttributeValues": {":a": _s(account_id), ":p": _s(_SET)},
            "ProjectionExpression": "entry, created_at",
        }
        if after is not None:
            request["ExclusiveStartKey"] = self._key(account_id, _SET + after)
        found: list[RuleSetSummary] = []
        while len(found) <= limit:
            page = self._ddb.query(Limit=limit + 1 - len(found), **request)
            for item in page.get("Items", []):
                found.append(
                    RuleSetSummary(
                        name=item["entry"]["S"][len(_SET) :], created_at=float(item["created_at"]["N"])
                    )
                )
            start = page.get("LastEvaluatedKey")
            if not start:
                break
            request["ExclusiveStartKey"] = start
        return found[:limit], len(found) > limit

    def count_rule_sets(self, account_id: str) -> int:
        total = 0
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :a AND begins_with(entry, :p)",
            "ExpressionAttributeValues": {":a": _s(account_id), ":p": _s(_SET)},
            "Select": "COUNT",
        }
        while True:
            page = self._ddb.query(**request)
            total += int(page.get("Count", 0))
            start = page.get("LastEvaluatedKey")
            if not start:
                return total
            request["ExclusiveStartKey"] = start

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
        item = self._ddb.get_item(
            TableName=self._table,
            Key=self._key(account_id, _SET + name),
            ConsistentRead=True,
            ProjectionExpression="incarnation",
        ).get("Item")
        if item is None:
            raise StaleRuleSet(name)
        incarnation = item["incarnation"]["S"]
        by_name = {rule.name: rule for rule in rules}
        transaction: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(account_id, _SET + name),
                    "UpdateExpression": "SET #rules = :rules, version = version + :one",
                    "ConditionExpression": "version = :expected AND incarnation = :incarnation",
                    "ExpressionAttributeNames": {"#rules": "rules"},
                    "ExpressionAttributeValues": {
                        ":rules": {"L": [_s(rule.name) for rule in rules]},
                        ":one": _n(1),
                        ":expected": _n(expected_version),
                        ":incarnation": _s(incarnation),
                    },
                }
            },
            self._bump(account_id),
        ]
        for rule_name in written:
            transaction.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._rule_item(account_id, name, incarnation, by_name[rule_name]),
                    }
                }
            )
        for rule_name in removed:
            key = self._key(account_id, self._rule_prefix(name, incarnation) + rule_name)
            transaction.append({"Delete": {"TableName": self._table, "Key": key}})
        try:
            self._ddb.transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if _is_cancelled(error) and _cancelled_because(error)[:1] == ["ConditionalCheckFailed"]:
                raise StaleRuleSet(name) from None
            raise

    def delete_rule_set(self, account_id: str, name: str) -> None:
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(account_id, _SET + name), ConsistentRead=True
        ).get("Item")
        if item is None:
            return
        active_check = self._bump(
            account_id,
            ConditionExpression="attribute_not_exists(active_rule_set) OR active_rule_set <> :name",
        )
        active_check["Update"]["ExpressionAttributeValues"][":name"] = _s(name)
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self._table, "Key": self._key(account_id, _SET + name)}},
                    active_check,
                ]
            )
        except ClientError as error:
            if _is_cancelled(error) and "ConditionalCheckFailed" in _cancelled_because(error)[1:2]:
                raise ActiveRuleSet(name) from None
            raise
        # The rules are unreachable now (their incarnation is gone); removing them is tidying up.
        prefix = self._rule_prefix(name, item["incarnation"]["S"])
        self._write_batches(
            [
                {"DeleteRequest": {"Key": self._key(account_id, rule_item["entry"]["S"])}}
                for rule_item in self._prefixed(account_id, prefix)
            ]
        )

    def active_rule_set(self, account_id: str) -> str | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(REGISTRY, account_id), ConsistentRead=True
        ).get("Item")
        if item is None or "active_rule_set" not in item:
            return None
        return str(item["active_rule_set"]["S"])

    def set_active_rule_set(self, account_id: str, name: str | None) -> None:
        if name is None:
            self._ddb.transact_write_items(
                TransactItems=[
                    self._bump(account_id, UpdateExpression="REMOVE active_rule_set ADD generation :one")
                ]
            )
            return
        activate = self._bump(account_id, UpdateExpression="SET active_rule_set = :name ADD generation :one")
        activate["Update"]["ExpressionAttributeValues"][":name"] = _s(name)
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": self._key(account_id, _SET + name),
                            "ConditionExpression": "attribute_exists(entry)",
                        }
                    },
                    activate,
                ]
            )
        except ClientError as error:
            if _is_cancelled(error) and _cancelled_because(error)[:1] == ["ConditionalCheckFailed"]:
                raise RuleSetMissing(name) from None
            raise

    # --- filters -------------------------------------------------------------------------------------

    def create_filter(self, account_id: str, ip_filter: IpFilter) -> None:
        item = {
            **self._key(account_id, _FILTER + ip_filter.name),
            "policy": _s(ip_filter.policy.value),
            "cidr": _s(ip_filter.cidr),
        }
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(entry)",
                        }
                    },
                    self._bump(account_id),
                ]
            )
        except ClientError as error:
            if _is_cancelled(error) and _cancelled_because(error)[:1] == ["ConditionalCheckFailed"]:
                raise FilterExists(ip_filter.name) from None
            raise

    def delete_filter(self, account_id: str, name: str) -> None:
        self._ddb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": self._table, "Key": self._key(account_id, _FILTER + name)}},
                self._bump(account_id),
            ]
        )

    def list_filters(self, account_id: str) -> list[IpFilter]:
        return [
            IpFilter(
                name=item["entry"]["S"][len(_FILTER) :],
                policy=FilterPolicy(item["policy"]["S"]),
                cidr=item["cidr"]["S"],
            )
            for item in self._prefixed(account_id, _FILTER)
        ]

    # --- the registry --------------------------------------------------------------------------------

    def receiving_states(self) -> list[ReceivingState]:
        return [
            ReceivingState(
                account_id=item["entry"]["S"],
                generation=int(item.get("generation", {"N": "0"})["N"]),
                active_rule_set=item["active_rule_set"]["S"] if "active_rule_set" in item else None,
            )
            for item in self._query(
                KeyConditionExpression="account_id = :r", ExpressionAttributeValues={":r": _s(REGISTRY)}
            )
        ]
