"""Runtime settings, validated once at start.

In AWS every value comes from the function's or task's environment (the CDK stacks set them); in
local mode ``sesame.local`` builds them from the command-line flags. Nothing reads os.environ
anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_ACCESS_KEY_ID = "AKIASESAMELOCAL00001"
DEFAULT_SECRET_ACCESS_KEY = "sesame/local/secret/key/do/not/use/in/production"  # noqa: S105
DEFAULT_BOOTSTRAP_ACCOUNT = "000000000001"
# The MX's built-in block list: address ranges that never send mail on the Internet (this
# network, documentation ranges, reserved space).
DEFAULT_RECEIVING_BLOCK_LIST = (
    "0.0.0.0/8",
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "240.0.0.0/4",
    "2001:db8::/32",
)


def check_host_port(value: str | None) -> str | None:
    """``HOST:PORT`` (IPv6 hosts in brackets), or None."""
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return value


def check_region(value: str) -> str:
    parts = value.split("-")
    if len(parts) < 3 or not parts[-1].isdigit() or not all(parts):
        raise ValueError(f"not an AWS region name: {value!r}")
    return value


# The one CloudWatch namespace of every metric Sesame writes; the stacks' dashboard and alarms read it.
METRICS_NAMESPACE = "Sesame"


class TableNames(BaseModel):
    model_config = ConfigDict(frozen=True)

    accounts: str = "sesame-accounts"
    access_keys: str = "sesame-access-keys"
    identities: str = "sesame-identities"
    # Sending: rate and 24-hour quota counters, the suppression list, send statistics, and the
    # per-recipient delivery ledger that makes a redelivered queue message never send twice.
    quotas: str = "sesame-sending-quotas"
    suppression: str = "sesame-suppression"
    statistics: str = "sesame-send-statistics"
    deliveries: str = "sesame-deliveries"
    # Receiving: receipt rule sets, rules and IP filters (with the registry the MX reads), and
    # each received message's progress through its actions.
    receipt_rules: str = "sesame-receipt-rules"
    receipts: str = "sesame-receipts"
    # Email templates and custom verification email templates, per account.
    templates: str = "sesame-templates"


class Settings(BaseModel):
    """Everything the runtime needs to know about where it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str = "us-east-1"
    # Endpoint of the AWS APIs; None means the real AWS endpoints. Local mode sets it only for
    # tools outside the process: the process itself talks to the emulation in-process.
    aws_endpoint_url: str | None = None
    tables: TableNames = Field(default_factory=TableNames)
    # KMS key that encrypts account secrets and DKIM private keys (id, ARN or alias).
    kms_key_id: str = "alias/sesame"
    # KMS HMAC key that signs links Sesame puts in mail (verification, tracking).
    link_mac_key_id: str = "alias/sesame-links"
    # Public base URL of the API, used in links in mail, without a trailing slash.
    public_base_url: str = "http://127.0.0.1:8787"
    # DNS server for verification and MX lookups as "host:port"; None: the system resolver.
    dns_server: str | None = None
    # Easy DKIM: the zone under which Sesame hosts the public keys, behind customers' CNAMEs.
    # None: no managed zone, customers publish TXT records themselves.
    dkim_signing_zone: str | None = "dkim.sesame.test"
    dkim_hosted_zone_id: str | None = None
    # Custom MAIL FROM: the MX host customers point their MAIL FROM domain at, and the domain
    # their SPF record includes.
    mail_from_mx_host: str = "feedback-smtp.us-east-1.sesame.test"
    spf_include_domain: str = "spf.sesame.test"
    # How often pending identities are re-checked in DNS, seconds.
    check_interval: float = 5.0
    # Sending pipeline. The delivery queue (SQS URL) holds accepted messages; bodies larger than
    # spool_threshold bytes go to the spool bucket instead of the queue message.
    delivery_queue_url: str | None = None
    spool_bucket: str | None = None
    spool_threshold: int = Field(default=200_000, ge=1, le=250_000)
    # The internal event stream (an SNS topic) every Send/Delivery/Bounce/... event goes to.
    events_topic_arn: str | None = None
    # The EventBridge bus the event forwarder puts every event of that stream on (AWS only).
    event_bus_name: str | None = None
    # Deliver every outbound message to this SMTP server ("host:port") instead of the MX.
    relay: str | None = None
    # Content scanners ("host:port"; None: not configured). SpamAssassin's spamd gives received
    # mail its spam verdict; ClamAV's clamd its virus verdict, and refuses outbound mail with a
    # virus. Unconfigured, the verdicts are GRAY and outbound mail is not scanned.
    spamd_address: str | None = None
    clamd_address: str | None = None
    # The port of recipients' mail exchangers (25 on the Internet; tests point it elsewhere).
    delivery_port: int = Field(default=25, ge=1, le=65535)
    # Deferred deliveries: first retry after retry_base seconds, doubling, until max_delivery_age
    # seconds after acceptance, then a Transient bounce.
    retry_base: float = Field(default=60.0, gt=0)
    max_delivery_age: float = Field(default=12 * 3600.0, gt=0)
    # Receiving. The MX stores each accepted message in the inbound bucket before answering 250
    # and queues it (SQS) for the receipt worker. A failed action is retried after
    # receiving_retry_base seconds, doubling, for up to receiving_max_age seconds (SES: 4 hours).
    inbound_bucket: str | None = None
    receiving_queue_url: str | None = None
    receiving_retry_base: float = Field(default=60.0, gt=0)
    receiving_max_age: float = Field(default=4 * 3600.0, gt=0)
    # Addresses (CIDR) the MX refuses unless an account's IP filters allow them: the built-in
    # block list. The default holds ranges that never send mail on the Internet.
    receiving_block_list: tuple[str, ...] = DEFAULT_RECEIVING_BLOCK_LIST
    # Local mode's stand-ins for Lambda functions: function ARN -> "package.module:function" or
    # an http(s):// endpoint. Empty in AWS, where functions are invoked through Lambda.
    lambda_functions: dict[str, str] = Field(default_factory=dict)
    # CloudWatch namespace of Sesame's own metrics (receipt rule PublishFailure / PublishExpired,
    # the sending-event counts, the API's calls, the SMTP servers' connections).
    metrics_namespace: str = METRICS_NAMESPACE
    # The CloudWatch Logs group the API writes its audit trail to (None: the process's log only).
    audit_log_group: str | None = None
    # Local mode: also log address-verification links (a deployment only mails them).
    log_verification_links: bool = False
    # The host name this deployment gives itself in SMTP EHLO and in Received/reporting-MTA.
    mail_host_name: str = "sesame.local"
    # Bootstrap account (local mode and first deployment).
    bootstrap_account_id: str = DEFAULT_BOOTSTRAP_ACCOUNT
    bootstrap_access_key_id: str = DEFAULT_ACCESS_KEY_ID
    bootstrap_secret_access_key: str = Field(default=DEFAULT_SECRET_ACCESS_KEY, repr=False)
    # New accounts' defaults.
    default_sandbox: bool = True
    sandbox_max_send_rate: float = 1.0
    sandbox_max_24_hour_send: float = 200.0
    production_max_send_rate: float = 14.0
    production_max_24_hour_send: float = 50000.0
    # Email templates one account may hold (SES: 20,000 per region).
    max_email_templates: int = Field(default=20_000, ge=1)

    @field_validator("region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        return check_region(value)

    @field_validator("dns_server", "relay", "spamd_address", "clamd_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        return check_host_port(value)

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings of a Lambda function or Fargate task, from SESAME_* variables."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {"region": env.get("AWS_REGION", "us-east-1")}
        simple = {
            "SESAME_AWS_ENDPOINT_URL": "aws_endpoint_url",
            "SESAME_KMS_KEY_ID": "kms_key_id",
            "SESAME_LINK_MAC_KEY_ID": "link_mac_key_id",
            "SESAME_PUBLIC_BASE_URL": "public_base_url",
            "SESAME_DNS_SERVER": "dns_server",
            "SESAME_DKIM_SIGNING_ZONE": "dkim_signing_zone",
            "SESAME_DKIM_HOSTED_ZONE_ID": "dkim_hosted_zone_id",
            "SESAME_MAIL_FROM_MX_HOST": "mail_from_mx_host",
            "SESAME_SPF_INCLUDE_DOMAIN": "spf_include_domain",
            "SESAME_CHECK_INTERVAL": "check_interval",
            "SESAME_BOOTSTRAP_ACCOUNT_ID": "bootstrap_account_id",
            "SESAME_ACCESS_KEY_ID": "bootstrap_access_key_id",
            "SESAME_SECRET_ACCESS_KEY": "bootstrap_secret_access_key",
            "SESAME_DELIVERY_QUEUE_URL": "delivery_queue_url",
            "SESAME_SPOOL_BUCKET": "spool_bucket",
            "SESAME_EVENTS_TOPIC_ARN": "events_topic_arn",
            "SESAME_EVENT_BUS_NAME": "event_bus_name",
            "SESAME_RELAY": "relay",
            "SESAME_SPAMD_ADDRESS": "spamd_address",
            "SESAME_CLAMD_ADDRESS": "clamd_address",
            "SESAME_DELIVERY_PORT": "delivery_port",
            "SESAME_RETRY_BASE": "retry_base",
            "SESAME_MAX_DELIVERY_AGE": "max_delivery_age",
            "SESAME_MAIL_HOST_NAME": "mail_host_name",
            "SESAME_MAX_EMAIL_TEMPLATES": "max_email_templates",
            "SESAME_INBOUND_BUCKET": "inbound_bucket",
            "SESAME_RECEIVING_QUEUE_URL": "receiving_queue_url",
            "SESAME_RECEIVING_RETRY_BASE": "receiving_retry_base",
            "SESAME_RECEIVING_MAX_AGE": "receiving_max_age",
            "SESAME_METRICS_NAMESPACE": "metrics_namespace",
            "SESAME_AUDIT_LOG_GROUP": "audit_log_group",
            "SESAME_DEFAULT_SANDBOX": "default_sandbox",
            "SESAME_SANDBOX_MAX_SEND_RATE": "sandbox_max_send_rate",
            "SESAME_SANDBOX_MAX_24_HOUR_SEND": "sandbox_max_24_hour_send",
        }
        for var, field in simple.items():
            if env.get(var):
                values[field] = env[var]
        tables = {
            key: env[var]
            for key, var in (
                ("accounts", "SESAME_TABLE_ACCOUNTS"),
                ("access_keys", "SESAME_TABLE_ACCESS_KEYS"),
                ("identities", "SESAME_TABLE_IDENTITIES"),
                ("quotas", "SESAME_TABLE_QUOTAS"),
                ("suppression", "SESAME_TABLE_SUPPRESSION"),
                ("statistics", "SESAME_TABLE_STATISTICS"),
                ("deliveries", "SESAME_TABLE_DELIVERIES"),
                ("receipt_rules", "SESAME_TABLE_RECEIPT_RULES"),
                ("receipts", "SESAME_TABLE_RECEIPTS"),
                ("templates", "SESAME_TABLE_TEMPLATES"),
            )
            if env.get(var)
        }
        # A deployment without a DKIM zone says so with an empty value: customers then publish
        # their DKIM keys as TXT records instead of CNAMEs into a zone we host.
        if env.get("SESAME_DKIM_SIGNING_ZONE") == "":
            values["dkim_signing_zone"] = None
        # Comma-separated CIDRs; an empty value means no built-in block list at all.
        if "SESAME_RECEIVING_BLOCK_LIST" in env:
            block_list = env["SESAME_RECEIVING_BLOCK_LIST"]
            values["receiving_block_list"] = tuple(c.strip() for c in block_list.split(",") if c.strip())
        values["tables"] = TableNames(**tables)
        return cls.model_validate(values)
