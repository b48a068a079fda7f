"""API calls as Powertools metrics: requests, errors and internal failures per SES operation.

Written as EMF lines when the Lambda invocation ends (``Metrics.log_metrics``), one invocation
being one call. The Operation dimension holds registered operation names only (``Other`` for the
rest), so its values, and the metrics CloudWatch bills for, are bounded by Sesame's operations.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from sesame.api import audit
from sesame.domain.errors import InternalFailure

OTHER = "Other"
# What a caller is told when the fault is ours, in either API version.
_INTERNAL_FAILURES = frozenset({InternalFailure.code, InternalFailure.v2_code})


class ApiCallMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def __call__(self, operation: str | None, outcome: str) -> None:
        self._metrics.add_dimension(name="Operation", value=operation or OTHER)
        self._metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
        if outcome != audit.SUCCESS:
            self._metrics.add_metric(name="ApiErrors", unit=MetricUnit.Count, value=1)
        if outcome in _INTERNAL_FAILURES:
            self._metrics.add_metric(name="ApiInternalFailures", unit=MetricUnit.Count, value=1)
