"""The per-recipient delivery ledger in DynamoDB: one item per (message_id, recipient).

Every state change is a conditional write, so two workers holding copies of one queue message
(SQS delivers at least once) cannot both send to a recipient, and a final outcome is never
replaced. Items expire (TTL) well after the longest a message can stay in delivery.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.sending.model import RecipientResult, ResultKind
from sesame.domain.sending.ports import LedgerEntry, LedgerState

_FINAL = {ResultKind.DELIVERED: LedgerState.DELIVERED, ResultKind.BOUNCED: LedgerState.BOUNCED}
_RETENTION_SECONDS = 30 * 86400


def _conditional_failed(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class DynamoDeliveryLedger:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def _key(self, message_id: str, recipient: str) -> dict[str, Any]:
        return {"message_id": {"S": message_id}, "recipient": {"S": recipient}}

    def entries(self, message_id: str, recipients: tuple[str, ...]) -> dict[str, LedgerEntry]:
        found: dict[str, LedgerEntry] = {}
        pending = [self._key(message_id, r) for r in dict.fromkeys(recipients)]
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {self._table: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                answer = self._ddb.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self._table, []):
                    found[item["recipient"]["S"]] = LedgerEntry(
                        state=LedgerState(item["state"]["S"]),
                        attempt=int(item["attempt"]["N"]),
                        lease_until=float(item.get("lease_until", {"N": "0"})["N"]),
                        retry_queued=bool(item.get("retry_queued", {"BOOL": False})["BOOL"]),
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def claim(self, message_id: str, recipient: str, attempt: int, now: float, lease_seconds: float) -> bool:
        values: dict[str, Any] = {
            ":sending": {"S": LedgerState.SENDING.value},
            ":attempt": {"N": str(attempt)},
            ":lease": {"N": repr(now + lease_seconds)},
            ":now": {"N": repr(now)},
            ":expires": {"N": str(int(now + _RETENTION_SECONDS))},
        }
        if attempt == 1:
            condition = "attribute_not_exists(#s) OR (#s = :sending AND #a = :attempt AND #l < :now)"
        else:
            values[":deferred"] = {"S": LedgerState.DEFERRED.value}
            values[":previous"] = {"N": str(attempt - 1)}
            condition = (
                "(#s = :deferred AND #a = :previous) OR (#s = :sending AND #a = :attempt AND #l < :now)"
            )
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(message_id, recipient),
                UpdateExpression="SET #s = :sending, #a = :attempt, #l = :lease, expires_at = :expires "
                "REMOVE retry_queued",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "state", "#a": "attempt", "#l": "lease_until"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def record(self, message_id: str, result: RecipientResult, attempt: int, now: float) -> bool:
        state = _FINAL.get(result.kind, LedgerState.DEFERRED)
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(message_id, result.recipient),
                UpdateExpression="SET #s = :state, outcome_at = :now, smtp_response = :response",
                ConditionExpression="#s = :sending AND #a = :attempt",
                ExpressionAttributeNames={"#s": "state", "#a": "attempt"},
                ExpressionAttributeValues={
                    ":state": {"S": state.value},
                    ":sending": {"S": LedgerState.SENDING.value},
                    ":attempt": {"N": str(attempt)},
                    ":now": {"N": repr(now)},
                    ":response": {"S": result.smtp_response[:1000]},
                },
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def mark_retry_queued(self, message_id: str, recipient: str, attempt: int) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=self._key(message_id, recipient),
                UpdateExpression="SET retry_queued = :yes",
                ConditionExpression="#s = :deferred AND #a = :attempt",
                ExpressionAttributeNames={"#s": "state", "#a": "attempt"},
                ExpressionAttributeValues={
                    ":yes": {"BOOL": True},
                    ":deferred": {"S": LedgerState.DEFERRED.value},
                    ":attempt": {"N": str(attempt)},
                },
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
