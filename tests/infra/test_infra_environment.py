"""Each function's environment: exactly the variables of its work, all of them read by Settings."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import assertions
from infra_support import (
    API_HANDLER,
    CHECKER_HANDLER,
    HANDLERS,
    RECEIPT_WORKER_HANDLER,
    WORKER_HANDLER,
    audit_log_group,
    events_topic,
    function,
    inbound_bucket,
    keys,
    logical_id,
    queues,
    receipt_queues,
    spool_bucket,
    tables,
)

from sesame.settings import Settings

# CloudFormation fills in references at deploy time; stand-ins of the right shape here.
STAND_INS = {
    "SESAME_TABLE_ACCOUNTS": "SesameFull-Accounts-1",
    "SESAME_TABLE_ACCESS_KEYS": "SesameFull-AccessKeys-1",
    "SESAME_TABLE_IDENTITIES": "SesameFull-Identities-1",
    "SESAME_TABLE_QUOTAS": "SesameFull-Quotas-1",
    "SESAME_TABLE_SUPPRESSION": "SesameFull-Suppression-1",
    "SESAME_TABLE_STATISTICS": "SesameFull-Statistics-1",
    "SESAME_TABLE_DELIVERIES": "SesameFull-Deliveries-1",
    "SESAME_TABLE_TEMPLATES": "SesameFull-Templates-1",
    "SESAME_TABLE_RECEIPT_RULES": "SesameFull-ReceiptRules-1",
    "SESAME_TABLE_RECEIPTS": "SesameFull-Receipts-1",
    "SESAME_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1",
    "SESAME_LINK_MAC_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/2",
    "SESAME_DKIM_HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ",
    "SESAME_DELIVERY_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/SesameFull-Queue-1",
    "SESAME_SPOOL_BUCKET": "sesamefull-spool-1",
    "SESAME_EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:SesameFull-Events-1",
    "SESAME_INBOUND_BUCKET": "sesamefull-inbound-1",
    "SESAME_RECEIVING_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/SesameFull-Receipts-1",
    "SESAME_AUDIT_LOG_GROUP": "SesameFull-AuditLogs-1",
}


def _variables(template: assertions.Template, handler: str) -> dict[str, Any]:
    return dict(function(template, handler)["Properties"]["Environment"]["Variables"])


def _environ(template: assertions.Template, handler: str) -> dict[str, str]:
    """The function's environment as Lambda would see it after deployment."""
    environ = {k: STAND_INS.get(k, v) for k, v in _variables(template, handler).items()}
    assert all(isinstance(value, str) for value in environ.values()), environ
    return environ | {"AWS_REGION": "eu-west-1"}


class TestVariables:
    def test_each_function_gets_the_variables_of_its_work(self, full: assertions.Template) -> None:
        table = tables(full)
        main, mac = keys(full)
        queue, _ = queues(full)
        zone = logical_id(full, "AWS::Route53::HostedZone", {"Name": "dkim.mail.example.com."})
        everyone = {
            "POWERTOOLS_SERVICE_NAME": "sesame",
            "LOG_LEVEL": "DEBUG",
            "SESAME_TABLE_ACCOUNTS": {"Ref": table["accounts"]},
            "SESAME_TABLE_ACCESS_KEYS": {"Ref": table["access_keys"]},
            "SESAME_TABLE_IDENTITIES": {"Ref": table["identities"]},
            "SESAME_KMS_KEY_ID": {"Fn::GetAtt": [main, "Arn"]},
            "SESAME_LINK_MAC_KEY_ID": {"Fn::GetAtt": [mac, "Arn"]},
            "SESAME_PUBLIC_BASE_URL": "https://mail.example.com",
            "SESAME_DKIM_SIGNING_ZONE": "dkim.mail.example.com",
            "SESAME_DKIM_HOSTED_ZONE_ID": {"Ref": zone},
            "SESAME_MAIL_FROM_MX_HOST": "feedback-smtp.mail.example.com",
            "SESAME_SPF_INCLUDE_DOMAIN": "spf.mail.example.com",
            "SESAME_CHECK_INTERVAL": "900",
            "SESAME_TABLE_TEMPLATES": {"Ref": table["templates"]},
            "SESAME_TABLE_RECEIPT_RULES": {"Ref": table["receipt_rules"]},
            "SESAME_TABLE_RECEIPTS": {"Ref": table["receipts"]},
            "SESAME_DEFAULT_SANDBOX": "false",
            "SESAME_SANDBOX_MAX_SEND_RATE": "2.5",
            "SESAME_SANDBOX_MAX_24_HOUR_SEND": "500",
        }
        # Accepting and delivering mail: the sending tables, queue, spool, events and host name.
        sending = {
            "SESAME_TABLE_QUOTAS": {"Ref": table["quotas"]},
            "SESAME_TABLE_SUPPRESSION": {"Ref": table["suppression"]},
            "SESAME_TABLE_STATISTICS": {"Ref": table["statistics"]},
            "SESAME_TABLE_DELIVERIES": {"Ref": table["deliveries"]},
            "SESAME_DELIVERY_QUEUE_URL": {"Ref": queue},
            "SESAME_SPOOL_BUCKET": {"Ref": spool_bucket(full)},
            "SESAME_EVENTS_TOPIC_ARN": {"Ref": events_topic(full)},
            "SESAME_MAIL_HOST_NAME": "mta.mail.example.com",
        }
        # Delivering only: retries and the relay.
        delivery = {
            "SESAME_RETRY_BASE": "30",
            "SESAME_MAX_DELIVERY_AGE": "129600",
            "SESAME_RELAY": "egress.mail.example.com:2525",
        }
        # Receiving: the inbound bucket and the receipt queue.
        receipt_queue, _ = receipt_queues(full)
        receiving = {
            "SESAME_INBOUND_BUCKET": {"Ref": inbound_bucket(full)},
            "SESAME_RECEIVING_QUEUE_URL": {"Ref": receipt_queue},
        }
        assert _variables(full, CHECKER_HANDLER) == everyone
        # The API alone writes the audit trail, and counts its calls per operation.
        audit = {"SESAME_AUDIT_LOG_GROUP": {"Ref": audit_log_group(full)}}
        api_metrics = {"POWERTOOLS_METRICS_NAMESPACE": "Sesame"}
        assert _variables(full, API_HANDLER) == everyone | sending | receiving | audit | api_metrics
        assert _variables(full, WORKER_HANDLER) == everyone | sending | delivery
        # The receipt worker's Bounce action sends through the sending pipeline.
        assert _variables(full, RECEIPT_WORKER_HANDLER) == everyone | sending | receiving

    def test_retry_settings_reach_the_worker_even_at_their_defaults(
        self, default: assertions.Template
    ) -> None:
        variables = _variables(default, WORKER_HANDLER)
        assert variables["SESAME_RETRY_BASE"] == "60"
        assert variables["SESAME_MAX_DELIVERY_AGE"] == "43200"


