"""The receipt worker: SQS batches of received messages through their rules' actions."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from sesame.adapters.aws import AwsClients
from sesame.adapters.receiving_wiring import make_receipt_processor, make_receipt_queue
from sesame.adapters.sqs_receipt_queue import SqsReceiptQueue
from sesame.domain.receiving.processor import ReceiptProcessor
from sesame.services import build_services
from sesame.settings import Settings
from sesame.workers.receiving import handle_sqs_batch

logger = Logger()
tracer = Tracer()


@cache
def _worker() -> tuple[ReceiptProcessor, SqsReceiptQueue]:
    settings = Settings.from_environment()
    aws = AwsClients(settings)
    services = build_services(settings, aws)
    processor = make_receipt_processor(settings, aws, bounces=services.system_mail)
    return processor, make_receipt_queue(settings, aws)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    processor, queue = _worker()
    return handle_sqs_batch(processor, queue, event)
