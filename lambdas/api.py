"""The SES API behind API Gateway (HTTP API, payload format 2.0)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from sesame.api.apigateway import request_from_event, response_to_result
from sesame.api.app import ApiApp
from sesame.services import build_services
from sesame.settings import Settings

logger = Logger()
tracer = Tracer()


@cache
def _app() -> ApiApp:
    return ApiApp(build_services(Settings.from_environment()))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return response_to_result(_app().handle(request_from_event(event)))
