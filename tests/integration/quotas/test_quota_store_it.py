"""Quota reservations through the DynamoDB adapter on moto: concurrent senders never pass the
rate or the 24-hour quota, and the item holds what the layout promises."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

from sesame.adapters.account_sending_wiring import make_quota_service
from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_quotas import DynamoQuotaStore
from sesame.domain.accounts import Account
from sesame.domain.errors import Throttling
from sesame.domain.quotas import DAILY_BUCKET_SECONDS, DAILY_QUOTA_EXCEEDED, DAY_SECONDS, QuotaService
from sesame.local.provision import provision
from sesame.settings import Settings

T0 = 1_700_000_000.0


@dataclass
class World:
    aws: AwsClients
    settings: Settings
    quotas: QuotaService


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        yield World(aws, settings, make_quota_service(settings, aws))


def account(rate: float, daily: float, account_id: str = "111111111111") -> Account:
    return Account(
        account_id=account_id,
        sandbox=False,
        sending_enabled=True,
        max_send_rate=rate,
        max_24_hour_send=daily,
        created_at=0.0,
    )


def race(
    quotas: QuotaService, acct: Account, *, senders: int, units: int, now: float
) -> tuple[int, set[str]]:
    """``senders`` threads reserve ``units`` each at the same moment: (accepted, refusal messages)."""
    barrier = threading.Barrier(senders)
    accepted: list[int] = []
    refusals: set[str] = set()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        barrier.wait()
        try:
            quotas.reserve(acct, rate_units=units, daily_units=units, now=now)
        except Throttling as error:
            with lock:
                refusals.add(error.message)
            return
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            with lock:
                failures.append(error)
            return
        with lock:
            accepted.append(units)

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return len(accepted), refusals


def test_concurrent_senders_never_pass_the_send_rate(world: World) -> None:
    acct = account(rate=14, daily=50_000)
    assert race(world.quotas, acct, senders=40, units=1, now=T0) == (14, {"Maximum sending rate exceeded."})
    # Messages of three recipients: four fit in a second of 14, a fifth would make 15.
    assert race(world.quotas, acct, senders=20, units=3, now=T0 + 1) == (
        4,
        {"Maximum sending rate exceeded."},
    )
    assert world.quotas.sent_last_24_hours(acct.account_id, T0 + 1) == 14 + 12


def test_concurrent_senders_never_pass_the_daily_quota(world: World) -> None:
    acct = account(rate=1000, daily=25)
    accepted, refusals = race(world.quotas, acct, senders=60, units=1, now=T0)
    assert (accepted, refusals) == (25, {"Daily message quota exceeded."})
    assert world.quotas.sent_last_24_hours(acct.account_id, T0) == 25
    # Seconds later the rate has room again, the quota none.
    assert race(world.quotas, acct, senders=10, units=1, now=T0 + 5) == (0, {"Daily message quota exceeded."})


def test_senders_racing_across_seconds_stay_within_each_second(world: World) -> None:
    acct = account(rate=5, daily=50_000)
    results = [race(world.quotas, acct, senders=12, units=1, now=T0 + second)[0] for second in range(4)]
    assert results == [5, 5, 5, 5]


def test_the_24_hour_quota_rolls_with_the_buckets(world: World) -> None:
    acct = account(rate=100, daily=10)
    world.quotas.reserve(acct, rate_units=6, daily_units=6, now=T0)
    world.quotas.reserve(acct, rate_units=4, daily_units=4, now=T0 + 3 * 3600)
    with pytest.raises(Throttling, match=re.escape(DAILY_QUOTA_EXCEEDED)):
        world.quotas.reserve(acct, rate_units=1, daily_units=1, now=T0 + DAY_SECONDS)
    # The first six have left the window; the four from three hours later have not.
    later = T0 + DAY_SECONDS + DAILY_BUCKET_SECONDS
    assert world.quotas.sent_last_24_hours(acct.account_id, later) == 4
    world.quotas.reserve(acct, rate_units=6, daily_units=6, now=later)
    with pytest.raises(Throttling, match=re.escape(DAILY_QUOTA_EXCEEDED)):
        world.quotas.reserve(acct, rate_units=1, daily_units=1, now=later + 1)


def test_the_item_keeps_a_total_equal_to_its_live_buckets_and_a_ttl(world: World) -> None:
    acct = account(rate=100, daily=1000)
    world.quotas.reserve(acct, rate_units=3, daily_units=2, now=T0)
    world.quotas.reserve(acct, rate_units=1, daily_units=1, now=T0 + 1)
    world.quotas.reserve(acct, rate_units=5, daily_units=5, now=T0 + DAY_SECONDS + DAILY_BUCKET_SECONDS)
    item = world.aws.dynamodb.get_item(
        TableName=world.settings.tables.quotas,
        Key={"account_id": {"S": acct.account_id}, "window": {"S": "usage"}},
    )["Item"]
    buckets = {name: int(v["N"]) for name, v in item.items() if name.startswith("d")}
    windows = {name: int(v["N"]) for name, v in item.items() if name.startswith("r")}
    assert list(buckets.values()) == [5] and int(item["total"]["N"]) == 5
    assert list(windows.values()) == [5]  # past seconds were removed
    assert int(item["expires_at"]["N"]) > T0 + 2 * DAY_SECONDS


def test_a_store_read_of_an_account_without_sends_is_empty(world: World) -> None:
    store = DynamoQuotaStore(world.aws.dynamodb, world.settings.tables.quotas)
    assert store.load("999999999999").total == 0
    assert world.quotas.sent_last_24_hours("999999999999", T0) == 0
