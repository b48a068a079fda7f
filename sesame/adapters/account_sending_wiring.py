"""The account's sending limits and records wired to DynamoDB: quotas, the suppression list and
send statistics."""

from __future__ import annotations

import time
from collections.abc import Callable

from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_quotas import DynamoQuotaStore
from sesame.adapters.dynamodb_statistics import DynamoStatisticsStore
from sesame.adapters.dynamodb_suppression import DynamoSuppressionRepository
from sesame.domain.quotas import QuotaService
from sesame.domain.send_statistics import SendStatistics
from sesame.domain.suppression import SuppressionService, SuppressionSettings
from sesame.settings import Settings


def make_quota_service(settings: Settings, aws: AwsClients) -> QuotaService:
    return QuotaService(DynamoQuotaStore(aws.dynamodb, settings.tables.quotas))


def make_suppression_service(
    settings: Settings,
    aws: AwsClients,
    *,
    accounts: SuppressionSettings,
    clock: Callable[[], float] = time.time,
) -> SuppressionService:
    return SuppressionService(
        repository=DynamoSuppressionRepository(aws.dynamodb, settings.tables.suppression),
        settings=accounts,
        clock=clock,
    )


def make_send_statistics(
    settings: Settings, aws: AwsClients, *, clock: Callable[[], float] = time.time
) -> SendStatistics:
    return SendStatistics(DynamoStatisticsStore(aws.dynamodb, settings.tables.statistics), clock=clock)
