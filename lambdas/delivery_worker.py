"""The delivery worker: SQS batches of accepted messages, partial batch failures back."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from sesame.domain.sending.delivery import DeliveryService
from sesame.services import build_delivery
from sesame.settings import Settings
from sesame.workers.delivery import handle_sqs_batch

logger = Logger()
tracer = Tracer()


@cache
def _delivery() -> DeliveryService:
    return build_delivery(Settings.from_environment())


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_sqs_batch(_delivery(), event)
