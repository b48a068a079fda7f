"""The suppression list and the account's suppression attributes through the DynamoDB adapters,
on moto."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

from sesame.adapters.account_sending_wiring import make_suppression_service
from sesame.adapters.account_wiring import make_account_service
from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_accounts import DynamoAccountRepository
from sesame.domain.accounts import AccountService, ReviewStatus
from sesame.domain.errors import NotFound
from sesame.domain.suppression import SuppressionFilter, SuppressionReason, SuppressionService
from sesame.local.provision import provision
from sesame.settings import Settings

A = "111111111111"
B = "222222222222"
BOUNCE, COMPLAINT = SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    aws: AwsClients
    settings: Settings
    accounts: AccountService
    suppression: SuppressionService
    clock: Clock


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        clock = Clock()
        accounts = make_account_service(settings, aws, clock=clock)
        accounts.create_account(A)
        accounts.create_account(B)
        suppression = make_suppression_service(settings, aws, accounts=accounts, clock=clock)
        yield World(aws, settings, accounts, suppression, clock)


def test_entries_round_trip_with_the_domain_folded(world: World) -> None:
    world.suppression.put(A, "Ann@Example.COM", COMPLAINT, message_id="m-1", feedback_id="f-1")
    entry = world.suppression.get(A, "Ann@example.com")
    assert (entry.email_address, entry.reason, entry.last_update_time) == (
        "Ann@example.com",
        COMPLAINT,
        world.clock.now,
    )
    assert (entry.message_id, entry.feedback_id) == ("m-1", "f-1")
    world.suppression.delete(A, "Ann@EXAMPLE.com")
    with pytest.raises(NotFound):
        world.suppression.delete(A, "Ann@example.com")


def test_listing_pages_through_filtered_entries_without_empty_pages(world: World) -> None:
    start = world.clock.now
    for i in range(25):
        world.suppression.put(A, f"user{i:02d}@example.com", BOUNCE if i % 3 == 0 else COMPLAINT)
        world.clock.now += 1
    where = SuppressionFilter(reasons=frozenset({BOUNCE}), start=start + 3, end=start + 21)
    pages, token = [], None
    while True:
        items, token = world.suppression.list_destinations(A, where=where, next_token=token, page_size=2)
        pages.append([e.email_address for e in items])
        if token is None:
            break
    assert pages == [
        ["user03@example.com", "user06@example.com"],
        ["user09@example.com", "user12@example.com"],
        ["user15@example.com", "user18@example.com"],
        ["user21@example.com"],
    ]


def test_suppressed_among_reads_more_than_one_batch_and_keeps_accounts_apart(world: World) -> None:
    addresses = [f"rcpt{i:03d}@example.com" for i in range(130)]
    for address in addresses[::2]:
        world.suppression.put(A, address, BOUNCE)
    found = world.suppression.suppressed_among(
        A, [a.upper().replace("EXAMPLE.COM", "Example.com") for a in addresses]
    )
    assert len(found) == 0  # the local part is compared exactly: RCPT000 is not rcpt000
    found = world.suppression.suppressed_among(
        A, [a.replace("example.com", "EXAMPLE.com") for a in addresses]
    )
    assert len(found) == 65 and all(reason == "BOUNCE" for reason in found.values())
    assert world.suppression.suppressed_among(B, addresses) == {}


def test_the_accounts_suppressed_reasons_decide_what_delivery_skips(world: World) -> None:
    world.suppression.put(A, "ann@example.com", BOUNCE)
    world.suppression.put(A, "bob@example.com", COMPLAINT)
    world.accounts.set_suppressed_reasons(A, [COMPLAINT])
    assert world.suppression.suppressed_among(A, ["ann@example.com", "bob@example.com"]) == {
        "bob@example.com": "COMPLAINT"
    }
    assert not world.suppression.suppress_automatically(A, "carl@example.com", BOUNCE)
    assert world.suppression.suppress_automatically(A, "dora@example.com", COMPLAINT, feedback_id="f")


def test_account_attributes_survive_the_store_and_old_items_get_defaults(world: World) -> None:
    world.accounts.set_suppressed_reasons(A, [])
    world.accounts.submit_details(
        A,
        mail_type="MARKETING",
        website_url="https://example.com",
        contact_language="EN",
        additional_contact_email_addresses=["a@example.com", "b@example.com"],
        production_access=True,
    )
    stored = DynamoAccountRepository(world.aws.dynamodb, world.settings.tables.accounts).get(A)
    assert stored is not None and stored.suppressed_reasons == ()
    assert stored.details is not None and stored.details.review_status is ReviewStatus.PENDING
    assert stored.details.additional_contact_email_addresses == ("a@example.com", "b@example.com")
    assert stored.details.contact_language == "EN" and stored.details.use_case_description is None
    # An item written before these attributes existed.
    world.aws.dynamodb.update_item(
        TableName=world.settings.tables.accounts,
        Key={"account_id": {"S": B}},
        UpdateExpression="REMOVE suppressed_reasons, details",
    )
    assert world.accounts.get_account(B).suppressed_reasons == (BOUNCE, COMPLAINT)
    assert world.accounts.get_account(B).details is None
