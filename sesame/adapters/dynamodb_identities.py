"""DynamoDB implementation of the IdentityRepository port.

Table: partition key ``account_id``, sort key ``identity``, so every query is confined to one
account by its key. GSI ``by_status`` (``check_state``, ``next_check_at``) feeds the checker;
it is sparse: a finished identity keeps ``check_state = DONE`` but loses ``next_check_at``, so
only identities with something left to check are in the index.

Writes are whole-item puts guarded by a ``version`` attribute (optimistic concurrency): the
background checker and API calls may change the same identity at the same time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from sesame.domain.dkim import KeyLength
from sesame.domain.identity_model import (
    CheckState,
    Dkim,
    DkimKey,
    Identity,
    IdentitySummary,
    IdentityType,
    MailFrom,
    MxFailureBehavior,
    NotificationSettings,
    NotificationType,
    SigningOrigin,
    Status,
    Tag,
    VerificationError,
)
from sesame.domain.identity_ports import IdentityAlreadyStored, StaleIdentity

Item = dict[str, Any]

_BATCH_GET_LIMIT = 100


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    # repr() round-trips a float exactly; DynamoDB numbers carry 38 digits, plenty.
    return {"N": repr(int(value)) if isinstance(value, int) else repr(float(value))}


def _put_optional(item: Item, key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        item[key] = _s(value)
    else:
        item[key] = _n(value)


def to_item(identity: Identity) -> Item:
    item: Item = {
        "account_id": _s(identity.account_id),
        "identity": _s(identity.name),
        "identity_type": _s(identity.type.value),
        "status": _s(identity.status.value),
        "created_at": _n(identity.created_at),
        "pending_since": _n(identity.pending_since),
        "feedback_forwarding": {"BOOL": identity.feedback_forwarding},
        "check_state": _s(identity.check_state.value),
        "version": _n(identity.version),
    }
    _put_optional(item, "verification_token", identity.verification_token)
    _put_optional(item, "configuration_set", identity.configuration_set)
    # Absent when DONE: that is what keeps the item out of the by_status index.
    if identity.check_state is CheckState.PENDING:
        _put_optional(item, "next_check_at", identity.next_check_at)
    _put_optional(item, "last_checked_at", identity.last_checked_at)
    _put_optional(item, "last_success_at", identity.last_success_at)
    if identity.last_error is not None:
        item["last_error"] = _s(identity.last_error.value)
    if identity.tags:
        item["tags"] = {"L": [{"M": {"key": _s(t.key), "value": _s(t.value)}} for t in identity.tags]}
    notifications = identity.notifications
    if notifications.topics:
        item["notification_topics"] = {
            "M": {kind.value: _s(arn) for kind, arn in notifications.topics.items()}
        }
    if notifications.headers_in:
        # A string set may not be empty: absent means no type carries headers.
        item["headers_in_notifications"] = {"SS": sorted(kind.value for kind in notifications.headers_in)}
    if identity.dkim is not None:
        item["dkim"] = {"M": _dkim_to_map(identity.dkim)}
    if identity.mail_from is not None:
        mail_from = identity.mail_from
        item["mail_from"] = {
            "M": {
                "domain": _s(mail_from.domain),
                "behavior": _s(mail_from.behavior.value),
                "status": _s(mail_from.status.value),
                "started_at": _n(mail_from.started_at),
            }
        }
    return item


def _dkim_to_map(dkim: Dkim) -> Item:
    result: Item = {
        "origin": _s(dkim.origin.value),
        "enabled": {"BOOL": dkim.enabled},
        "status": _s(dkim.status.value),
        "started_at": _n(dkim.started_at),
        "key_generated_at": _n(dkim.key_generated_at),
        "keys": {
            "L": [
                {
                    "M": {
                        "selector": _s(key.selector),
                        "public_key": _s(key.public_key),
                        "private_key": {"B": key.private_key},
                    }
                }
                for key in dkim.keys
            ]
        },
    }
    if dkim.current_key_length is not None:
        result["current_key_length"] = _s(dkim.current_key_length.value)
    if dkim.next_key_length is not None:
        result["next_key_length"] = _s(dkim.next_key_length.value)
    return result


def _str(item: Item, key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value["S"])


def _num(item: Item, key: str) -> float | None:
    value = item.get(key)
    return None if value is None else float(value["N"])


def _req_str(item: Item, key: str) -> str:
    return str(item[key]["S"])


def _req_num(item: Item, key: str) -> float:
    return float(item[key]["N"])


def from_item(item: Item) -> Identity:
    last_error = _str(item, "last_error")
    tags = [
        Tag(_req_str(entry["M"], "key"), _req_str(entry["M"], "value"))
        for entry in item.get("tags", {}).get("L", [])
    ]
    mail_from = None
    if "mail_from" in item:
        m = item["mail_from"]["M"]
        mail_from = MailFrom(
            domain=_req_str(m, "domain"),
            behavior=MxFailureBehavior(_req_str(m, "behavior")),
            status=Status(_req_str(m, "status")),
            started_at=_req_num(m, "started_at"),
        )
    return Identity(
        account_id=_req_str(item, "account_id"),
        name=_req_str(item, "identity"),
        type=IdentityType(_req_str(item, "identity_type")),
        status=Status(_req_str(item, "status")),
        created_at=_req_num(item, "created_at"),
        pending_since=_req_num(item, "pending_since"),
        verification_token=_str(item, "verification_token"),
        dkim=_dkim_from_map(item["dkim"]["M"]) if "dkim" in item else None,
        mail_from=mail_from,
        feedback_forwarding=bool(item.get("feedback_forwarding", {"BOOL": True})["BOOL"]),
        notifications=_notifications_from_item(item),
        configuration_set=_str(item, "configuration_set"),
        tags=tags,
        check_state=CheckState(_str(item, "check_state") or CheckState.DONE.value),
        next_check_at=_num(item, "next_check_at"),
        last_checked_at=_num(item, "last_checked_at"),
        last_success_at=_num(item, "last_success_at"),
        last_error=VerificationError(last_error) if last_error else None,
        version=int(_req_num(item, "version")),
    )


def _notifications_from_item(item: Item) -> NotificationSettings:
    # Items written before notifications existed have neither attribute: no topics, no headers.
    topics = {
        NotificationType(kind): str(value["S"])
        for kind, value in item.get("notification_topics", {}).get("M", {}).items()
    }
    headers_in = {NotificationType(kind) for kind in item.get("headers_in_notifications", {}).get("SS", [])}
    return NotificationSettings(topics=topics, headers_in=headers_in)


def _dkim_from_map(m: Item) -> Dkim:
    current = _str(m, "current_key_length")
    following = _str(m, "next_key_length")
    return Dkim(
        origin=SigningOrigin(_req_str(m, "origin")),
        enabled=bool(m["enabled"]["BOOL"]),
        status=Status(_req_str(m, "status")),
        keys=[
            DkimKey(
                selector=_req_str(entry["M"], "selector"),
                public_key=_req_str(entry["M"], "public_key"),
                private_key=bytes(entry["M"]["private_key"]["B"]),
            )
            for entry in m["keys"]["L"]
        ],
        started_at=_req_num(m, "started_at"),
        key_generated_at=_req_num(m, "key_generated_at"),
        current_key_length=KeyLength(current) if current else None,
        next_key_length=KeyLength(following) if following else None,
    )


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class DynamoDbIdentityRepository:
    def __init__(self, dynamodb: Any, table_name: str, *, status_index: str = "by_status") -> None:
        self._ddb = dynamodb
        self._table = table_name
        self._index = status_index

    def _key(self, account_id: str, name: str) -> Item:
        return {"account_id": _s(account_id), "identity": _s(name)}

    def get(self, account_id: str, name: str) -> Identity | None:
        answer = self._ddb.get_item(
            TableName=self._table, Key=self._key(account_id, name), ConsistentRead=True
        )
        item = answer.get("Item")
        return from_item(item) if item else None

    def get_many(self, account_id: str, names: Sequence[str]) -> dict[str, Identity]:
        found: dict[str, Identity] = {}
        unique = list(dict.fromkeys(names))
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            pending: Item | None = {
                self._table: {
                    "Keys": [
                        self._key(account_id, name) for name in unique[start : start + _BATCH_GET_LIMIT]
                    ],
                    "ConsistentRead": True,
                }
            }
            delay = 0.05
            while pending:
                answer = self._ddb.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self._table, []):
                    identity = from_item(item)
                    # The key named the account, but check anyway: this is the isolation line.
                    if identity.account_id == account_id:
                        found[identity.name] = identity
                pending = answer.get("UnprocessedKeys") or None
                if pending:
                    # Throttled keys come back unprocessed: back off as AWS advises.
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
        return found

    def create(self, identity: Identity) -> None:
        item = to_item(identity)
        item["version"] = _n(1)
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": "identity"},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise IdentityAlreadyStored(identity.name) from None
            raise

    def replace(self, identity: Identity, expected_version: int) -> None:
        item = to_item(identity)
        item["version"] = _n(expected_version + 1)
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": _n(expected_version)},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise StaleIdentity(identity.name) from None
            raise

    def delete(self, account_id: str, name: str) -> Identity | None:
        answer = self._ddb.delete_item(
            TableName=self._table, Key=self._key(account_id, name), ReturnValues="ALL_OLD"
        )
        item = answer.get("Attributes")
        return from_item(item) if item else None

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
        names = {"#a": "account_id", "#id": "identity", "#t": "identity_type", "#s": "status"}
        values: Item = {":a": _s(account_id)}
        condition = "#a = :a"
        if after is not None:
            condition += " AND #id > :after"
            values[":after"] = _s(after)
        filters = []
        if identity_type is not None:
            filters.append("#t = :t")
            values[":t"] = _s(identity_type.value)
        if status is not None:
            filters.append("#s = :s")
            values[":s"] = _s(status.value)
        request: Item = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            # Listings need three attributes, not the DKIM keys.
            "ProjectionExpression": "#id, #t, #s",
            "ConsistentRead": True,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        collected: list[IdentitySummary] = []
        # One more than asked for tells whether another page exists, so the last page never
        # carries a NextToken leading to an empty page.
        while len(collected) <= limit:
            request["Limit"] = limit + 1 - len(collected)
            answer = self._ddb.query(**request)
            for item in answer.get("Items", []):
                name = _req_str(item, "identity")
                # Filtered here, not in the query: DynamoDB refuses key attributes in a
                # FilterExpression, and the projected items are small.
                if name_contains and name_contains not in name:
                    continue
                collected.append(
                    IdentitySummary(
                        name=name,
                        type=IdentityType(_req_str(item, "identity_type")),
                        status=Status(_req_str(item, "status")),
                    )
                )
            last = answer.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        return collected[:limit], len(collected) > limit

    def due(self, now: float, limit: int) -> list[Identity]:
        result: list[Identity] = []
        request: Item = {
            "TableName": self._table,
            "IndexName": self._index,
            "KeyConditionExpression": "#cs = :p AND #n <= :now",
            "ExpressionAttributeNames": {"#cs": "check_state", "#n": "next_check_at"},
            "ExpressionAttributeValues": {":p": _s(CheckState.PENDING.value), ":now": _n(now)},
            "ScanIndexForward": True,
        }
        while len(result) < limit:
            request["Limit"] = limit - len(result)
            answer = self._ddb.query(**request)
            result.extend(from_item(item) for item in answer.get("Items", []))
            last = answer.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        return result[:limit]
