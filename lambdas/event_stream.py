"""The event stream's consumer: sending metrics from every event, and the EventBridge bus."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from sesame.adapters.aws import AwsClients
from sesame.adapters.emf_event_counts import EmfEventCounts
from sesame.adapters.eventbridge_events import EventBridgeEventBus
from sesame.settings import Settings
from sesame.workers.event_stream import handle_sqs_batch

# No Powertools Tracer: the consumer calls one AWS API, and Lambda's active tracing already records
# each invocation; the X-Ray SDK would add about 160 ms to every cold start.
logger = Logger()


@cache
def _outputs() -> tuple[EmfEventCounts, EventBridgeEventBus | None]:
    settings = Settings.from_environment()
    bus = None
    if settings.event_bus_name:
        bus = EventBridgeEventBus(AwsClients(settings).client("events"), settings.event_bus_name)
    return EmfEventCounts(settings.metrics_namespace), bus


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    counts, bus = _outputs()
    return handle_sqs_batch(event, counts=counts, bus=bus)
