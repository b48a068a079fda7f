"""The DynamoDB template stores on moto: round trips, large bodies in chunks, the per-account
limit under concurrent creates, and paging."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_templates import DynamoTemplateStore, DynamoVerificationTemplateStore
from sesame.domain.custom_verification import VerificationTemplate
from sesame.domain.template_rendering import TemplateContent
from sesame.domain.templates import EmailTemplate, TemplateExists, TemplateLimitReached
from sesame.local.provision import provision
from sesame.settings import Settings

ACCOUNT = "111122223333"


@pytest.fixture
def ddb() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        yield aws.dynamodb, settings.tables.templates


def template(name: str, html: str = "<p>{{name}}</p>") -> EmailTemplate:
    return EmailTemplate(
        name=name,
        content=TemplateContent(subject="Hi {{name}}", text=None, html=html),
        created_at=1_700_000_000.5,
        tags=(("team", "growth"),),
    )


def items_of(ddb: Any, table: str) -> list[str]:
    return [item["item"]["S"] for item in ddb.scan(TableName=table)["Items"]]


def test_a_template_round_trips_with_absent_parts_kept_absent(ddb: tuple[Any, str]) -> None:
    store = DynamoTemplateStore(*ddb)
    store.create(ACCOUNT, template("welcome"), limit=10)
    assert store.get(ACCOUNT, "welcome") == template("welcome")
    assert store.get("444455556666", "welcome") is None


def test_an_incompressible_500_kb_template_is_stored_in_chunks_and_read_whole(ddb: tuple[Any, str]) -> None:
    client, table = ddb
    store = DynamoTemplateStore(client, table)
    body = base64.b64encode(os.urandom(375_000)).decode()  # 500 KB that zlib shrinks by a quarter only
    store.create(ACCOUNT, template("big", body), limit=10)
    assert store.get(ACCOUNT, "big") == template("big", body)
    parts = [key for key in items_of(client, table) if key.startswith("template-part#big#")]
    assert len(parts) >= 2
    assert store.replace(ACCOUNT, template("big", "small"))
    assert store.get(ACCOUNT, "big") == template("big", "small")
    assert not [key for key in items_of(client, table) if key.startswith("template-part#")]


def test_create_conflicts_and_replace_or_delete_of_nothing_answer_so(ddb: tuple[Any, str]) -> None:
    store = DynamoTemplateStore(*ddb)
    store.create(ACCOUNT, template("t"), limit=10)
    with pytest.raises(TemplateExists):
        store.create(ACCOUNT, template("t"), limit=10)
    assert not store.replace(ACCOUNT, template("missing"))
    assert store.delete(ACCOUNT, "t")
    assert not store.delete(ACCOUNT, "t")


def test_the_limit_counts_deletes_and_holds_under_concurrent_creates(ddb: tuple[Any, str]) -> None:
    store = DynamoTemplateStore(*ddb)
    refused: list[str] = []

    def create(name: str) -> None:
        try:
            store.create(ACCOUNT, template(name), limit=5)
        except TemplateLimitReached:
            refused.append(name)

    threads = [threading.Thread(target=create, args=(f"t{i}",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 7
    stored, _ = store.list_page(ACCOUNT, after=None, limit=100)
    assert len(stored) == 5
    store.delete(ACCOUNT, stored[0].name)
    store.create(ACCOUNT, template("again"), limit=5)
    with pytest.raises(TemplateLimitReached):
        store.create(ACCOUNT, template("one-more"), limit=5)


def test_listing_pages_by_name_without_chunks_or_counters(ddb: tuple[Any, str]) -> None:
    store = DynamoTemplateStore(*ddb)
    for index in range(7):
        store.create(
            ACCOUNT,
            template(f"t{index}", base64.b64encode(os.urandom(375_000)).decode() if index == 3 else "x"),
            limit=10,
        )
    first, more = store.list_page(ACCOUNT, after=None, limit=4)
    assert [t.name for t in first] == ["t0", "t1", "t2", "t3"] and more
    rest, more = store.list_page(ACCOUNT, after="t3", limit=4)
    assert [t.name for t in rest] == ["t4", "t5", "t6"] and not more
    assert rest[0].created_at == 1_700_000_000.5


def test_verification_templates_share_the_table_but_not_the_names_or_count(ddb: tuple[Any, str]) -> None:
    emails = DynamoTemplateStore(*ddb)
    verifications = DynamoVerificationTemplateStore(*ddb)
    emails.create(ACCOUNT, template("same"), limit=1)
    verification = VerificationTemplate(
        name="same",
        from_address="no-reply@example.com",
        subject="Confirm",
        content="<p>Please confirm</p>" * 100_000,
        success_url="https://example.com/ok",
        failure_url="https://example.com/no",
        created_at=5.0,
    )
    verifications.create(ACCOUNT, verification, limit=1)
    assert verifications.get(ACCOUNT, "same") == verification
    listed, _ = verifications.list_page(ACCOUNT, after=None, limit=10)
    assert [(t.name, t.content) for t in listed] == [("same", "")]
    assert emails.get(ACCOUNT, "same") == template("same")
