"""AccountService against in-memory repositories (ports) and a reversible fake cipher."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from sesame.domain.accounts import AccessKey, Account, AccountDefaults, AccountService, StaleAccount
from sesame.domain.errors import InvalidParameterValue, UnknownAccessKey, UnknownAccount


class MemoryAccounts:
    def __init__(self) -> None:
        self.items: dict[str, Account] = {}

    def get(self, account_id: str) -> Account | None:
        return self.items.get(account_id)

    def create(self, account: Account) -> bool:
        if account.account_id in self.items:
            return False
        self.items[account.account_id] = account
        return True

    def save(self, account: Account) -> None:
        # The port's contract: only over the version read, stored as the next one.
        if self.items[account.account_id].version != account.version:
            raise StaleAccount(account.account_id)
        self.items[account.account_id] = replace(account, version=account.version + 1)

    def all(self) -> Iterator[Account]:
        return iter(list(self.items.values()))


class MemoryKeys:
    def __init__(self) -> None:
        self.items: dict[str, AccessKey] = {}

    def get(self, access_key_id: str) -> AccessKey | None:
        return self.items.get(access_key_id)

    def create(self, key: AccessKey) -> bool:
        if key.access_key_id in self.items:
            return False
        self.items[key.access_key_id] = key
        return True

    def save(self, key: AccessKey) -> None:
        self.items[key.access_key_id] = key

    def for_account(self, account_id: str) -> Iterator[AccessKey]:
        return iter([k for k in self.items.values() if k.account_id == account_id])


class CountingCipher:
    """Reversible, context-bound: decrypting under another context fails, as KMS does."""

    def __init__(self) -> None:
        self.decrypts = 0

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        return repr(sorted(context.items())).encode() + b"|" + plaintext[::-1]

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> bytes:
        self.decrypts += 1
        bound, _, body = ciphertext.partition(b"|")
        if bound != repr(sorted(context.items())).encode():
            raise ValueError("context mismatch")
        return body[::-1]


DEFAULTS = AccountDefaults(
    sandbox=True,
    sandbox_max_send_rate=1,
    sandbox_max_24_hour_send=200,
    production_max_send_rate=14,
    production_max_24_hour_send=50000,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts() -> tuple[AccountService, MemoryKeys, CountingCipher, Clock]:
    keys, cipher, clock = MemoryKeys(), CountingCipher(), Clock()
    service = AccountService(
        accounts=MemoryAccounts(), keys=keys, cipher=cipher, defaults=DEFAULTS, clock=clock
    )
    return service, keys, cipher, clock


def test_new_account_starts_in_the_sandbox_with_sandbox_quotas(parts) -> None:
    service, *_ = parts
    account = service.create_account()
    assert len(account.account_id) == 12 and account.account_id.isdigit()
    assert account.sandbox and account.sending_enabled
    assert (account.max_send_rate, account.max_24_hour_send) == (1, 200)


def test_production_grant_lifts_sandbox_quotas_to_production_defaults(parts) -> None:
    service, *_ = parts
    account = service.create_account("123456789012")
    granted = service.grant_production(account.account_id)
    assert not granted.sandbox
    assert (granted.max_send_rate, granted.max_24_hour_send) == (14, 50000)
    assert service.get_account("123456789012") == granted


def test_account_ids_must_be_twelve_digits_and_unique(parts) -> None:
    service, *_ = parts
    with pytest.raises(InvalidParameterValue):
        service.create_account("12345")
    service.create_account("111111111111")
    with pytest.raises(InvalidParameterValue, match="already exists"):
        service.create_account("111111111111")


def test_unknown_accounts_and_keys_are_clear_errors(parts) -> None:
    service, *_ = parts
    with pytest.raises(UnknownAccount, match="999999999999"):
        service.set_sending_enabled("999999999999", False)
    with pytest.raises(UnknownAccessKey, match="AKIANOPE"):
        service.revoke_access_key("AKIANOPE")
    with pytest.raises(UnknownAccount):
        service.create_access_key("999999999999")


def test_secret_is_stored_only_encrypted_and_resolves_to_its_account(parts) -> None:
    service, keys, _, _ = parts
    account = service.create_account()
    key, secret = service.create_access_key(account.account_id)
    stored = keys.items[key.access_key_id]
    assert secret.encode() not in stored.secret_ciphertext
    assert service.credentials_for(key.access_key_id) == (account.account_id, secret)


def test_ciphertext_moved_to_another_key_does_not_decrypt(parts) -> None:
    service, keys, _, _ = parts
    account = service.create_account()
    first, _ = service.create_access_key(account.account_id)
    second, _ = service.create_access_key(account.account_id)
    keys.items[second.access_key_id] = AccessKey(
        second.access_key_id, account.account_id, "Active", 0.0, first.secret_ciphertext
    )
    with pytest.raises(ValueError, match="context"):
        service.credentials_for(second.access_key_id)


def test_revoked_key_stops_resolving_at_once(parts) -> None:
    service, *_ = parts
    account = service.create_account()
    key, _ = service.create_access_key(account.account_id)
    assert service.secret_for(key.access_key_id) is not None
    service.revoke_access_key(key.access_key_id)
    assert service.secret_for(key.access_key_id) is None
    assert [k.status for k in service.list_access_keys(account.account_id)] == ["Inactive"]


def test_decrypted_secrets_are_cached_for_a_minute(parts) -> None:
    service, _, cipher, clock = parts
    account = service.create_account()
    key, _ = service.create_access_key(account.account_id)
    for _ in range(5):
        service.secret_for(key.access_key_id)
    assert cipher.decrypts == 1
    clock.now += 61
    service.secret_for(key.access_key_id)
    assert cipher.decrypts == 2


def test_bootstrap_is_idempotent_and_applies_quota_flags(parts) -> None:
    service, *_ = parts
    for _ in range(2):
        account = service.ensure_bootstrap(
            "000000000001",
            "AKIABOOTSTRAP0000001",
            "s3cret",
            production=True,
            max_send_rate=50,
            max_24_hour_send=None,
        )
    assert not account.sandbox and account.max_send_rate == 50 and account.max_24_hour_send == 50000
    assert service.credentials_for("AKIABOOTSTRAP0000001") == ("000000000001", "s3cret")
    assert len(service.list_access_keys("000000000001")) == 1


def test_quotas_must_be_positive(parts) -> None:
    service, *_ = parts
    account = service.create_account()
    with pytest.raises(InvalidParameterValue, match="max_send_rate"):
        service.set_quotas(account.account_id, max_send_rate=0)
    paused = service.set_sending_enabled(account.account_id, False)
    assert not paused.sending_enabled
