"""The domain services of one process, wired to their adapters from settings.

Lambda handlers build this once per execution environment (outside the handler); local mode
builds it once at start. Nothing here runs at import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sesame.adapters.account_sending_wiring import (
    make_quota_service,
    make_send_statistics,
    make_suppression_service,
)
from sesame.adapters.account_wiring import make_account_service
from sesame.adapters.aws import AwsClients
from sesame.adapters.identity_wiring import make_identity_service
from sesame.adapters.receiving_wiring import make_receipt_bounces, make_receipt_rule_service
from sesame.adapters.sending_wiring import make_delivery_queue, make_delivery_service, make_sending_service
from sesame.adapters.template_wiring import make_template_services
from sesame.domain.accounts import AccountService
from sesame.domain.custom_verification import CustomVerificationService
from sesame.domain.identities import IdentityService, VerificationMailer
from sesame.domain.quotas import QuotaService
from sesame.domain.receiving.rule_service import ReceiptRuleService
from sesame.domain.receiving.send_bounce import ReceiptBounces
from sesame.domain.send_statistics import SendStatistics
from sesame.domain.sending.delivery import DeliveryService
from sesame.domain.sending.service import SendingService
from sesame.domain.sending.system_mail import SystemMail
from sesame.domain.sending.transport import Transport
from sesame.domain.suppression import SuppressionService
from sesame.domain.templated_sending import TemplatedSending
from sesame.domain.templates import TemplateService
from sesame.settings import Settings


@dataclass
class Services:
    settings: Settings
    accounts: AccountService
    identities: IdentityService
    quotas: QuotaService
    suppression: SuppressionService
    statistics: SendStatistics
    sending: SendingService
    system_mail: SystemMail
    receipt_rules: ReceiptRuleService
    receipt_bounces: ReceiptBounces
    templates: TemplateService
    custom_verification: CustomVerificationService
    templated_sending: TemplatedSending


def build_services(
    settings: Settings,
    aws: AwsClients | None = None,
    *,
    clock: Callable[[], float] = time.time,
    mailer: VerificationMailer | None = None,
) -> Services:
    aws = aws or AwsClients(settings)
    accounts = make_account_service(settings, aws, clock=clock)
    system_mail = SystemMail(
        make_delivery_queue(settings, aws),
        mail_host_name=settings.mail_host_name,
        region=settings.region,
        clock=clock,
        log_links=settings.log_verification_links,
    )
    identities = make_identity_service(settings, aws, clock=clock, mailer=mailer or system_mail)
    quotas = make_quota_service(settings, aws)
    sending = make_sending_service(
        settings, aws, accounts=accounts, identities=identities, quotas=quotas, clock=clock
    )
    template_services = make_template_services(
        settings, aws, accounts=accounts, identities=identities, sending=sending, clock=clock
    )
    return Services(
        settings=settings,
        accounts=accounts,
        identities=identities,
        quotas=quotas,
        suppression=make_suppression_service(settings, aws, accounts=accounts, clock=clock),
        statistics=make_send_statistics(settings, aws, clock=clock),
        sending=sending,
        system_mail=system_mail,
        receipt_rules=make_receipt_rule_service(settings, aws, clock=clock),
        receipt_bounces=make_receipt_bounces(
            settings, aws, identities=identities, mailer=system_mail, clock=clock
        ),
        templates=template_services.templates,
        custom_verification=template_services.custom_verification,
        templated_sending=template_services.templated_sending,
    )


def build_delivery(
    settings: Settings,
    aws: AwsClients | None = None,
    *,
    services: Services | None = None,
    transport: Transport | None = None,
    clock: Callable[[], float] = time.time,
) -> DeliveryService:
    """The delivery worker's service; ``services`` shares one process's (local mode)."""
    aws = aws or AwsClients(settings)
    services = services or build_services(settings, aws, clock=clock)
    return make_delivery_service(
        settings,
        aws,
        identities=services.identities,
        suppression=services.suppression,
        statistics=services.statistics,
        feedback_mailer=services.system_mail,
        transport=transport,
        clock=clock,
    )
