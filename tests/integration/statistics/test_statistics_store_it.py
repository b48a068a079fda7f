"""Send statistics through the DynamoDB adapter on moto: atomic counts in 15-minute intervals,
two weeks reported, a TTL a day longer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from moto import mock_aws

from sesame.adapters.account_sending_wiring import make_send_statistics
from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_statistics import bucket_key
from sesame.domain.send_statistics import INTERVAL_SECONDS, SendCounts, SendStatistics
from sesame.local.provision import provision
from sesame.settings import Settings

A = "111111111111"
NOW = 1_700_000_200.0  # 200 s into a 15-minute interval


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world() -> Iterator[tuple[SendStatistics, Clock, AwsClients, Settings]]:
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        clock = Clock()
        yield make_send_statistics(settings, aws, clock=clock), clock, aws, settings


def test_concurrent_counts_are_never_lost(world) -> None:
    statistics, *_ = world
    barrier = threading.Barrier(20)

    def count() -> None:
        barrier.wait()
        for _ in range(5):
            statistics.record(A, SendCounts(delivery_attempts=1, bounces=1))

    threads = [threading.Thread(target=count) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    [point] = statistics.data_points(A)
    assert point.counts == SendCounts(delivery_attempts=100, bounces=100)
    assert point.interval_start == int(NOW // INTERVAL_SECONDS) * INTERVAL_SECONDS


def test_intervals_are_reported_for_fourteen_days_and_kept_for_fifteen(world) -> None:
    statistics, _, aws, settings = world
    day = 86_400
    statistics.record(A, SendCounts(rejects=1), at=NOW - 15 * day)
    statistics.record(A, SendCounts(complaints=2), at=NOW - 13 * day)
    statistics.record(A, SendCounts(delivery_attempts=3), at=NOW - 10)
    statistics.record(A, SendCounts(delivery_attempts=4), at=NOW)
    statistics.record("222222222222", SendCounts(delivery_attempts=9), at=NOW)
    points = statistics.data_points(A)
    assert [p.counts for p in points] == [SendCounts(complaints=2), SendCounts(delivery_attempts=7)]
    start = points[-1].interval_start
    item = aws.dynamodb.get_item(
        TableName=settings.tables.statistics,
        Key={"account_id": {"S": A}, "bucket": {"S": bucket_key(start)}},
    )["Item"]
    assert int(item["expires_at"]["N"]) == start + 15 * day
