"""Templates wired to DynamoDB: the template store behind both API versions, custom verification
email templates, and templated (personalized, bulk) sending on top of the sending pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_templates import DynamoTemplateStore, DynamoVerificationTemplateStore
from sesame.adapters.sending_wiring import make_event_publisher
from sesame.domain.accounts import AccountService
from sesame.domain.custom_verification import CustomVerificationService
from sesame.domain.identities import IdentityService
from sesame.domain.sending.service import SendingService
from sesame.domain.templated_sending import TemplatedSending
from sesame.domain.templates import TemplateService
from sesame.settings import Settings


@dataclass(frozen=True)
class TemplateServices:
    templates: TemplateService
    custom_verification: CustomVerificationService
    templated_sending: TemplatedSending


def make_template_services(
    settings: Settings,
    aws: AwsClients,
    *,
    accounts: AccountService,
    identities: IdentityService,
    sending: SendingService,
    clock: Callable[[], float] = time.time,
) -> TemplateServices:
    templates = TemplateService(
        DynamoTemplateStore(aws.dynamodb, settings.tables.templates),
        max_templates=settings.max_email_templates,
        clock=clock,
    )
    return TemplateServices(
        templates=templates,
        custom_verification=CustomVerificationService(
            DynamoVerificationTemplateStore(aws.dynamodb, settings.tables.templates),
            identities=identities,
            accounts=accounts,
            sending=sending,
            clock=clock,
        ),
        templated_sending=TemplatedSending(
            templates=templates,
            sending=sending,
            events=make_event_publisher(settings, aws),
            region=settings.region,
        ),
    )
