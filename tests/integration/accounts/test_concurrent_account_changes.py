"""Two changes to one account made at once both hold: a change read before another was stored is
made again on what the other left (DynamoDB conditional writes on the item's version)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from sesame.adapters.account_wiring import account_defaults, make_account_service
from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_accounts import DynamoAccessKeyRepository, DynamoAccountRepository
from sesame.adapters.kms import KmsCipher
from sesame.domain.accounts import Account, AccountService, StaleAccount
from sesame.domain.errors import ConcurrentModification
from sesame.local.provision import provision
from sesame.settings import Settings

pytestmark = pytest.mark.integration


class ChangedAfterReading:
    """The DynamoDB repository, where another request changes the account right after each of the
    first ``times`` reads: the read is then stale by the time its change is saved."""

    def __init__(self, real: DynamoAccountRepository, other: Callable[[], object], times: int = 1) -> None:
        self._real = real
        self._other = other
        self._times = times
        self.reads = 0

    def get(self, account_id: str) -> Account | None:
        account = self._real.get(account_id)
        self.reads += 1
        if self.reads <= self._times:
            self._other()
        return account

    def __getattr__(self, name: str) -> Any:  # create, save, all: the real ones
        return getattr(self._real, name)


@pytest.fixture
def world() -> Iterator[tuple[AccountService, Settings, AwsClients]]:
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        yield make_account_service(settings, aws), settings, aws


def _racing(
    settings: Settings, aws: AwsClients, other: Callable[[], object], times: int = 1
) -> tuple[AccountService, ChangedAfterReading]:
    """An account service as the API builds it, whose reads of the account another request races."""
    accounts = ChangedAfterReading(
        DynamoAccountRepository(aws.dynamodb, settings.tables.accounts), other, times
    )
    service = AccountService(
        accounts=accounts,
        keys=DynamoAccessKeyRepository(aws.dynamodb, settings.tables.access_keys),
        cipher=KmsCipher(aws.kms, settings.kms_key_id),
        defaults=account_defaults(settings),
        clock=time.time,
    )
    return service, accounts


def test_a_customer_switch_read_before_an_operator_pause_does_not_lift_it(
    world: tuple[AccountService, Settings, AwsClients],
) -> None:
    operator, settings, aws = world
    account_id = operator.create_account(production=True).account_id
    customer, accounts = _racing(settings, aws, lambda: operator.set_operator_paused(account_id, True))
    updated = customer.set_sending_enabled(account_id, False)
    stored = operator.get_account(account_id)
    assert (stored.operator_paused, stored.sending_enabled) == (True, False)
    assert updated == stored
    assert accounts.reads == 2  # read, lost to the pause, read again


def test_a_stale_read_is_not_stored(world: tuple[AccountService, Settings, AwsClients]) -> None:
    operator, settings, aws = world
    account_id = operator.create_account().account_id
    repository = DynamoAccountRepository(aws.dynamodb, settings.tables.accounts)
    read = repository.get(account_id)
    assert read is not None and read.version == 0
    operator.set_quotas(account_id, max_send_rate=30)
    with pytest.raises(StaleAccount):
        repository.save(dataclasses.replace(read, max_send_rate=1))
    assert operator.get_account(account_id).max_send_rate == 30


def test_a_change_that_keeps_losing_gives_up_with_ses_error(
    world: tuple[AccountService, Settings, AwsClients],
) -> None:
    operator, settings, aws = world
    account_id = operator.create_account().account_id
    flips = iter(range(100))
    customer, _ = _racing(
        settings, aws, lambda: operator.set_quotas(account_id, max_send_rate=1 + next(flips)), times=100
    )
    with pytest.raises(ConcurrentModification) as raised:
        customer.set_sending_enabled(account_id, False)
    assert raised.value.code == "ConcurrentModificationException"
    assert operator.get_account(account_id).sending_enabled is True
