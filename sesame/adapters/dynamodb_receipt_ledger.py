"""DynamoDB storage of each received message's progress through one account's actions.

Table: partition key ``message_id``, sort key ``account_id``. Writes are whole-item puts guarded
by ``version``; a worker works on an item only while its lease (``lease_until``) runs, so two
workers never run the same message's actions at once. Items carry an ``expires_at`` epoch
(DynamoDB TTL in AWS): kept a day past the retry window, long enough for SendBounce's 24 hours.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.receiving.inbound import Position, ReceiptProgress

_KEEP_AFTER_RECEIPT = 5 * 24 * 3600


def _n(value: float) -> dict[str, str]:
    return {"N": repr(int(value)) if float(value).is_integer() else repr(float(value))}


def _conditional_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def to_item(progress: ReceiptProgress) -> dict[str, Any]:
    item: dict[str, Any] = {
        "message_id": {"S": progress.message_id},
        "account_id": {"S": progress.account_id},
        "received_at": _n(progress.received_at),
        "mail_from": {"S": progress.mail_from},
        "recipients": {"S": json.dumps(list(progress.recipients))},
        "object_key": {"S": progress.object_key},
        "rule_set": {"S": progress.rule_set},
        "rule_index": _n(progress.position.rule),
        "action_index": _n(progress.position.action),
        "added_headers": {"S": json.dumps([list(h) for h in progress.added_headers])},
        "verdict_headers": {"S": json.dumps([list(h) for h in progress.verdict_headers])},
        "finished": {"BOOL": progress.finished},
        "version": _n(progress.version),
        "lease_until": _n(progress.lease_until),
        "expires_at": _n(int(progress.received_at) + _KEEP_AFTER_RECEIPT),
    }
    if progress.verdict_fields is not None:
        item["verdict_fields"] = {"S": json.dumps(progress.verdict_fields)}
    return item


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in json.loads(text))


def from_item(item: dict[str, Any]) -> ReceiptProgress:
    return ReceiptProgress(
        message_id=item["message_id"]["S"],
        account_id=item["account_id"]["S"],
        received_at=float(item["received_at"]["N"]),
        mail_from=item["mail_from"]["S"],
        recipients=tuple(json.loads(item["recipients"]["S"])),
        object_key=item["object_key"]["S"],
        rule_set=item["rule_set"]["S"],
        position=Position(int(item["rule_index"]["N"]), int(item["action_index"]["N"])),
        added_headers=_pairs(item["added_headers"]["S"]),
        verdict_fields=json.loads(item["verdict_fields"]["S"]) if "verdict_fields" in item else None,
        verdict_headers=_pairs(item["verdict_headers"]["S"]),
        finished=bool(item["finished"]["BOOL"]),
        version=int(item["version"]["N"]),
        lease_until=float(item["lease_until"]["N"]),
    )


class DynamoReceiptLedger:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def get(self, message_id: str, account_id: str) -> ReceiptProgress | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"message_id": {"S": message_id}, "account_id": {"S": account_id}},
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else from_item(item)

    def claim(self, progress: ReceiptProgress, *, now: float, lease_seconds: float) -> ReceiptProgress | None:
        stored = self.get(progress.message_id, progress.account_id)
        if stored is None:
            fresh = replace(progress, version=1, lease_until=now + lease_seconds)
            try:
                self._ddb.put_item(
                    TableName=self._table,
                    Item=to_item(fresh),
                    ConditionExpression="attribute_not_exists(message_id)",
                )
                return fresh
            except ClientError as error:
                if not _conditional_failure(error):
                    raise
            stored = self.get(progress.message_id, progress.account_id)
            if stored is None:
                return None
        if stored.finished:
            return stored
        if stored.lease_until > now:
            return None
        leased = replace(stored, version=stored.version + 1, lease_until=now + lease_seconds)
        return leased if self.save(leased) else None

    def save(self, progress: ReceiptProgress) -> bool:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=to_item(progress),
                ConditionExpression="version = :previous",
                ExpressionAttributeValues={":previous": _n(progress.version - 1)},
            )
        except ClientError as error:
            if _conditional_failure(error):
                return False
            raise
        return True
