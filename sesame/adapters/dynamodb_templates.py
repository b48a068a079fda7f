"""DynamoDB storage of email templates and custom verification email templates, per account.

One table, key ``account_id`` + ``item``:

- ``template#NAME`` / ``verification#NAME``: the template's head: ``name``, ``created_at``,
  ``tags`` (JSON), and its body (JSON of the parts, zlib-compressed) either inline in ``body`` or,
  when larger than one item holds, in ``parts`` chunk items under ``version``;
- ``template-part#NAME#VERSION#N``: chunk N of a large body (a template may hold 500 KB of text,
  a custom verification email almost 10 MB; a DynamoDB item holds 400 KB);
- ``count#template`` / ``count#verification``: how many templates the account holds, changed in
  the same transaction as the head, so concurrent creates never pass the limit.

A large body's chunks are written before the head that names their version and deleted after the
head stops naming them, so a reader never sees a head without its chunks. A write that fails
between the two leaves chunks nothing names, which cost storage but are never read.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from sesame.domain.custom_verification import VerificationTemplate
from sesame.domain.template_rendering import TemplateContent
from sesame.domain.templates import EmailTemplate, TemplateExists, TemplateLimitReached, TemplateSummary

# Compressed body bytes kept in the head item, and per chunk item (an item holds 400 KB).
INLINE_BODY_BYTES = 300_000
CHUNK_BYTES = 300_000

T = TypeVar("T")


def _cancellation_codes(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return [str(reason.get("Code") or "") for reason in reasons]
    # Some emulations only name the reasons in the message: "... [None, ConditionalCheckFailed]".
    message = str(error.response.get("Error", {}).get("Message", ""))
    inside = message[message.find("[") + 1 : message.rfind("]")] if "[" in message else ""
    return [part.strip() for part in inside.split(",")]


def _is_code(error: ClientError, code: str) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == code)


class _Codec(Generic[T]):
    """How one kind of template becomes a head's fields and a body, and back."""

    def __init__(
        self,
        kind: str,
        fields: Callable[[T], dict[str, Any]],
        body: Callable[[T], dict[str, Any]],
        build: Callable[[dict[str, Any], dict[str, Any]], T],
    ) -> None:
        self.kind = kind
        self.fields = fields
        self.body = body
        self.build = build


