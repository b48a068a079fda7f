"""The deployment's typed configuration, read from the CDK context.

Every value comes from the ``context`` of ``cdk.json`` (where each key is listed with its default)
or from ``cdk deploy -c KEY=VALUE``. The CLI hands ``-c`` values over as strings, so the model
coerces them ("512" -> 512, "false" -> False, "" -> unset). Reading the config never calls AWS:
synth stays offline and side-effect free.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# CloudWatch Logs accepts only these retention periods (days); anything else fails at deploy time,
# so the model refuses it at synth time instead. "Never expire" is deliberately not offered: access
# logs hold client IP addresses and should not be kept forever by default.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?P<domain>[^@\s]+)$")
# SQS holds a message at most 14 days; a delivery may not be allowed to outlive its queue message.
_MAX_QUEUE_RETENTION_SECONDS = 14 * 24 * 3600
# Our own keys are snake_case; CDK's and the CLI's keys contain ':' '@' '-' or '/', so a snake_case
# key that is not a field is almost certainly a misspelt one of ours.
_OUR_KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(ValueError):
    """The CDK context does not describe a valid Sesame deployment; the message says what to fix."""


def _dns_name(value: str, *, what: str) -> str:
    name = value.strip().rstrip(".").lower()
    if len(name) > 253:
        raise ValueError(f"{what} is longer than 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError(f"{what} needs at least two labels (like 'dkim.example.com'), got {value!r}")
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        raise ValueError(
            f"{what} {value!r} is not a DNS name: label {bad[0]!r} must be 1-63 letters, digits or "
            "hyphens, not starting or ending with a hyphen"
        )
    if labels[-1].isdigit():
        raise ValueError(f"{what} {value!r} looks like an IP address, not a DNS name")
    return name


def _host_port(value: str, *, what: str) -> str:
    """HOST:PORT, the host a DNS name, an IPv4 address or a bracketed IPv6 address."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{what} {value!r} is not HOST:PORT (with a port from 1 to 65535)")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"{what} {value!r}: {host} is not an IPv6 address") from None
    elif not _IPV4.match(host):
        host = _dns_name(host, what=f"{what} host")
    return f"{host}:{int(port)}"


