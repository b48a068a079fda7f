"""The audit trail of the management API: one JSON line per call, on the ``sesame.audit`` logger.

Like CloudTrail for SES, it records management events (identities, configuration sets, templates,
account settings, ...) and leaves sends out: those are data, counted by statistics and events.
Where the lines end up is the host's choice: local mode's log output, or in AWS a dedicated
CloudWatch Logs group (see sesame/adapters/cloudwatch_audit_log.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

AUDIT_LOGGER_NAME = "sesame.audit"
SUCCESS = "success"

# The calls that send mail: not management events, so not audited.
SEND_OPERATIONS = frozenset(
    {
        "SendEmail",
        "SendRawEmail",
        "SendTemplatedEmail",
        "SendBulkTemplatedEmail",
        "SendBulkEmail",
        "SendCustomVerificationEmail",
        "SendBounce",
    }
)

# SES's API versions as CloudTrail names them.
API_VERSIONS = {1: "2010-12-01", 2: "2019-09-27"}

audit_log = logging.getLogger(AUDIT_LOGGER_NAME)


@dataclass(frozen=True)
class AuditRecord:
    event_time: str
    api_version: str
    operation: str
    outcome: str  # SUCCESS, or the SES error code the caller received
    request_id: str
    source_ip: str
    account_id: str | None  # None when the caller was not authenticated
    access_key_id: str | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "eventTime": self.event_time,
                "apiVersion": self.api_version,
                "operation": self.operation,
                "outcome": self.outcome,
                "requestId": self.request_id,
                "sourceIp": self.source_ip,
                "accountId": self.account_id,
                "accessKeyId": self.access_key_id,
            },
            separators=(",", ":"),
        )


def is_audited(operation: str) -> bool:
    return operation not in SEND_OPERATIONS


def audit_record(
    *,
    version: int,
    operation: str,
    outcome: str,
    request_id: str,
    source_ip: str,
    account_id: str | None,
    access_key_id: str | None,
    now: datetime | None = None,
) -> AuditRecord:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return AuditRecord(
        event_time=moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        api_version=API_VERSIONS.get(version, str(version)),
        operation=operation,
        outcome=outcome,
        request_id=request_id,
        source_ip=source_ip,
        account_id=account_id,
        access_key_id=access_key_id,
    )


def write(record: AuditRecord) -> None:
    audit_log.info(record.to_json())
