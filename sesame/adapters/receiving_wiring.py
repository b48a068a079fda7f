"""Builds the receiving side from settings: the receipt rule service (API), and the pieces the
MX and the receipt worker share. The one place that picks receiving's adapters."""

from __future__ import annotations

import time
from collections.abc import Callable

from sesame.adapters.aws import AwsClients
from sesame.adapters.dynamodb_receipt_ledger import DynamoReceiptLedger
from sesame.adapters.dynamodb_receipt_rules import DynamoReceiptRuleRepository
from sesame.adapters.lambda_invokers import AwsLambdaInvoker, MappedFunctionInvoker
from sesame.adapters.receipt_publishing import CloudWatchReceivingMetrics, SnsReceiptPublisher
from sesame.adapters.receiving_targets import AwsReceivingTargets
from sesame.adapters.s3_receipt_objects import S3ReceiptObjects
from sesame.adapters.sqs_receipt_queue import S3InboundStore, SqsReceiptQueue
from sesame.adapters.verdict_wiring import make_verdict_evaluator
from sesame.domain.identities import IdentityService
from sesame.domain.receiving.acceptance import MessageAcceptance
from sesame.domain.receiving.action_ports import BounceMailer, FunctionInvoker
from sesame.domain.receiving.actions import ActionRunner
from sesame.domain.receiving.admission import MxPolicy, ReceivingDirectory
from sesame.domain.receiving.processor import ReceiptPolicy, ReceiptProcessor, VerdictSource
from sesame.domain.receiving.rule_service import ReceiptRuleService
from sesame.domain.receiving.send_bounce import ReceiptBounces
from sesame.settings import Settings


def make_function_invoker(settings: Settings, aws: AwsClients) -> FunctionInvoker:
    if settings.lambda_functions:
        return MappedFunctionInvoker(settings.lambda_functions)
    return AwsLambdaInvoker(aws.client("lambda"))


def make_rule_repository(settings: Settings, aws: AwsClients) -> DynamoReceiptRuleRepository:
    return DynamoReceiptRuleRepository(aws.dynamodb, settings.tables.receipt_rules)


def make_receipt_rule_service(
    settings: Settings, aws: AwsClients, *, clock: Callable[[], float] = time.time
) -> ReceiptRuleService:
    targets = AwsReceivingTargets(
        s3=aws.client("s3"),
        kms=aws.kms,
        sns=aws.client("sns"),
        functions=make_function_invoker(settings, aws),
        deployment_key_id=settings.kms_key_id,
    )
    return ReceiptRuleService(repository=make_rule_repository(settings, aws), targets=targets, clock=clock)


def make_inbound_store(settings: Settings, aws: AwsClients) -> S3InboundStore:
    if not settings.inbound_bucket:
        raise ValueError("receiving needs inbound_bucket in its settings")
    return S3InboundStore(aws.client("s3"), settings.inbound_bucket, kms_key_id=settings.kms_key_id)


def make_receipt_queue(settings: Settings, aws: AwsClients) -> SqsReceiptQueue:
    if not settings.receiving_queue_url:
        raise ValueError("receiving needs receiving_queue_url in its settings")
    return SqsReceiptQueue(
        sqs=aws.client("sqs"), queue_url=settings.receiving_queue_url, store=make_inbound_store(settings, aws)
    )


def make_receipt_ledger(settings: Settings, aws: AwsClients) -> DynamoReceiptLedger:
    return DynamoReceiptLedger(aws.dynamodb, settings.tables.receipts)


def verified_domain_check(identities: IdentityService) -> Callable[[str, str], bool]:
    """(account, domain) -> whether the account verified the domain or a parent domain."""
    return lambda account_id, domain: identities.verified_identity_for(account_id, domain) is not None


def make_mx_policy(
    settings: Settings,
    aws: AwsClients,
    *,
    identities: IdentityService,
    feedback_address: Callable[[str], bool] | None = None,
) -> MxPolicy:
    return MxPolicy(
        ReceivingDirectory(make_rule_repository(settings, aws)),
        verified_domain_check(identities),
        built_in_block_list=settings.receiving_block_list,
        feedback_address=feedback_address,
    )


def make_acceptance(
    settings: Settings, aws: AwsClients, *, clock: Callable[[], float] = time.time
) -> MessageAcceptance:
    return MessageAcceptance(
        store=make_inbound_store(settings, aws), queue=make_receipt_queue(settings, aws), clock=clock
    )


def make_receipt_processor(
    settings: Settings,
    aws: AwsClients,
    *,
    bounces: BounceMailer,
    verdicts: VerdictSource | None = None,
    clock: Callable[[], float] = time.time,
) -> ReceiptProcessor:
    actions = ActionRunner(
        objects=S3ReceiptObjects(aws.client("s3"), aws.kms, deployment_key_id=settings.kms_key_id),
        topics=SnsReceiptPublisher(aws.client("sns")),
        functions=make_function_invoker(settings, aws),
        bounces=bounces,
        mail_host_name=settings.mail_host_name,
        clock=clock,
    )
    return ReceiptProcessor(
        store=make_inbound_store(settings, aws),
        ledger=make_receipt_ledger(settings, aws),
        queue=make_receipt_queue(settings, aws),
        actions=actions,
        verdicts=verdicts if verdicts is not None else make_verdict_evaluator(settings),
        metrics=CloudWatchReceivingMetrics(aws.client("cloudwatch"), settings.metrics_namespace),
        policy=ReceiptPolicy(retry_base=settings.receiving_retry_base, max_age=settings.receiving_max_age),
        mail_host_name=settings.mail_host_name,
        clock=clock,
    )


def make_receipt_bounces(
    settings: Settings,
    aws: AwsClients,
    *,
    identities: IdentityService,
    mailer: BounceMailer,
    clock: Callable[[], float] = time.time,
) -> ReceiptBounces:
    return ReceiptBounces(
        ledger=make_receipt_ledger(settings, aws),
        # A deployment without receiving has no received mail to bounce.
        store=make_inbound_store(settings, aws) if settings.inbound_bucket else None,
        sender_verified=lambda account_id, address: (
            identities.verified_identity_for(account_id, address) is not None
        ),
        mailer=mailer,
        mail_host_name=settings.mail_host_name,
        clock=clock,
    )
