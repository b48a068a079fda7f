"""The domain services of one process, wired to their adapters from settings.

Lambda handlers build this once per execution environment (outside the handler); local mode
builds it once at start. Nothing here runs at import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sesame.adapters.account_wiring import make_account_service
from sesame.adapters.aws import AwsClients
from sesame.adapters.identity_wiring import make_identity_service
from sesame.domain.accounts import AccountService
from sesame.domain.identities import IdentityService, VerificationMailer
from sesame.settings import Settings


@dataclass
class Services:
    settings: Settings
    accounts: AccountService
    identities: IdentityService


def build_services(
    settings: Settings,
    aws: AwsClients | None = None,
    *,
    clock: Callable[[], float] = time.time,
    mailer: VerificationMailer | None = None,
) -> Services:
    aws = aws or AwsClients(settings)
    return Services(
        settings=settings,
        accounts=make_account_service(settings, aws, clock=clock),
        identities=make_identity_service(settings, aws, clock=clock, mailer=mailer),
    )
