"""Builds the IdentityService from settings and AWS clients: the one place that picks adapters."""

from __future__ import annotations

import time

from sesame.adapters.aws import AwsClients
from sesame.adapters.dns import DnsPythonLookup
from sesame.adapters.dynamodb_identities import DynamoDbIdentityRepository
from sesame.adapters.kms import KmsCipher, KmsMacSigner
from sesame.adapters.route53_dkim import Route53DkimPublisher
from sesame.adapters.sns_publishers import SnsTopicDirectory
from sesame.adapters.verification_mailer import LoggingVerificationMailer
from sesame.domain.identities import IdentityService
from sesame.domain.identity_ports import VerificationMailer
from sesame.domain.ports import Clock
from sesame.settings import Settings


def make_identity_service(
    settings: Settings,
    aws: AwsClients,
    *,
    clock: Clock = time.time,
    mailer: VerificationMailer | None = None,
) -> IdentityService:
    publisher = None
    if settings.dkim_signing_zone:
        if not settings.dkim_hosted_zone_id:
            # Fail at start rather than at the first CreateEmailIdentity: with a zone name but
            # no zone, customers would be told to publish CNAMEs leading nowhere.
            raise ValueError(
                "dkim_signing_zone is set but dkim_hosted_zone_id is not: "
                "provision the zone (local mode) or set SESAME_DKIM_HOSTED_ZONE_ID"
            )
        publisher = Route53DkimPublisher(aws.route53, settings.dkim_hosted_zone_id)
    return IdentityService(
        settings=settings,
        repository=DynamoDbIdentityRepository(aws.dynamodb, settings.tables.identities),
        cipher=KmsCipher(aws.kms, settings.kms_key_id),
        mac=KmsMacSigner(aws.kms, settings.link_mac_key_id),
        dns=DnsPythonLookup(settings.dns_server),
        mailer=mailer or LoggingVerificationMailer(),
        publisher=publisher,
        clock=clock,
        topics=SnsTopicDirectory(aws.client("sns")),
    )
