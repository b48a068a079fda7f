"""Builds the sending pipeline from settings: the accepting side (SendingService, used by the API
and the SMTP server) and the delivering side (DeliveryService, used by the worker)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_delivery_ledger import DynamoDeliveryLedger
from sesame.adapters.dynamodb_sent_messages import DynamoSentMessages
from sesame.adapters.mx_resolver import MxResolver
from sesame.adapters.smtp_transport import DirectMxTransport, RelayTransport, SmtpOptions
from sesame.adapters.sns_publishers import SnsEventPublisher, SnsNotificationPublisher
from sesame.adapters.sqs_delivery_queue import SqsDeliveryQueue
from sesame.adapters.verdict_wiring import OUTBOUND_SCAN_TIMEOUT, make_virus_scanner
from sesame.domain.accounts import AccountService
from sesame.domain.identities import IdentityService
from sesame.domain.quotas import QuotaService
from sesame.domain.send_statistics import SendStatistics
from sesame.domain.sending.delivery import DeliveryPolicy, DeliveryService
from sesame.domain.sending.dkim_signing import DkimSigner
from sesame.domain.sending.feedback_loop import FeedbackLoop
from sesame.domain.sending.feedback_reports import header_section
from sesame.domain.sending.model import QueuedMessage
from sesame.domain.sending.notifications import FeedbackMailer, NotificationRouter
from sesame.domain.sending.outcome_reporter import OutcomeReporter
from sesame.domain.sending.send_events import PublishedSendEvents, message_headers
from sesame.domain.sending.service import SendingService
from sesame.domain.sending.signing_keys import CachedSigningKeys
from sesame.domain.sending.transport import Transport
from sesame.domain.suppression import SuppressionService
from sesame.settings import Settings


def make_delivery_queue(settings: Settings, aws: AwsClients) -> SqsDeliveryQueue:
    if not settings.delivery_queue_url or not settings.spool_bucket:
        raise ValueError("the sending pipeline needs delivery_queue_url and spool_bucket in its settings")
    return SqsDeliveryQueue(
        sqs=aws.client("sqs"),
        s3=aws.client("s3"),
        queue_url=settings.delivery_queue_url,
        spool_bucket=settings.spool_bucket,
        spool_threshold=settings.spool_threshold,
        kms_key_id=settings.kms_key_id,
    )


def make_event_publisher(settings: Settings, aws: AwsClients) -> SnsEventPublisher:
    if not settings.events_topic_arn:
        raise ValueError("the sending pipeline needs events_topic_arn in its settings")
    return SnsEventPublisher(aws.client("sns"), settings.events_topic_arn)


def make_sending_service(
    settings: Settings,
    aws: AwsClients,
    *,
    accounts: AccountService,
    identities: IdentityService,
    quotas: QuotaService,
    clock: Callable[[], float] = time.time,
) -> SendingService:
    return SendingService(
        accounts=accounts,
        identities=identities,
        quotas=quotas,
        queue=make_delivery_queue(settings, aws),
        events=PublishedSendEvents(make_event_publisher(settings, aws), region=settings.region),
        region=settings.region,
        mail_host_name=settings.mail_host_name,
        clock=clock,
        content_scanner=make_virus_scanner(settings, timeout=OUTBOUND_SCAN_TIMEOUT),
    )


def make_transport(settings: Settings) -> Transport:
    options = SmtpOptions(helo_name=settings.mail_host_name)
    if settings.relay:
        return RelayTransport(settings.relay, options)
    return DirectMxTransport(MxResolver(settings.dns_server), options, port=settings.delivery_port)


def make_sent_messages(settings: Settings, aws: AwsClients) -> DynamoSentMessages:
    return DynamoSentMessages(aws.dynamodb, settings.tables.deliveries)


def make_outcome_reporter(
    settings: Settings,
    aws: AwsClients,
    *,
    identities: IdentityService,
    suppression: SuppressionService,
    statistics: SendStatistics,
    feedback_mailer: FeedbackMailer,
    clock: Callable[[], float] = time.time,
) -> OutcomeReporter:
    """The reporter of delivery outcomes; it remembers delivered messages for the feedback loop."""
    router = NotificationRouter(
        identities=identities,
        publisher=SnsNotificationPublisher(aws.client("sns")),
        mailer=feedback_mailer,
        region=settings.region,
        mail_host_name=settings.mail_host_name,
    )
    sent = make_sent_messages(settings, aws)
    return OutcomeReporter(
        events=make_event_publisher(settings, aws),
        router=router,
        suppression=suppression,
        statistics=statistics,
        headers_of=message_headers,
        auto_replies=feedback_mailer,
        region=settings.region,
        max_delivery_age=settings.max_delivery_age,
        clock=clock,
        remember_sent=lambda message, raw: sent.remember(message, header_section(raw), now=clock()),
    )


def make_feedback_loop(
    settings: Settings,
    aws: AwsClients,
    *,
    identities: IdentityService,
    suppression: SuppressionService,
    statistics: SendStatistics,
    feedback_mailer: FeedbackMailer,
    clock: Callable[[], float] = time.time,
) -> FeedbackLoop:
    reporter = make_outcome_reporter(
        settings,
        aws,
        identities=identities,
        suppression=suppression,
        statistics=statistics,
        feedback_mailer=feedback_mailer,
        clock=clock,
    )
    return FeedbackLoop(sent=make_sent_messages(settings, aws), reporter=reporter)


def make_delivery_service(
    settings: Settings,
    aws: AwsClients,
    *,
    identities: IdentityService,
    suppression: SuppressionService,
    statistics: SendStatistics,
    feedback_mailer: FeedbackMailer,
    transport: Transport | None = None,
    clock: Callable[[], float] = time.time,
) -> DeliveryService:
    queue = make_delivery_queue(settings, aws)
    reporter = make_outcome_reporter(
        settings,
        aws,
        identities=identities,
        suppression=suppression,
        statistics=statistics,
        feedback_mailer=feedback_mailer,
        clock=clock,
    )
    keys = CachedSigningKeys(identities.dkim_signing_key, clock=clock)
    signer = DkimSigner()

    def sign(message: QueuedMessage, raw: bytes) -> bytes:
        key = keys.key_for(message.account_id, message.source)
        return raw if key is None else signer.sign(raw, key, now=clock())

    return DeliveryService(
        queue=queue,
        ledger=DynamoDeliveryLedger(aws.dynamodb, settings.tables.deliveries),
        transport=transport or make_transport(settings),
        reporter=reporter,
        sign=sign,
        suppressed_among=suppression.suppressed_among,
        # Configuration sets (and their TlsPolicy) do not exist yet: opportunistic TLS for all.
        requires_tls=lambda message: False,
        policy=DeliveryPolicy(
            retry_base=settings.retry_base,
            max_age=settings.max_delivery_age,
            reporting_mta=settings.mail_host_name,
        ),
        clock=clock,
    )