class _TemplateTable(Generic[T]):
    def __init__(self, ddb: Any, table: str, codec: _Codec[T]) -> None:
        self._ddb = ddb
        self._table = table
        self._codec = codec

    # --- keys ---------------------------------------------------------------------------------

    def _key(self, account_id: str, item: str) -> dict[str, Any]:
        return {"account_id": {"S": account_id}, "item": {"S": item}}

    def _head(self, name: str) -> str:
        return f"{self._codec.kind}#{name}"

    def _part(self, name: str, version: str, index: int) -> str:
        return f"{self._codec.kind}-part#{name}#{version}#{index}"

    def _counter(self) -> str:
        return f"count#{self._codec.kind}"

    # --- writing ------------------------------------------------------------------------------

    def _head_item(self, account_id: str, name: str, template: T) -> tuple[dict[str, Any], list[str]]:
        """The head item, and the chunk keys it names (already written)."""
        fields = self._codec.fields(template)
        body = zlib.compress(json.dumps(self._codec.body(template)).encode("utf-8"), 6)
        item: dict[str, Any] = {
            **self._key(account_id, self._head(name)),
            "name": {"S": name},
            "created_at": {"N": str(Decimal(str(fields.pop("created_at"))))},
            "fields": {"S": json.dumps(fields)},
        }
        if len(body) <= INLINE_BODY_BYTES:
            item["body"] = {"B": body}
            return item, []
        version = uuid.uuid4().hex
        chunks = [body[offset : offset + CHUNK_BYTES] for offset in range(0, len(body), CHUNK_BYTES)]
        keys = [self._part(name, version, index) for index in range(len(chunks))]
        for key, chunk in zip(keys, chunks, strict=True):
            self._ddb.put_item(
                TableName=self._table, Item={**self._key(account_id, key), "data": {"B": chunk}}
            )
        item["version"] = {"S": version}
        item["parts"] = {"N": str(len(chunks))}
        return item, keys

    def _delete_items(self, account_id: str, keys: list[str]) -> None:
        for key in keys:
            self._ddb.delete_item(TableName=self._table, Key=self._key(account_id, key))

    def _chunk_keys(self, account_id: str, item: dict[str, Any] | None) -> list[str]:
        if item is None or "version" not in item:
            return []
        name, version = item["name"]["S"], item["version"]["S"]
        return [self._part(name, version, index) for index in range(int(item["parts"]["N"]))]

    def create(self, account_id: str, name: str, template: T, *, limit: int) -> None:
        head, chunks = self._head_item(account_id, name, template)
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": head,
                            "ConditionExpression": "attribute_not_exists(account_id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(account_id, self._counter()),
                            "UpdateExpression": "SET #c = if_not_exists(#c, :zero) + :one",
                            "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
                            "ExpressionAttributeNames": {"#c": "count"},
                            "ExpressionAttributeValues": {
                                ":zero": {"N": "0"},
                                ":one": {"N": "1"},
                                ":limit": {"N": str(limit)},
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            self._delete_items(account_id, chunks)
            if not _is_code(error, "TransactionCanceledException"):
                raise
            codes = _cancellation_codes(error)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise TemplateExists(name) from None
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise TemplateLimitReached(name) from None
            raise

    def replace(self, account_id: str, name: str, template: T) -> bool:
        old = self._get_head(account_id, name)
        if old is None:
            return False
        head, chunks = self._head_item(account_id, name, template)
        try:
            self._ddb.put_item(
                TableName=self._table, Item=head, ConditionExpression="attribute_exists(account_id)"
            )
        except ClientError as error:
            self._delete_items(account_id, chunks)
            if _is_code(error, "ConditionalCheckFailedException"):
                return False
            raise
        self._delete_items(account_id, self._chunk_keys(account_id, old))
        return True

    def delete(self, account_id: str, name: str) -> bool:
        try:
            answer = self._ddb.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._key(account_id, self._head(name)),
                            "ConditionExpression": "attribute_exists(account_id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(account_id, self._counter()),
                            "UpdateExpression": "SET #c = #c - :one",
                            "ConditionExpression": "#c > :zero",
                            "ExpressionAttributeNames": {"#c": "count"},
                            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
                        }
                    },
                ]
            )
        except ClientError as error:
            if _is_code(error, "TransactionCanceledException"):
                return False
            raise
        del answer
        # The head is gone; its chunks are read by nobody now.
        old_chunks = self._query_keys(account_id, f"{self._codec.kind}-part#{name}#")
        self._delete_items(account_id, old_chunks)
        return True

    # --- reading ------------------------------------------------------------------------------

    def _get_head(self, account_id: str, name: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._ddb.get_item(
            TableName=self._table, Key=self._key(account_id, self._head(name)), ConsistentRead=True
        ).get("Item")
        return item

    def _body(self, account_id: str, item: dict[str, Any]) -> dict[str, Any]:
        if "body" in item:
            compressed = bytes(item["body"]["B"])
        else:
            pieces = []
            for key in self._chunk_keys(account_id, item):
                part = self._ddb.get_item(
                    TableName=self._table, Key=self._key(account_id, key), ConsistentRead=True
                ).get("Item")
                if part is None:
                    raise RuntimeError(f"template chunk {key} of account {account_id} is missing")
                pieces.append(bytes(part["data"]["B"]))
            compressed = b"".join(pieces)
        body: dict[str, Any] = json.loads(zlib.decompress(compressed))
        return body

    def _fields(self, item: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = json.loads(item["fields"]["S"])
        fields["name"] = item["name"]["S"]
        fields["created_at"] = float(item["created_at"]["N"])
        return fields

    def get(self, account_id: str, name: str) -> T | None:
        item = self._get_head(account_id, name)
        if item is None:
            return None
        return self._codec.build(self._fields(item), self._body(account_id, item))

    def _query_keys(self, account_id: str, prefix: str) -> list[str]:
        keys: list[str] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :a AND begins_with(#i, :p)",
            "ExpressionAttributeNames": {"#i": "item"},
            "ExpressionAttributeValues": {":a": {"S": account_id}, ":p": {"S": prefix}},
            "ProjectionExpression": "#i",
            "ConsistentRead": True,
        }
        while True:
            answer = self._ddb.query(**request)
            keys += [item["item"]["S"] for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return keys
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def list_heads(
        self, account_id: str, *, after: str | None, limit: int, with_body: bool
    ) -> tuple[list[T], bool]:
        prefix = f"{self._codec.kind}#"
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :a AND begins_with(#i, :p)",
            "ExpressionAttributeNames": {"#i": "item"},
            "ExpressionAttributeValues": {":a": {"S": account_id}, ":p": {"S": prefix}},
            "ConsistentRead": True,
        }
        if after is not None:
            request["ExclusiveStartKey"] = self._key(account_id, prefix + after)
        if not with_body:
            request["ProjectionExpression"] = "#i, #n, created_at, #f"
            request["ExpressionAttributeNames"].update({"#n": "name", "#f": "fields"})
        found: list[T] = []
        # One more than asked for tells whether another page exists.
        while len(found) <= limit:
            request["Limit"] = limit + 1 - len(found)
            answer = self._ddb.query(**request)
            for item in answer.get("Items", []):
                body = self._body(account_id, item) if with_body else {}
                found.append(self._codec.build(self._fields(item), body))
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return found[:limit], len(found) > limit


# --- email templates ---------------------------------------------------------------------------


def _email_fields(template: EmailTemplate) -> dict[str, Any]:
    return {"created_at": template.created_at, "tags": [list(tag) for tag in template.tags]}


def _email_body(template: EmailTemplate) -> dict[str, Any]:
    content = template.content
    return {"subject": content.subject, "text": content.text, "html": content.html}


def _email_template(fields: dict[str, Any], body: dict[str, Any]) -> EmailTemplate:
    return EmailTemplate(
        name=fields["name"],
        content=TemplateContent(subject=body.get("subject"), text=body.get("text"), html=body.get("html")),
        created_at=fields["created_at"],
        tags=tuple((str(key), str(value)) for key, value in fields.get("tags", [])),
    )


class DynamoTemplateStore:
    """The TemplateStore of sesame.domain.templates."""

    def __init__(self, ddb: Any, table: str) -> None:
        self._items = _TemplateTable(
            ddb, table, _Codec("template", _email_fields, _email_body, _email_template)
        )

    def create(self, account_id: str, template: EmailTemplate, *, limit: int) -> None:
        self._items.create(account_id, template.name, template, limit=limit)

    def get(self, account_id: str, name: str) -> EmailTemplate | None:
        return self._items.get(account_id, name)

    def replace(self, account_id: str, template: EmailTemplate) -> bool:
        return self._items.replace(account_id, template.name, template)

    def delete(self, account_id: str, name: str) -> bool:
        return self._items.delete(account_id, name)

    def list_page(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[TemplateSummary], bool]:
        heads, more = self._items.list_heads(account_id, after=after, limit=limit, with_body=False)
        return [TemplateSummary(name=t.name, created_at=t.created_at) for t in heads], more


# --- custom verification email templates -------------------------------------------------------


def _verification_fields(template: VerificationTemplate) -> dict[str, Any]:
    return {
        "created_at": template.created_at,
        "tags": [list(tag) for tag in template.tags],
        "from_address": template.from_address,
        "subject": template.subject,
        "success_url": template.success_url,
        "failure_url": template.failure_url,
    }


def _verification_body(template: VerificationTemplate) -> dict[str, Any]:
    return {"content": template.content}


def _verification_template(fields: dict[str, Any], body: dict[str, Any]) -> VerificationTemplate:
    return VerificationTemplate(
        name=fields["name"],
        from_address=fields["from_address"],
        subject=fields["subject"],
        content=body.get("content", ""),
        success_url=fields["success_url"],
        failure_url=fields["failure_url"],
        created_at=fields["created_at"],
        tags=tuple((str(key), str(value)) for key, value in fields.get("tags", [])),
    )


class DynamoVerificationTemplateStore:
    """The VerificationTemplateStore of sesame.domain.custom_verification. Listing reads heads
    only: list entries carry no content."""

    def __init__(self, ddb: Any, table: str) -> None:
        self._items = _TemplateTable(
            ddb,
            table,
            _Codec("verification", _verification_fields, _verification_body, _verification_template),
        )

    def create(self, account_id: str, template: VerificationTemplate, *, limit: int) -> None:
        self._items.create(account_id, template.name, template, limit=limit)

    def get(self, account_id: str, name: str) -> VerificationTemplate | None:
        return self._items.get(account_id, name)

    def replace(self, account_id: str, template: VerificationTemplate) -> bool:
        return self._items.replace(account_id, template.name, template)

    def delete(self, account_id: str, name: str) -> bool:
        return self._items.delete(account_id, name)

    def list_page(
        self, account_id: str, *, after: str | None, limit: int
    ) -> tuple[list[VerificationTemplate], bool]:
        return self._items.list_heads(account_id, after=after, limit=limit, with_body=False)
