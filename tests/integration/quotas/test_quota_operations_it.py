"""GetSendQuota, GetAccount and GetSendStatistics read what the services counted, at once
(the handlers over services built by ``build_services`` on moto)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

import sesame.api.operations  # noqa: F401  (registers the handlers)
from sesame.adapters.aws import AwsClients
from sesame.api.context import RequestContext
from sesame.api.registry import handler_for
from sesame.domain.send_statistics import SendCounts
from sesame.local.provision import provision
from sesame.services import Services, build_services
from sesame.settings import Settings

A = "111111111111"


@pytest.fixture
def services() -> Iterator[Services]:
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        built = build_services(provision(aws, base), aws)
        built.accounts.create_account(A, production=True)
        yield built


def call(services: Services, version: int, operation: str, **params: Any) -> Any:
    handler = handler_for(version, operation)
    assert handler is not None
    ctx = RequestContext(account_id=A, access_key_id="AKIATEST", region="us-east-1", request_id="r")
    return handler(services, ctx, params)


def test_a_reservation_shows_in_the_quota_at_once(services: Services) -> None:
    account = services.accounts.get_account(A)
    services.quotas.reserve(account, rate_units=5, daily_units=4, now=time.time())
    assert call(services, 1, "GetSendQuota") == {
        "Max24HourSend": 50000.0,
        "MaxSendRate": 14.0,
        "SentLast24Hours": 4.0,
    }
    assert call(services, 2, "GetAccount")["SendQuota"]["SentLast24Hours"] == 4.0


def test_counted_statistics_are_send_data_points(services: Services) -> None:
    services.statistics.record(A, SendCounts(delivery_attempts=3, bounces=1, complaints=1))
    services.statistics.record(A, SendCounts(rejects=2))
    [point] = call(services, 1, "GetSendStatistics")["SendDataPoints"]
    assert {k: v for k, v in point.items() if k != "Timestamp"} == {
        "DeliveryAttempts": 3,
        "Bounces": 1,
        "Complaints": 1,
        "Rejects": 2,
    }
    assert 0 <= time.time() - point["Timestamp"].timestamp() < 15 * 60
