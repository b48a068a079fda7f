"""The account's suppression attributes and its PutAccountDetails record (AccountService with
in-memory repositories)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from sesame.domain.accounts import (
    AccessKey,
    Account,
    AccountDefaults,
    AccountService,
    ReviewStatus,
    StaleAccount,
)
from sesame.domain.errors import Conflict
from sesame.domain.suppression import SuppressionReason

BOUNCE, COMPLAINT = SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT


class MemoryAccounts:
    def __init__(self) -> None:
        self.items: dict[str, Account] = {}

    def get(self, account_id: str) -> Account | None:
        return self.items.get(account_id)

    def create(self, account: Account) -> bool:
        return self.items.setdefault(account.account_id, account) is account

    def save(self, account: Account) -> None:
        # The port's contract: only over the version read, stored as the next one.
        if self.items[account.account_id].version != account.version:
            raise StaleAccount(account.account_id)
        self.items[account.account_id] = replace(account, version=account.version + 1)

    def all(self) -> Iterator[Account]:
        return iter(list(self.items.values()))


class NoKeys:
    def get(self, access_key_id: str) -> AccessKey | None:
        return None

    def create(self, key: AccessKey) -> bool:
        return True

    def save(self, key: AccessKey) -> None:
        pass

    def for_account(self, account_id: str) -> Iterator[AccessKey]:
        return iter(())


class PlainCipher:
    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        return plaintext

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> bytes:
        return ciphertext


@pytest.fixture
def service() -> AccountService:
    defaults = AccountDefaults(
        sandbox=True,
        sandbox_max_send_rate=1,
        sandbox_max_24_hour_send=200,
        production_max_send_rate=14,
        production_max_24_hour_send=50000,
    )
    return AccountService(
        accounts=MemoryAccounts(), keys=NoKeys(), cipher=PlainCipher(), defaults=defaults, clock=lambda: 5.0
    )


def test_new_accounts_suppress_for_bounces_and_complaints(service: AccountService) -> None:
    account = service.create_account("111111111111")
    assert account.suppressed_reasons == (BOUNCE, COMPLAINT)
    assert service.suppressed_reasons("111111111111") == {BOUNCE, COMPLAINT}


def test_suppressed_reasons_can_be_narrowed_or_emptied(service: AccountService) -> None:
    service.create_account("111111111111")
    service.set_suppressed_reasons("111111111111", [COMPLAINT, COMPLAINT])
    assert service.get_account("111111111111").suppressed_reasons == (COMPLAINT,)
    service.set_suppressed_reasons("111111111111", [])
    assert service.suppressed_reasons("111111111111") == frozenset()


def test_a_production_access_request_is_pending_until_the_operator_grants_it(service: AccountService) -> None:
    service.create_account("111111111111")
    account = service.submit_details(
        "111111111111",
        mail_type="TRANSACTIONAL",
        website_url="https://example.com",
        use_case_description="receipts",
        additional_contact_email_addresses=["ops@example.com"],
        production_access=True,
    )
    assert account.sandbox
    assert account.details is not None and account.details.review_status is ReviewStatus.PENDING
    assert account.details.additional_contact_email_addresses == ("ops@example.com",)
    with pytest.raises(Conflict) as caught:
        service.submit_details("111111111111", mail_type="MARKETING", website_url="https://example.com")
    assert caught.value.wire_code(2) == "ConflictException"
    granted = service.grant_production("111111111111")
    assert not granted.sandbox
    assert granted.details is not None and granted.details.review_status is ReviewStatus.GRANTED
    # Reviewed: new details are accepted again.
    service.submit_details("111111111111", mail_type="MARKETING", website_url="https://example.org")
    assert service.get_account("111111111111").details.website_url == "https://example.org"  # type: ignore[union-attr]


def test_details_without_a_production_request_carry_no_review(service: AccountService) -> None:
    service.create_account("111111111111")
    account = service.submit_details("111111111111", mail_type="MARKETING", website_url="https://x.example")
    assert account.details is not None and account.details.review_status is None
    assert account.details.submitted_at == 5.0
