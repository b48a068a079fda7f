"""The SES API behind API Gateway (HTTP API, payload format 2.0)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from sesame.adapters.api_metrics import ApiCallMetrics
from sesame.adapters.aws import AwsClients
from sesame.adapters.cloudwatch_audit_log import send_audit_to_cloudwatch
from sesame.api.apigateway import request_from_event, response_to_result
from sesame.api.app import ApiApp
from sesame.services import build_services
from sesame.settings import Settings

logger = Logger()
tracer = Tracer()
# Namespace and service from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME.
metrics = Metrics()


@cache
def _app() -> ApiApp:
    settings = Settings.from_environment()
    aws = AwsClients(settings)
    if settings.audit_log_group:
        send_audit_to_cloudwatch(aws.client("logs"), settings.audit_log_group)
    return ApiApp(build_services(settings, aws), observe=ApiCallMetrics(metrics))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return response_to_result(_app().handle(request_from_event(event)))
