"""The audit trail: a log group of its own, encrypted with the main key, written by the API only."""

from __future__ import annotations

from aws_cdk import assertions
from infra_support import (
    API_HANDLER,
    HANDLERS,
    LOG_WRITE,
    arn,
    audit_log_group,
    grants,
    keys,
    log_group_of,
)


def test_the_audit_trail_has_a_dedicated_encrypted_log_group(default: assertions.Template) -> None:
    main, _ = keys(default)
    group = audit_log_group(default)
    assert group != log_group_of(default, API_HANDLER)
    properties = default.find_resources("AWS::Logs::LogGroup")[group]["Properties"]
    assert properties == {"KmsKeyId": {"Fn::GetAtt": [main, "Arn"]}, "RetentionInDays": 30}


def test_the_audit_log_group_keeps_records_as_long_as_configured(full: assertions.Template) -> None:
    properties = full.find_resources("AWS::Logs::LogGroup")[audit_log_group(full)]["Properties"]
    assert properties["RetentionInDays"] == 90


def test_only_the_api_function_may_write_the_audit_trail(full: assertions.Template) -> None:
    group = arn(audit_log_group(full))
    assert grants(full, API_HANDLER)[group] == LOG_WRITE
    for handler in HANDLERS:
        if handler != API_HANDLER:
            assert group not in grants(full, handler), handler


def test_the_stack_output_names_the_audit_log_group(default: assertions.Template) -> None:
    outputs = default.find_outputs("*")
    assert outputs["AuditLogGroupName"]["Value"] == {"Ref": audit_log_group(default)}
