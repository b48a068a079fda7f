"""DynamoDB storage of sending-quota counters: one item per account in the quotas table.

Item layout (key ``account_id`` + ``window`` = ``"usage"``):

- ``r<start>``: recipients reserved in the rate window starting at epoch second ``start``;
  past windows are removed by the next reservation.
- ``d<start>``: recipients counted toward the 24-hour quota in the bucket starting at ``start``.
- ``total``: the sum of the ``d`` attributes, changed in the same update as they are, so that
  a single condition (``total <= ceiling``) checks the quota.
- ``expires_at``: DynamoDB TTL; pushed forward by every reservation.

Every reservation is one UpdateItem whose condition carries all its checks, so it is atomic
with no transaction and no lock; the item stays small (about 150 buckets at most) and its
consistent read costs one read unit.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.quotas import QuotaUsage, UsageChange

USAGE_WINDOW = "usage"


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class DynamoQuotaStore:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def _key(self, account_id: str) -> dict[str, Any]:
        return {"account_id": {"S": account_id}, "window": {"S": USAGE_WINDOW}}

    def load(self, account_id: str) -> QuotaUsage:
        item = self._ddb.get_item(TableName=self._table, Key=self._key(account_id), ConsistentRead=True).get(
            "Item"
        )
        if item is None:
            return QuotaUsage()
        windows: dict[int, int] = {}
        buckets: dict[int, int] = {}
        for name, value in item.items():
            kind, start = name[:1], name[1:]
            if kind in ("r", "d") and start.isdigit() and "N" in value:
                (windows if kind == "r" else buckets)[int(start)] = int(value["N"])
        total = int(item["total"]["N"]) if "total" in item else 0
        return QuotaUsage(rate_windows=windows, daily_buckets=buckets, total=total)

    def apply(self, account_id: str, change: UsageChange) -> bool:
        names: dict[str, str] = {"#exp": "expires_at"}
        values: dict[str, Any] = {":exp": _n(change.expires_at)}
        additions: list[str] = []
        removals: list[str] = []
        conditions: list[str] = []

        for i, (start, units) in enumerate(sorted(change.rate_additions.items())):
            names[f"#r{i}"] = f"r{start}"
            values[f":r{i}"] = _n(units)
            additions.append(f"#r{i} :r{i}")
            ceiling = change.rate_ceilings.get(start)
            if ceiling is not None:
                values[f":rc{i}"] = _n(ceiling)
                conditions.append(f"(attribute_not_exists(#r{i}) OR #r{i} <= :rc{i})")
        for i, start in enumerate(change.stale_windows):
            names[f"#s{i}"] = f"r{start}"
            removals.append(f"#s{i}")
        for i, (start, held) in enumerate(sorted(change.dropped_buckets.items())):
            names[f"#x{i}"] = f"d{start}"
            values[f":x{i}"] = _n(held)
            removals.append(f"#x{i}")
            conditions.append(f"#x{i} = :x{i}")
        if change.daily_bucket is not None and change.daily_units:
            names["#d"] = f"d{change.daily_bucket}"
            values[":d"] = _n(change.daily_units)
            additions.append("#d :d")
        if change.total_delta or change.total_ceiling is not None:
            names["#t"] = "total"
        if change.total_delta:
            values[":t"] = _n(change.total_delta)
            additions.append("#t :t")
        if change.total_ceiling is not None:
            values[":tc"] = _n(change.total_ceiling)
            conditions.append("(attribute_not_exists(#t) OR #t <= :tc)")

        expression = "SET #exp = :exp"
        if additions:
            expression += " ADD " + ", ".join(additions)
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(account_id),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if conditions:
            request["ConditionExpression"] = " AND ".join(conditions)
        try:
            self._ddb.update_item(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
