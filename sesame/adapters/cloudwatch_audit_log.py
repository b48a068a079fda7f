"""The audit trail's destination in AWS: a dedicated CloudWatch Logs group.

Each record is written with PutLogEvents before the API answers, so a call the caller saw answered
is in the trail. One log stream per process (a Lambda execution environment), created on first use.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sesame.api.audit import AUDIT_LOGGER_NAME


class CloudWatchLogsHandler(logging.Handler):
    def __init__(self, logs: Any, log_group: str, stream_prefix: str = "api") -> None:
        super().__init__(level=logging.INFO)
        self._logs = logs
        self._group = log_group
        self._stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/{stream_prefix}/{uuid.uuid4().hex}"
        self._stream_created = False

    @property
    def stream(self) -> str:
        return self._stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if not self._stream_created:
                self._logs.create_log_stream(logGroupName=self._group, logStreamName=self._stream)
                self._stream_created = True
            self._logs.put_log_events(
                logGroupName=self._group,
                logStreamName=self._stream,
                logEvents=[{"timestamp": int(record.created * 1000), "message": record.getMessage()}],
            )
        except Exception:
            # The function's own log keeps the failure (and, through propagation, the record).
            self.handleError(record)


def send_audit_to_cloudwatch(logs: Any, log_group: str) -> CloudWatchLogsHandler:
    """Attach the handler to the audit logger; the records also propagate to the process's log."""
    handler = CloudWatchLogsHandler(logs, log_group)
    audit = logging.getLogger(AUDIT_LOGGER_NAME)
    audit.setLevel(logging.INFO)
    audit.addHandler(handler)
    return handler
