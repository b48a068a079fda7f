"""DynamoDB storage of accounts and access keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from sesame.domain.accounts import AccessKey, Account, AccountDetails, KeyStatus, ReviewStatus, StaleAccount
from sesame.domain.suppression import DEFAULT_SUPPRESSED_REASONS, SuppressionReason

_SERIALIZE = TypeSerializer().serialize
_DESERIALIZE = TypeDeserializer().deserialize


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: _SERIALIZE(Decimal(str(value)) if isinstance(value, float) else value)
        for name, value in values.items()
    }


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _DESERIALIZE(value) for name, value in item.items()}


def _put_new(ddb: Any, table: str, item: dict[str, Any], key_attribute: str) -> bool:
    try:
        ddb.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(#k)",
            ExpressionAttributeNames={"#k": key_attribute},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _scan(ddb: Any, table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in ddb.get_paginator("scan").paginate(TableName=table, **kwargs):
        for item in page["Items"]:
            yield _from_item(item)


class DynamoAccountRepository:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def get(self, account_id: str) -> Account | None:
        found = self._ddb.get_item(
            TableName=self._table, Key={"account_id": {"S": account_id}}, ConsistentRead=True
        ).get("Item")
        return None if found is None else self._account(_from_item(found))

    def create(self, account: Account) -> bool:
        return _put_new(self._ddb, self._table, self._item(account), "account_id")

    def save(self, account: Account) -> None:
        # Items written before versions existed have none: version 0.
        condition = (
            "#version = :read" if account.version else "attribute_not_exists(#version) OR #version = :read"
        )
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=self._item(replace(account, version=account.version + 1)),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":read": {"N": str(account.version)}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleAccount(account.account_id) from error
            raise

    def all(self) -> Iterator[Account]:
        # Administrative listing only: a deployment holds few accounts.
        return (self._account(values) for values in _scan(self._ddb, self._table))

    @staticmethod
    def _item(account: Account) -> dict[str, Any]:
        values: dict[str, Any] = {
            "account_id": account.account_id,
            "sandbox": account.sandbox,
            "sending_enabled": account.sending_enabled,
            "max_send_rate": account.max_send_rate,
            "max_24_hour_send": account.max_24_hour_send,
            "created_at": account.created_at,
            "suppressed_reasons": [reason.value for reason in account.suppressed_reasons],
            "operator_paused": account.operator_paused,
            "version": account.version,
        }
        if account.details is not None:
            values["details"] = _details_map(account.details)
        return _to_item(values)

    @staticmethod
    def _account(values: dict[str, Any]) -> Account:
        # Items written before an attribute existed lack it: they get the model's default.
        reasons = values.get("suppressed_reasons")
        details = values.get("details")
        return Account(
            account_id=values["account_id"],
            sandbox=bool(values["sandbox"]),
            sending_enabled=bool(values["sending_enabled"]),
            max_send_rate=float(values["max_send_rate"]),
            max_24_hour_send=float(values["max_24_hour_send"]),
            created_at=float(values["created_at"]),
            operator_paused=bool(values.get("operator_paused", False)),
            version=int(values.get("version", 0)),
            suppressed_reasons=(
                DEFAULT_SUPPRESSED_REASONS
                if reasons is None
                else tuple(SuppressionReason(reason) for reason in reasons)
            ),
            details=None if details is None else _details(details),
        )


def _details_map(details: AccountDetails) -> dict[str, Any]:
    values: dict[str, Any] = {
        "mail_type": details.mail_type,
        "website_url": details.website_url,
        "submitted_at": Decimal(str(details.submitted_at)),
        "additional_contact_email_addresses": list(details.additional_contact_email_addresses),
    }
    optional = {
        "contact_language": details.contact_language,
        "use_case_description": details.use_case_description,
        "review_status": None if details.review_status is None else details.review_status.value,
    }
    values.update({name: value for name, value in optional.items() if value is not None})
    return values


def _details(values: dict[str, Any]) -> AccountDetails:
    review = values.get("review_status")
    return AccountDetails(
        mail_type=values["mail_type"],
        website_url=values["website_url"],
        submitted_at=float(values["submitted_at"]),
        contact_language=values.get("contact_language"),
        use_case_description=values.get("use_case_description"),
        additional_contact_email_addresses=tuple(values.get("additional_contact_email_addresses", ())),
        review_status=None if review is None else ReviewStatus(review),
    )


class DynamoAccessKeyRepository:
    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def get(self, access_key_id: str) -> AccessKey | None:
        found = self._ddb.get_item(
            TableName=self._table, Key={"access_key_id": {"S": access_key_id}}, ConsistentRead=True
        ).get("Item")
        return None if found is None else self._key(_from_item(found))

    def create(self, key: AccessKey) -> bool:
        return _put_new(self._ddb, self._table, self._item(key), "access_key_id")

    def save(self, key: AccessKey) -> None:
        self._ddb.put_item(TableName=self._table, Item=self._item(key))

    def for_account(self, account_id: str) -> Iterator[AccessKey]:
        # Administrative listing only (a scan): the hot path looks keys up by id.
        found = _scan(
            self._ddb,
            self._table,
            FilterExpression="account_id = :a",
            ExpressionAttributeValues={":a": {"S": account_id}},
        )
        return (self._key(values) for values in found)

    @staticmethod
    def _item(key: AccessKey) -> dict[str, Any]:
        return _to_item(
            {
                "access_key_id": key.access_key_id,
                "account_id": key.account_id,
                "status": key.status,
                "created_at": key.created_at,
                "secret_ciphertext": key.secret_ciphertext,
            }
        )

    @staticmethod
    def _key(values: dict[str, Any]) -> AccessKey:
        return AccessKey(
            access_key_id=values["access_key_id"],
            account_id=values["account_id"],
            status=cast(KeyStatus, values["status"]),
            created_at=float(values["created_at"]),
            secret_ciphertext=bytes(values["secret_ciphertext"]),
        )
