"""AccountService wired to DynamoDB and KMS."""

from __future__ import annotations

import time
from collections.abc import Callable

from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_accounts import DynamoAccessKeyRepository, DynamoAccountRepository
from sesame.adapters.kms import KmsCipher
from sesame.domain.accounts import AccountDefaults, AccountService
from sesame.settings import Settings


def account_defaults(settings: Settings) -> AccountDefaults:
    return AccountDefaults(
        sandbox=settings.default_sandbox,
        sandbox_max_send_rate=settings.sandbox_max_send_rate,
        sandbox_max_24_hour_send=settings.sandbox_max_24_hour_send,
        production_max_send_rate=settings.production_max_send_rate,
        production_max_24_hour_send=settings.production_max_24_hour_send,
    )


def make_account_service(
    settings: Settings, aws: AwsClients, *, clock: Callable[[], float] = time.time
) -> AccountService:
    return AccountService(
        accounts=DynamoAccountRepository(aws.dynamodb, settings.tables.accounts),
        keys=DynamoAccessKeyRepository(aws.dynamodb, settings.tables.access_keys),
        cipher=KmsCipher(aws.kms, settings.kms_key_id),
        defaults=account_defaults(settings),
        clock=clock,
    )