class SesameConfig(BaseModel):
    """What a team may choose about its Sesame deployment. Defaults suit a first deployment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stack_name: str = Field(
        default="Sesame",
        description="CloudFormation stack name; `sesame admin --stack NAME` reads its outputs.",
    )
    name_prefix: str = Field(
        default="sesame",
        description="Prefix of the names that must be unique per account and region: the KMS "
        "aliases alias/PREFIX and alias/PREFIX-links. Change it to deploy two Sesames side by side.",
    )
    account: str | None = Field(
        default=None,
        description="AWS account to pin the stack to; unset: environment-agnostic (the default).",
    )
    region: str | None = Field(
        default=None,
        description="AWS region to pin the stack to; unset: environment-agnostic (the default).",
    )
    deletion_protection: bool = Field(
        default=True,
        description="Tables get deletion protection, and tables, keys and log groups are retained "
        "when the stack is deleted. Turn off only for throw-away stacks.",
    )
    api_memory_mb: int = Field(default=512, ge=128, le=10240, description="API function memory (MB).")
    checker_memory_mb: int = Field(
        default=256, ge=128, le=10240, description="Identity-checker function memory (MB)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Powertools LOG_LEVEL of the functions."
    )
    log_retention_days: int = Field(
        default=30, description=f"Retention of every log group, days: one of {LOG_RETENTION_DAYS}."
    )
    api_throttle_rate: float = Field(
        default=50.0, gt=0, le=10000, description="Default-stage steady-state request rate (per second)."
    )
    api_throttle_burst: int = Field(default=100, ge=1, le=5000, description="Default-stage burst (requests).")
    identity_check_minutes: int = Field(
        default=5, ge=1, le=1440, description="How often pending identities are re-checked in DNS."
    )
    dkim_signing_zone: str | None = Field(
        default=None,
        description="Easy DKIM: the DNS zone under which Sesame publishes DKIM public keys (behind "
        "customers' CNAMEs). Unset: no managed zone; customers publish TXT records themselves.",
    )
    dkim_hosted_zone_id: str | None = Field(
        default=None,
        description="An existing Route 53 hosted zone for dkim_signing_zone. Unset (with "
        "dkim_signing_zone set): the stack creates a public hosted zone for it.",
    )
    mail_from_mx_host: str | None = Field(
        default=None,
        description="Custom MAIL FROM: the MX host customers point their MAIL FROM domain at. "
        "Unset: the runtime's placeholder.",
    )
    spf_include_domain: str | None = Field(
        default=None,
        description="Custom MAIL FROM: the domain customers' SPF records include. Unset: the "
        "runtime's placeholder.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="Public base URL for links in mail (a custom domain in front of the API). "
        "Unset: the API's own execute-api URL.",
    )
    # Outbound sending: the delivery worker and its queue.
    worker_memory_mb: int = Field(default=512, ge=128, le=10240, description="Delivery worker memory (MB).")
    worker_timeout_seconds: int = Field(
        default=300,
        ge=30,
        le=300,
        description="Delivery worker timeout (s); the queue's visibility timeout is six times this. At "
        "most 300: a worker must end before its five-minute claim on a recipient lapses, or a "
        "duplicate queue message could deliver to that recipient twice.",
    )
    worker_reserved_concurrency: int = Field(
        default=10,
        ge=2,
        le=1000,
        description="Concurrent delivery workers, reserved for them and never exceeded (it also caps "
        "the queue trigger's maximum concurrency, 2 or more). Lambda keeps 100 of the account's "
        "concurrency unreserved, so the account's limit must exceed 100 plus all reservations.",
    )
    worker_batch_size: int = Field(
        default=10,
        ge=1,
        le=10000,
        description="Queue messages per worker invocation; above 10 needs a batching window.",
    )
    worker_batching_window_seconds: int = Field(
        default=0,
        ge=0,
        le=300,
        description="How long the queue trigger may gather messages before invoking a worker (s).",
    )
    max_receive_count: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Receives of one queue message (failed attempts) before it moves to the dead-letter "
        "queue. Deferred deliveries are re-queued as new messages and do not count.",
    )
    retry_base_seconds: int = Field(
        default=60,
        ge=1,
        le=86400,
        description="First retry delay of a deferred delivery (s); later ones double.",
    )
    max_delivery_age_seconds: int = Field(
        default=12 * 3600,
        ge=60,
        le=_MAX_QUEUE_RETENTION_SECONDS,
        description="How long after acceptance a deferred recipient is retried before it bounces (s). "
        "Spooled message bodies expire a day or more after it. At most 14 days, SQS's retention.",
    )
    queue_age_alarm_minutes: int = Field(
        default=60,
        ge=5,
        le=20160,
        description="Alarm when the oldest message waiting in the delivery queue is older than this.",
    )
    relay: str | None = Field(
        default=None,
        description="HOST:PORT of the SMTP server the delivery worker hands every message to (the "
        "egress tier). Unset: direct to the recipients' MX hosts.",
    )
    mail_host_name: str | None = Field(
        default=None,
        description="The host name of this deployment in SMTP EHLO, Message-IDs and reports. Unset: "
        "the runtime's placeholder.",
    )
    alarm_email: str | None = Field(
        default=None,
        description="An address subscribed to the alarm topic (it must confirm the subscription). "
        "Unset: subscribe to the AlarmTopicArn output yourself.",
    )

    @field_validator(
        "account",
        "region",
        "dkim_signing_zone",
        "dkim_hosted_zone_id",
        "mail_from_mx_host",
        "spf_include_domain",
        "public_base_url",
        "relay",
        "mail_host_name",
        "alarm_email",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `cdk deploy -c dkim_signing_zone=` is how a user unsets a value from the command line.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("stack_name")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", value):
            raise ValueError(
                f"{value!r} is not a CloudFormation stack name (a letter, then letters, digits or "
                "hyphens, at most 128 characters)"
            )
        return value

    @field_validator("name_prefix")
    @classmethod
    def _name_prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,31}", value) or value.startswith("aws"):
            raise ValueError(
                f"{value!r} cannot prefix KMS alias names: use a lowercase letter, then up to 31 "
                "lowercase letters, digits or hyphens, not starting with 'aws'"
            )
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{12}", value):
            raise ValueError(f"an AWS account id is 12 digits, got {value!r}")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", value):
            raise ValueError(f"not an AWS region name: {value!r}")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs keeps logs for one of {LOG_RETENTION_DAYS} days, not {value}")
        return value

    @field_validator("dkim_signing_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _dns_name(value, what="dkim_signing_zone")

    @field_validator("mail_from_mx_host")
    @classmethod
    def _mx_host(cls, value: str | None) -> str | None:
        return None if value is None else _dns_name(value, what="mail_from_mx_host")

    @field_validator("spf_include_domain")
    @classmethod
    def _spf_domain(cls, value: str | None) -> str | None:
        return None if value is None else _dns_name(value, what="spf_include_domain")

    @field_validator("mail_host_name")
    @classmethod
    def _mail_host(cls, value: str | None) -> str | None:
        return None if value is None else _dns_name(value, what="mail_host_name")

    @field_validator("relay")
    @classmethod
    def _relay(cls, value: str | None) -> str | None:
        return None if value is None else _host_port(value, what="relay")

    @field_validator("alarm_email")
    @classmethod
    def _alarm_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _EMAIL.match(value.strip())
        if not match:
            raise ValueError(f"alarm_email {value!r} is not an email address")
        _dns_name(match["domain"], what="alarm_email's domain")
        return value.strip()

    @field_validator("dkim_hosted_zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Accept the form the console and `aws route53` print as well: /hostedzone/Z123...
        zone_id = value.strip().removeprefix("/hostedzone/")
        if not re.fullmatch(r"Z[A-Z0-9]{1,31}", zone_id):
            raise ValueError(f"a Route 53 hosted zone id looks like 'Z0123456789ABCDEFGHIJ', got {value!r}")
        return zone_id

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?(/[^\s?#]*)?", value.strip()):
            raise ValueError(f"public_base_url must be an https:// URL without query, got {value!r}")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _zone_id_needs_zone(self) -> SesameConfig:
        if self.dkim_hosted_zone_id and not self.dkim_signing_zone:
            raise ValueError(
                "dkim_hosted_zone_id is set but dkim_signing_zone is not: give the hosted zone's "
                "DNS name as dkim_signing_zone too"
            )
        return self

    @model_validator(mode="after")
    def _batching(self) -> SesameConfig:
        # Lambda's own rule for SQS triggers: batches above 10 messages need a batching window.
        if self.worker_batch_size > 10 and self.worker_batching_window_seconds < 1:
            raise ValueError(
                f"worker_batch_size {self.worker_batch_size} needs worker_batching_window_seconds of "
                "at least 1: Lambda gathers more than 10 queue messages only within a batching window"
            )
        return self

    @model_validator(mode="after")
    def _retry_within_age(self) -> SesameConfig:
        if self.retry_base_seconds >= self.max_delivery_age_seconds:
            raise ValueError(
                f"retry_base_seconds ({self.retry_base_seconds}) must be less than "
                f"max_delivery_age_seconds ({self.max_delivery_age_seconds}): otherwise a deferred "
                "delivery is never retried"
            )
        return self

    @property
    def main_key_alias(self) -> str:
        return f"alias/{self.name_prefix}"

    @property
    def link_mac_key_alias(self) -> str:
        return f"alias/{self.name_prefix}-links"

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        return tuple(cls.model_fields)

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> SesameConfig:
        """Validate the CDK context; raise ConfigError listing every problem and how to fix it."""
        fields = cls.setting_names()
        unknown = sorted(key for key in context if _OUR_KEY_SHAPE.match(key) and key not in fields)
        problems = []
        for key in unknown:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"  - {key}: not a Sesame setting{hint}")
        values = {key: context[key] for key in fields if context.get(key) is not None}
        try:
            config = cls.model_validate(values)
        except ValidationError as error:
            for item in error.errors():
                key = ".".join(str(part) for part in item["loc"]) or "(config)"
                message = item["msg"].removeprefix("Value error, ")
                # Our own validators name the bad value in their message; pydantic's do not.
                own = item["type"] == "value_error"
                given = "" if own or not item["loc"] else f" (got {item.get('input')!r})"
                problems.append(f"  - {key}: {message}{given}")
            config = None
        if problems or config is None:
            raise ConfigError(
                'Invalid Sesame configuration (cdk.json "context", or `cdk ... -c KEY=VALUE`):\n'
                + "\n".join(problems)
            )
        return config