class TestSettings:
    @pytest.mark.parametrize("handler", HANDLERS)
    def test_every_sesame_variable_is_one_that_settings_reads(
        self, full: assertions.Template, handler: str
    ) -> None:
        # FULL_CONTEXT gives every setting a value other than the runtime's default, so a variable
        # that Settings reads changes Settings on its own; one it ignores (misspelt, or not yet read
        # by the runtime) changes nothing.
        baseline = Settings.from_environment({})
        environ = _environ(full, handler)
        names = [name for name in environ if name.startswith("SESAME_")]
        assert names
        ignored = [name for name in names if Settings.from_environment({name: environ[name]}) == baseline]
        assert ignored == []

    @pytest.mark.parametrize("handler", HANDLERS)
    def test_settings_accept_each_functions_environment(
        self, full: assertions.Template, handler: str
    ) -> None:
        settings = Settings.from_environment(_environ(full, handler))
        assert settings.region == "eu-west-1"
        assert settings.tables.accounts == "SesameFull-Accounts-1"
        assert settings.tables.access_keys == "SesameFull-AccessKeys-1"
        assert settings.tables.identities == "SesameFull-Identities-1"
        assert settings.kms_key_id.endswith("key/1") and settings.link_mac_key_id.endswith("key/2")
        assert settings.public_base_url == "https://mail.example.com"
        assert settings.dkim_signing_zone == "dkim.mail.example.com"
        assert settings.dkim_hosted_zone_id == "Z0123456789ABCDEFGHIJ"
        assert settings.mail_from_mx_host == "feedback-smtp.mail.example.com"
        assert settings.spf_include_domain == "spf.mail.example.com"
        assert settings.check_interval == 900.0

    @pytest.mark.parametrize("handler", [API_HANDLER, RECEIPT_WORKER_HANDLER])
    def test_api_and_receipt_worker_settings_name_the_receiving_resources(
        self, full: assertions.Template, handler: str
    ) -> None:
        settings = Settings.from_environment(_environ(full, handler))
        assert settings.inbound_bucket == "sesamefull-inbound-1"
        assert settings.receiving_queue_url == STAND_INS["SESAME_RECEIVING_QUEUE_URL"]
        assert settings.tables.receipt_rules == "SesameFull-ReceiptRules-1"
        assert settings.tables.receipts == "SesameFull-Receipts-1"

    def test_the_metrics_namespace_the_receipt_worker_may_write_is_the_runtimes(self) -> None:
        from stacks.receiving import METRICS_NAMESPACE

        assert Settings.from_environment({}).metrics_namespace == METRICS_NAMESPACE

    @pytest.mark.parametrize("handler", [API_HANDLER, WORKER_HANDLER])
    def test_api_and_worker_settings_name_the_sending_resources(
        self, full: assertions.Template, handler: str
    ) -> None:
        settings = Settings.from_environment(_environ(full, handler))
        assert settings.tables.quotas == "SesameFull-Quotas-1"
        assert settings.tables.suppression == "SesameFull-Suppression-1"
        assert settings.tables.statistics == "SesameFull-Statistics-1"
        assert settings.tables.deliveries == "SesameFull-Deliveries-1"
        assert settings.delivery_queue_url == STAND_INS["SESAME_DELIVERY_QUEUE_URL"]
        assert settings.spool_bucket == "sesamefull-spool-1"
        assert settings.events_topic_arn == STAND_INS["SESAME_EVENTS_TOPIC_ARN"]
        assert settings.mail_host_name == "mta.mail.example.com"

    def test_worker_settings_carry_the_relay_and_retry_policy(self, full: assertions.Template) -> None:
        settings = Settings.from_environment(_environ(full, WORKER_HANDLER))
        assert settings.relay == "egress.mail.example.com:2525"
        assert settings.retry_base == 30.0
        assert settings.max_delivery_age == 129600.0

    def test_settings_see_no_dkim_zone_when_none_is_configured(self, default: assertions.Template) -> None:
        for handler in HANDLERS:
            variables = _variables(default, handler)
            environ = {k: v if isinstance(v, str) else "stand-in" for k, v in variables.items()}
            environ |= {"SESAME_RELAY": "egress.internal:2525"} if "SESAME_RELAY" in environ else {}
            assert Settings.from_environment(environ).dkim_signing_zone is None
