"""Audit records reach the dedicated CloudWatch Logs group, one event per record, in order."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from sesame.adapters.cloudwatch_audit_log import send_audit_to_cloudwatch
from sesame.api.audit import AUDIT_LOGGER_NAME, audit_record, write

GROUP = "sesame-audit"


@pytest.fixture
def logs() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName=GROUP)
        yield client


def test_each_audit_record_becomes_one_event_in_the_audit_log_group(logs) -> None:
    handler = send_audit_to_cloudwatch(logs, GROUP)
    try:
        for operation in ("CreateEmailIdentity", "DeleteEmailIdentity"):
            write(
                audit_record(
                    version=2,
                    operation=operation,
                    outcome="success",
                    request_id=f"req-{operation}",
                    source_ip="198.51.100.7",
                    account_id="111111111111",
                    access_key_id="AKIAEXAMPLE",
                )
            )
    finally:
        logging.getLogger(AUDIT_LOGGER_NAME).removeHandler(handler)
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=handler.stream, startFromHead=True)[
        "events"
    ]
    records = [json.loads(e["message"]) for e in events]
    assert [r["operation"] for r in records] == ["CreateEmailIdentity", "DeleteEmailIdentity"]
    assert records[0]["requestId"] == "req-CreateEmailIdentity"
    assert records[0]["accountId"] == "111111111111"
