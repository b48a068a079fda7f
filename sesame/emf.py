"""CloudWatch's Embedded Metric Format: metrics written as JSON log lines.

A process whose stdout goes to CloudWatch Logs (a Lambda function, a Fargate task with the awslogs
driver) publishes metrics by writing EMF lines: CloudWatch Logs extracts the data points, with no
PutMetricData call and no credentials.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any


def emf_record(
    *,
    namespace: str,
    dimensions: Mapping[str, str],
    values: Mapping[str, float],
    unit: str,
    timestamp_ms: int,
) -> dict[str, Any]:
    """One EMF document: the metadata (``_aws``) naming each metric of ``values`` under one
    dimension set, and the dimension and metric values as root members, which the metadata
    refers to by name."""
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": unit} for name in values],
                }
            ],
        },
        **dimensions,
        **values,
    }


def write_to_stdout(line: str) -> None:
    """One line, whole, to the process's stdout (read at each call: it may be replaced)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
