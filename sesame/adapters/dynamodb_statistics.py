"""DynamoDB storage of send statistics: one item per account and 15-minute interval.

Item layout (key ``account_id`` + ``bucket``): ``bucket`` is the interval's start in epoch
seconds, zero-padded to 12 digits so that the sort key orders intervals by time; the counters
``delivery_attempts``, ``bounces``, ``complaints``, ``rejects`` grow by ADD (atomic, no read);
``expires_at`` is the DynamoDB TTL.
"""

from __future__ import annotations

from typing import Any

from sesame.domain.send_statistics import SendCounts, SendDataPoint

_COUNTERS = ("delivery_attempts", "bounces", "complaints", "rejects")


def bucket_key(interval_start: int) -> str:
    return f"{interval_start:012d}"


class DynamoStatisticsStore:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def add(self, account_id: str, interval_start: int, counts: SendCounts, expires_at: int) -> None:
        names = {"#exp": "expires_at"}
        values: dict[str, Any] = {":exp": {"N": str(expires_at)}}
        additions = []
        for i, counter in enumerate(_COUNTERS):
            amount = getattr(counts, counter)
            if amount:
                names[f"#c{i}"] = counter
                values[f":c{i}"] = {"N": str(amount)}
                additions.append(f"#c{i} :c{i}")
        if not additions:
            return
        self._ddb.update_item(
            TableName=self._table,
            Key={"account_id": {"S": account_id}, "bucket": {"S": bucket_key(interval_start)}},
            UpdateExpression="SET #exp = :exp ADD " + ", ".join(additions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def since(self, account_id: str, first_interval: int) -> list[SendDataPoint]:
        points: list[SendDataPoint] = []
        paginator = self._ddb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="account_id = :a AND #b >= :first",
            ExpressionAttributeNames={"#b": "bucket"},
            ExpressionAttributeValues={":a": {"S": account_id}, ":first": {"S": bucket_key(first_interval)}},
        )
        for page in pages:
            for item in page.get("Items", []):
                counts = SendCounts(
                    **{name: int(item[name]["N"]) if name in item else 0 for name in _COUNTERS}
                )
                points.append(SendDataPoint(interval_start=int(item["bucket"]["S"]), counts=counts))
        return points
