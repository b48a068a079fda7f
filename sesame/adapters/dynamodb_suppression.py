"""DynamoDB storage of the account-level suppression list.

Item layout (key ``account_id`` + ``address``): ``address`` is the canonical address (the domain
in lower case); ``reason`` (BOUNCE or COMPLAINT), ``last_update_time`` (epoch seconds) and,
for entries a bounce or complaint added, ``message_id`` and ``feedback_id``. Entries do not
expire: they stay until deleted, as in SES.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sesame.domain.suppression import SuppressedDestination, SuppressionFilter, SuppressionReason

# BatchGetItem takes at most 100 keys; unprocessed keys are retried this many times.
_BATCH_KEYS = 100
_BATCH_RETRIES = 8


class DynamoSuppressionRepository:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    @staticmethod
    def _key(account_id: str, address: str) -> dict[str, Any]:
        return {"account_id": {"S": account_id}, "address": {"S": address}}

    def put(self, account_id: str, entry: SuppressedDestination) -> None:
        item = {
            **self._key(account_id, entry.email_address),
            "reason": {"S": entry.reason.value},
            "last_update_time": {"N": str(Decimal(str(entry.last_update_time)))},
        }
        if entry.message_id:
            item["message_id"] = {"S": entry.message_id}
        if entry.feedback_id:
            item["feedback_id"] = {"S": entry.feedback_id}
        self._ddb.put_item(TableName=self._table, Item=item)

    def get(self, account_id: str, address: str) -> SuppressedDestination | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(account_id, address), ConsistentRead=True
        ).get("Item")
        return None if item is None else _entry(item)

    def delete(self, account_id: str, address: str) -> bool:
        answer = self._ddb.delete_item(
            TableName=self._table, Key=self._key(account_id, address), ReturnValues="ALL_OLD"
        )
        return "Attributes" in answer

    def list_page(
        self, account_id: str, *, where: SuppressionFilter, after: str | None, limit: int
    ) -> tuple[list[SuppressedDestination], bool]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {":acct": {"S": account_id}}
        condition = "account_id = :acct"
        if after is not None:
            names["#a"] = "address"
            condition += " AND #a > :after"
            values[":after"] = {"S": after}
        filters = []
        if where.reasons is not None:
            if not where.reasons:
                return [], False
            names["#r"] = "reason"
            placeholders = []
            for i, reason in enumerate(sorted(where.reasons)):
                values[f":r{i}"] = {"S": reason.value}
                placeholders.append(f":r{i}")
            filters.append(f"#r IN ({', '.join(placeholders)})")
        if where.start is not None:
            names["#u"] = "last_update_time"
            values[":start"] = {"N": str(Decimal(str(where.start)))}
            filters.append("#u >= :start")
        if where.end is not None:
            names["#u"] = "last_update_time"
            values[":end"] = {"N": str(Decimal(str(where.end)))}
            filters.append("#u <= :end")
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        collected: list[SuppressedDestination] = []
        # One more than asked for tells whether another page exists, so the last page never
        # carries a NextToken leading to an empty page.
        while len(collected) <= limit:
            request["Limit"] = limit + 1 - len(collected)
            answer = self._ddb.query(**request)
            collected.extend(_entry(item) for item in answer.get("Items", []))
            last = answer.get("LastEvaluatedKey")
            if last is None:
                break
            request["ExclusiveStartKey"] = last
        return collected[:limit], len(collected) > limit

    def get_many(self, account_id: str, addresses: Collection[str]) -> dict[str, SuppressedDestination]:
        found: dict[str, SuppressedDestination] = {}
        ordered = sorted(set(addresses))
        for offset in range(0, len(ordered), _BATCH_KEYS):
            keys = [self._key(account_id, a) for a in ordered[offset : offset + _BATCH_KEYS]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(_BATCH_RETRIES):
                answer = self._ddb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    entry = _entry(item)
                    found[entry.email_address] = entry
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))  # DynamoDB asks callers to back off
            else:
                raise RuntimeError("the suppression list could not be read: keys left unprocessed")
        return found


def _entry(item: dict[str, Any]) -> SuppressedDestination:
    message_id = item.get("message_id", {}).get("S")
    feedback_id = item.get("feedback_id", {}).get("S")
    return SuppressedDestination(
        email_address=item["address"]["S"],
        reason=SuppressionReason(item["reason"]["S"]),
        last_update_time=float(item["last_update_time"]["N"]),
        message_id=message_id,
        feedback_id=feedback_id,
    )
