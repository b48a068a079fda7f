"""The deployment's typed configuration, read from the CDK context.

Every value comes from the ``context`` of ``cdk.json`` (where each key is listed with its default)
or from ``cdk deploy -c KEY=VALUE``. The CLI hands ``-c`` values over as strings, so the model
coerces them ("512" -> 512, "false" -> False, "" -> unset). Reading the config never calls AWS:
synth stays offline and side-effect free.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
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
# Ranges no Elastic IP comes from (private, shared, loopback, link-local, multicast, reserved). Not
# ipaddress's is_global: it also refuses the documentation ranges examples are written with.
_NOT_PUBLIC = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3",
    )
)  # fmt: skip
# Our own keys are snake_case; CDK's and the CLI's keys contain ':' '@' '-' or '/', so a snake_case
# key that is not a field is almost certainly a misspelt one of ours.
_OUR_KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*$")
# Fargate's task sizes: CPU units -> the memory (MB) a task of that many units may have.
_FARGATE_MEMORY_MB: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
}
# ClamAV's documented minimum for clamd (3 GiB): its signature engine alone takes about 1.2 GiB.
_SCANNING_MIN_MEMORY_MB = 3072


def _describe_sizes(sizes: tuple[int, ...]) -> str:
    if len(sizes) <= 4:
        return "one of " + ", ".join(str(size) for size in sizes)
    return f"a multiple of 1024 from {sizes[0]} to {sizes[-1]}"


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


class IpPool(BaseModel):
    """A dedicated set of sending IP addresses: the Elastic IPs of the NAT gateways its egress relays
    leave through. Give ``eip_count`` (the stack allocates the addresses; they go with the stack) or
    ``allocation_ids`` of Elastic IPs allocated beforehand (kept, with their reputation and reverse
    DNS, whatever happens to the stack)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Pool name, as SES's dedicated IP pools are named.")
    eip_count: int | None = Field(default=None, ge=1, le=8, description="Elastic IPs to allocate.")
    allocation_ids: tuple[str, ...] | None = Field(
        default=None, min_length=1, max_length=8, description="Existing Elastic IP allocation ids."
    )
    reverse_dns: str | None = Field(
        default=None,
        description="The host name each address's PTR record should give (and whose A record must "
        "give the address back). Unset: mail_host_name.",
    )
    addresses: tuple[str, ...] | None = Field(
        default=None,
        description="The public IPv4 addresses of allocation_ids, in the same order. Needed with "
        "dns_zone_name: the SPF record and the sending host names' A records list them.",
    )

    @field_validator("name")
    @classmethod
    def _pool_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", value):
            raise ValueError(
                f"IP pool name {value!r}: a lowercase letter, then up to 30 lowercase letters, "
                "digits or hyphens"
            )
        return value

    @field_validator("allocation_ids")
    @classmethod
    def _allocation_ids(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for allocation in value or ():
            if not re.fullmatch(r"eipalloc-[0-9a-f]{8,17}", allocation):
                raise ValueError(f"{allocation!r} is not an Elastic IP allocation id (eipalloc-...)")
        return value

    @field_validator("reverse_dns")
    @classmethod
    def _reverse_dns(cls, value: str | None) -> str | None:
        return None if value is None else _dns_name(value, what="reverse_dns")

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for address in value or ():
            if not _IPV4.match(address) or any(
                ipaddress.IPv4Address(address) in network for network in _NOT_PUBLIC
            ):
                raise ValueError(f"{address!r} is not a public IPv4 address")
        return value

    @model_validator(mode="after")
    def _count_or_ids(self) -> IpPool:
        if (self.eip_count is None) == (self.allocation_ids is None):
            raise ValueError(f"IP pool {self.name!r}: give either eip_count or allocation_ids (one of them)")
        if self.addresses is not None and len(self.addresses) != len(self.allocation_ids or ()):
            raise ValueError(
                f"IP pool {self.name!r}: addresses are the public IPs of allocation_ids, one each, in order"
            )
        return self

    @property
    def size(self) -> int:
        return len(self.allocation_ids) if self.allocation_ids else self.eip_count or 0


def _json_if_text(value: Any) -> Any:
    """`cdk deploy -c ip_pools='[...]'` passes lists and objects as JSON text."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        return json.loads(value)
    return value


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

    # Network: the VPC, and the IP pools whose Elastic IPs outbound mail leaves from.
    availability_zones: tuple[str, ...] | None = Field(
        default=None,
        description="Availability zones of the VPC (needs region). Unset: the first max_azs of the region.",
    )
    max_azs: int = Field(default=2, ge=1, le=6, description="Availability zones used when none are named.")
    vpc_cidr: str = Field(default="10.64.0.0/16", description="The VPC's IPv4 range (a /16 to a /22).")
    ip_pools: tuple[IpPool, ...] = Field(
        default=(IpPool(name="default", eip_count=1),),
        min_length=1,
        max_length=8,
        description="Sending IP pools; the first is the default pool. Each gets its own NAT gateways "
        "and its own egress relays, so mail relayed through a pool leaves from its addresses.",
    )
    # SMTP tiers on Fargate.
    egress_port: int = Field(
        default=2525,
        ge=1024,
        le=65000,
        description="Internal NLB port of the first pool's egress relay; the next pools use the "
        "ports after it.",
    )
    egress_tasks: int = Field(default=1, ge=1, le=100, description="Egress relay tasks per pool (minimum).")
    egress_max_tasks: int = Field(
        default=4, ge=1, le=100, description="Egress relay tasks per pool (maximum)."
    )
    submission_enabled: bool = Field(
        default=False,
        description="Run the SMTP submission tier (public NLB, TCP 587 and 465) from containers/submission.",
    )
    submission_tasks: int = Field(default=1, ge=1, le=100, description="Submission tasks (minimum).")
    submission_max_tasks: int = Field(default=4, ge=1, le=100, description="Submission tasks (maximum).")
    smtp_tls_secret_arn: str | None = Field(
        default=None,
        description="Secrets Manager secret (JSON: certificate, private_key, PEM) with the submission "
        "tier's TLS certificate. One of the ways to give submission its certificate (below).",
    )
    smtp_tls_certificate_arn: str | None = Field(
        default=None,
        description="An exportable ACM certificate (CertificateExport ENABLED) for the submission "
        "tier: its tasks export it at start, and again once ACM has renewed it. Instead of "
        "smtp_tls_secret_arn.",
    )
    submission_host_name: str | None = Field(
        default=None,
        description="The host name mail clients connect to for submission. With dns_zone_name it "
        "defaults to smtp.ZONE, an alias of the submission load balancer; and with neither "
        "smtp_tls_secret_arn nor smtp_tls_certificate_arn the stack requests an exportable ACM "
        "certificate for it, validated through the zone (ACM charges for exportable certificates).",
    )
    mx_tls_certificate_arn: str | None = Field(
        default=None,
        description="An exportable ACM certificate for the inbound MX's STARTTLS (for senders that "
        "check it: MTA-STS, DANE). Unset: a certificate made at start, which opportunistic TLS accepts.",
    )
    mx_enabled: bool = Field(
        default=False, description="Run the inbound MX tier (public NLB, TCP 25) from containers/mx."
    )
    mx_tasks: int = Field(default=1, ge=1, le=100, description="Inbound MX tasks (minimum).")
    mx_max_tasks: int = Field(default=4, ge=1, le=100, description="Inbound MX tasks (maximum).")
    mx_scanning_enabled: bool = Field(
        default=False,
        description="spamd and clamd sidecars give received mail its spam and virus verdicts; needs "
        f"mx_enabled. ClamAV asks for 3 GiB, so the MX tasks' memory (mx_task_memory_mb, else "
        f"task_memory_mb) must be at least {_SCANNING_MIN_MEMORY_MB} when on.",
    )
    mx_task_cpu: int | None = Field(default=None, description="vCPU units of each MX task. Unset: task_cpu.")
    mx_task_memory_mb: int | None = Field(
        default=None,
        ge=512,
        le=30720,
        description="Memory of each MX task (MB), so that scanning's memory is the MX's alone. Unset: "
        "task_memory_mb.",
    )
    task_cpu: int = Field(
        default=256, description="vCPU units of each SMTP task: 256, 512, 1024, 2048 or 4096."
    )
    task_memory_mb: int = Field(default=512, ge=512, le=30720, description="Memory of each SMTP task (MB).")
    # Capacity also follows open connections per task (each server admits at most 1000). Public
    # tiers: 200 leaves the room for a burst while a new task starts (about a minute), whether the
    # sessions are short (submission) or slow senders holding one for minutes (MX). Egress: each
    # relay connection is a worker's session waiting on one of the task's 64 delivery threads.
    smtp_connections_per_task: int = Field(
        default=200,
        ge=1,
        le=1000,
        description="Open connections per submission or MX task the tier scales to keep (beside CPU).",
    )
    egress_connections_per_task: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Open connections per egress relay task each pool scales to keep (beside CPU).",
    )
    # DNS and the API's domain.
    mail_domains: tuple[str, ...] = Field(
        default=(),
        description="Domains this deployment receives mail for and sends from; with dns_zone_name, "
        "their MX, SPF, DMARC and MAIL FROM records are created in that zone.",
    )
    dns_zone_name: str | None = Field(
        default=None,
        description="The Route 53 zone of the mail domains. With it the stack creates the mail "
        "records (see README), the Easy DKIM key zone dkim.ZONE delegated from it, and the host names "
        "spf.ZONE, feedback-smtp.ZONE and inbound-smtp.ZONE. Without dns_hosted_zone_id the stack "
        "creates a public hosted zone of that name (delegate it to the DnsNameServers output).",
    )
    dns_hosted_zone_id: str | None = Field(default=None, description="That zone's id (needs dns_zone_name).")
    dmarc_policy: Literal["none", "quarantine", "reject"] = Field(
        default="none", description="The p= of the DMARC records created for the mail domains."
    )
    dmarc_report_email: str | None = Field(
        default=None,
        description="Where receivers send aggregate DMARC reports (rua=mailto:). Unset: no reports.",
    )
    mail_from_subdomain: str = Field(
        default="bounce",
        description="The custom MAIL FROM domain of each mail domain is this label under it "
        "(bounce.example.com): its MX and SPF records are created with the mail domain's.",
    )
    api_domain_name: str | None = Field(default=None, description="Custom domain of the API (optional).")
    api_certificate_arn: str | None = Field(
        default=None,
        description="ACM certificate of api_domain_name, in the stack's region. Unset with "
        "api_domain_name inside dns_zone_name: the stack requests one, validated through that zone.",
    )
    tracking_domain_name: str | None = Field(
        default=None,
        description="The domain of links in mail (verification links), served by the API on a "
        "custom domain of its own; public_base_url defaults to https://THIS. Optional.",
    )
    tracking_certificate_arn: str | None = Field(
        default=None,
        description="ACM certificate of tracking_domain_name; unset inside dns_zone_name: requested "
        "by the stack as api_certificate_arn is.",
    )
    # Events beyond the events topic.
    event_bus_enabled: bool = Field(
        default=False,
        description="Put every sending event on an EventBridge bus of its own (PREFIX-events), as "
        "SES's EventBridge destination does: source sesame.ses, detail-types such as 'Email "
        "Delivered', the event record as detail. EventBridge charges per event.",
    )
    event_firehose_stream_arns: tuple[str, ...] = Field(
        default=(),
        max_length=5,
        description="Firehose delivery streams that receive every sending event record (a rule on "
        "the bus each; needs event_bus_enabled).",
    )
    event_consumer_memory_mb: int = Field(
        default=256, ge=128, le=10240, description="Event stream consumer function memory (MB)."
    )
    # New accounts.
    default_sandbox: bool = Field(default=True, description="New accounts start in the sandbox.")
    sandbox_max_send_rate: float = Field(
        default=1.0, gt=0, description="A sandbox account's sends per second."
    )
    sandbox_max_24_hour_send: float = Field(
        default=200.0, gt=0, description="A sandbox account's 24-hour quota."
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
        "smtp_tls_secret_arn",
        "smtp_tls_certificate_arn",
        "submission_host_name",
        "mx_tls_certificate_arn",
        "dns_zone_name",
        "dns_hosted_zone_id",
        "api_domain_name",
        "api_certificate_arn",
        "dmarc_report_email",
        "tracking_domain_name",
        "tracking_certificate_arn",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `cdk deploy -c dkim_signing_zone=` is how a user unsets a value from the command line.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "availability_zones", "ip_pools", "mail_domains", "event_firehose_stream_arns", mode="before"
    )
    @classmethod
    def _json_lists(cls, value: Any) -> Any:
        value = _json_if_text(value)
        if isinstance(value, str):  # -c mail_domains=a.example,b.example
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("availability_zones")
    @classmethod
    def _azs(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        for zone in value:
            if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", zone):
                raise ValueError(f"not an availability zone name: {zone!r}")
        if not value or len(set(value)) != len(value):
            raise ValueError("availability_zones must name one or more distinct zones")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError:
            raise ValueError(f"vpc_cidr {value!r} is not an IPv4 network like 10.64.0.0/16") from None
        if not 16 <= network.prefixlen <= 22 or not network.is_private:
            raise ValueError(f"vpc_cidr {value!r} must be a private range from /16 to /22")
        return str(network)

    @field_validator("mail_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_dns_name(domain, what="mail_domains entry") for domain in value)

    @field_validator("dns_zone_name", "api_domain_name", "tracking_domain_name", "submission_host_name")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return None if value is None else _dns_name(value, what="domain name")

    @field_validator("task_cpu", "mx_task_cpu")
    @classmethod
    def _cpu(cls, value: int) -> int:
        if value not in (256, 512, 1024, 2048, 4096):
            raise ValueError(f"Fargate tasks take 256, 512, 1024, 2048 or 4096 CPU units, not {value}")
        return value

    @field_validator("smtp_tls_secret_arn")
    @classmethod
    def _secret_arn(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+", value
        ):
            raise ValueError(f"smtp_tls_secret_arn {value!r} is not a Secrets Manager secret ARN")
        return value

    @field_validator(
        "api_certificate_arn",
        "tracking_certificate_arn",
        "smtp_tls_certificate_arn",
        "mx_tls_certificate_arn",
    )
    @classmethod
    def _certificate_arn(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/\S+", value
        ):
            raise ValueError(f"{value!r} is not an ACM certificate ARN")
        return value

    @field_validator("event_firehose_stream_arns")
    @classmethod
    def _firehose_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not re.fullmatch(
                r"arn:aws[a-z-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[A-Za-z0-9_.-]{1,64}", arn
            ):
                raise ValueError(f"{arn!r} is not a Firehose delivery stream ARN")
        return value

    @field_validator("mail_from_subdomain")
    @classmethod
    def _mail_from_label(cls, value: str) -> str:
        label = value.strip().lower()
        if not _LABEL.match(label) or label.startswith("_"):
            raise ValueError(f"mail_from_subdomain {value!r} must be one DNS label, like 'bounce'")
        return label

    @field_validator("dmarc_report_email")
    @classmethod
    def _dmarc_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _EMAIL.match(value.strip())
        if not match or ";" in value or "," in value:
            raise ValueError(f"dmarc_report_email {value!r} is not an email address")
        _dns_name(match["domain"], what="dmarc_report_email's domain")
        return value.strip()

    @model_validator(mode="after")
    def _network_and_tiers(self) -> SesameConfig:
        if self.account and self.region and not self.availability_zones:
            raise ValueError(
                "account and region pin the stack to an environment: name its availability_zones "
                'too (like ["eu-west-1a", "eu-west-1b"]), so that synth looks nothing up in AWS'
            )
        if self.availability_zones and not self.region:
            raise ValueError("availability_zones needs region: zones belong to one region")
        if (
            self.availability_zones
            and self.region
            and not all(zone.startswith(self.region) for zone in self.availability_zones)
        ):
            raise ValueError(f"availability_zones must all be zones of {self.region}")
        names = [pool.name for pool in self.ip_pools]
        if len(set(names)) != len(names):
            raise ValueError(f"ip_pools: pool names must be distinct, got {names}")
        if self.egress_port + len(self.ip_pools) > 65535:
            raise ValueError("egress_port leaves no room for a port per IP pool")
        for low, high in (
            ("egress_tasks", "egress_max_tasks"),
            ("submission_tasks", "submission_max_tasks"),
            ("mx_tasks", "mx_max_tasks"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low} ({getattr(self, low)}) exceeds {high} ({getattr(self, high)})")
        if self.smtp_tls_secret_arn and self.smtp_tls_certificate_arn:
            raise ValueError("give smtp_tls_secret_arn or smtp_tls_certificate_arn, not both")
        if self.submission_enabled and not (
            self.smtp_tls_secret_arn or self.smtp_tls_certificate_arn or self.submission_certificate_requested
        ):
            raise ValueError(
                "submission_enabled needs the submission tier's TLS certificate: smtp_tls_secret_arn, "
                "smtp_tls_certificate_arn, or a dns_zone_name holding submission_host_name (the stack "
                "then requests one)"
            )
        if self.dns_hosted_zone_id and not self.dns_zone_name:
            raise ValueError("dns_hosted_zone_id needs dns_zone_name")
        if self.dns_zone_name:
            outside = [
                d
                for d in self.mail_domains
                if d != self.dns_zone_name and not d.endswith(f".{self.dns_zone_name}")
            ]
            if outside:
                raise ValueError(f"mail_domains {outside} are not in dns_zone_name {self.dns_zone_name!r}")
        return self

    @model_validator(mode="after")
    def _task_size(self) -> SesameConfig:
        for cpu, memory, name in (
            (self.task_cpu, self.task_memory_mb, "task_memory_mb"),
            (self.mx_cpu, self.mx_memory_mb, "mx_task_memory_mb"),
        ):
            allowed = _FARGATE_MEMORY_MB[cpu]
            if memory not in allowed:
                raise ValueError(
                    f"Fargate has no task of {cpu} CPU units with {memory} MB: with {cpu} units "
                    f"{name} is {_describe_sizes(allowed)}"
                )
        return self

    @property
    def mx_cpu(self) -> int:
        return self.mx_task_cpu or self.task_cpu

    @property
    def mx_memory_mb(self) -> int:
        return self.mx_task_memory_mb or self.task_memory_mb

    @model_validator(mode="after")
    def _scanning(self) -> SesameConfig:
        if not self.mx_scanning_enabled:
            return self
        if not self.mx_enabled:
            raise ValueError("mx_scanning_enabled needs mx_enabled: the scanners run in the MX's tasks")
        if self.mx_memory_mb < _SCANNING_MIN_MEMORY_MB:
            raise ValueError(
                f"mx_scanning_enabled needs MX tasks of at least {_SCANNING_MIN_MEMORY_MB} MB "
                f"(mx_task_memory_mb, else task_memory_mb; got {self.mx_memory_mb}): ClamAV asks for "
                "3 GiB at minimum, its signatures alone taking about 1.2 GiB, beside spamd and the MX "
                "(and mx_task_cpu of 512 or more, as Fargate gives 256 units at most 2048 MB)"
            )
        return self

    @model_validator(mode="after")
    def _dns(self) -> SesameConfig:
        for name, certificate in (
            ("api_domain_name", "api_certificate_arn"),
            ("tracking_domain_name", "tracking_certificate_arn"),
        ):
            domain = getattr(self, name)
            if getattr(self, certificate) and not domain:
                raise ValueError(f"{certificate} needs {name}: the certificate is for that domain")
            if domain and not getattr(self, certificate) and not self.in_dns_zone(domain):
                raise ValueError(
                    f"{name} {domain!r} needs {certificate}, or a dns_zone_name containing it (the "
                    "stack then requests a certificate validated through the zone)"
                )
        if self.api_domain_name and self.api_domain_name == self.tracking_domain_name:
            raise ValueError("tracking_domain_name must differ from api_domain_name (or leave it unset)")
        requested = [
            name
            for name, certificate in (
                (self.api_domain_name, self.api_certificate_arn),
                (self.tracking_domain_name, self.tracking_certificate_arn),
            )
            if name and not certificate
        ]
        if self.submission_certificate_requested and self.submission_host:
            requested.append(self.submission_host)
        if requested and not self.dns_hosted_zone_id:
            raise ValueError(
                f"certificates for {requested} are validated through dns_zone_name during the deploy, "
                "so the zone must already answer for its name: create it and delegate it first, then "
                "give its dns_hosted_zone_id (or give the certificates' ARNs)"
            )
        if self.dns_zone_name:
            unknown = [pool.name for pool in self.ip_pools if pool.allocation_ids and pool.addresses is None]
            if unknown:
                raise ValueError(
                    f"ip_pools {unknown}: with dns_zone_name, give each pool of allocation_ids its "
                    "addresses (the public IPs): the SPF record and the hosts' A records list them"
                )
        if self.event_firehose_stream_arns and not self.event_bus_enabled:
            raise ValueError(
                "event_firehose_stream_arns needs event_bus_enabled: the streams are fed from the bus"
            )
        self._no_record_twice()
        if self.mail_domains and not self.dns_zone_name:
            raise ValueError("mail_domains needs dns_zone_name: the zone their records are made in")
        return self

    def _no_record_twice(self) -> None:
        """The zone's records (see stacks/mail_dns.py) may not name one host twice with one type:
        CloudFormation would fail on the second."""
        if not self.dns_zone_name:
            return
        return_paths = [f"{self.mail_from_subdomain}.{domain}" for domain in self.mail_domains]
        if self.mail_host_name and self.feedback_mx_host:
            return_paths.append(self.mail_host_name)
        spf = [self.spf_include] if self.spf_include else []
        hosts = {pool.reverse_dns or self.mail_host_name for pool in self.ip_pools} - {None}
        aliases = [self.inbound_mx_host, self.feedback_mx_host, self.submission_host]
        aliases += [self.api_domain_name, self.tracking_domain_name]
        for kind, names in (
            ("TXT", [*spf, *self.mail_domains, *return_paths]),
            ("MX", [*self.mail_domains, *return_paths]),
            ("A", [*hosts, *(name for name in aliases if name)]),
        ):
            zone_names = [name for name in names if name and self.in_dns_zone(name)]
            twice = sorted({name for name in zone_names if zone_names.count(name) > 1})
            if twice:
                raise ValueError(
                    f"{twice} would each get two {kind} records: a mail domain, a MAIL FROM domain, "
                    "mail_host_name, spf_include_domain and the service host names must all differ"
                )

    def in_dns_zone(self, name: str) -> bool:
        zone = self.dns_zone_name
        return zone is not None and (name == zone or name.endswith(f".{zone}"))

    @property
    def signing_zone(self) -> str | None:
        """Easy DKIM's key zone: as set, or dkim.ZONE when the deployment has a DNS zone."""
        if self.dkim_signing_zone:
            return self.dkim_signing_zone
        return f"dkim.{self.dns_zone_name}" if self.dns_zone_name else None

    @property
    def inbound_mx_host(self) -> str | None:
        """The host the mail domains' MX records name: the MX tier's load balancer, in the zone."""
        return f"inbound-smtp.{self.dns_zone_name}" if self.dns_zone_name and self.mx_enabled else None

    @property
    def feedback_mx_host(self) -> str | None:
        """The MX host of custom MAIL FROM domains, where bounces and complaints come back: as set,
        or the MX tier's feedback-smtp.ZONE."""
        if self.mail_from_mx_host:
            return self.mail_from_mx_host
        return f"feedback-smtp.{self.dns_zone_name}" if self.dns_zone_name and self.mx_enabled else None

    @property
    def submission_host(self) -> str | None:
        """The submission tier's host name: as set, or smtp.ZONE."""
        if not self.submission_enabled:
            return None
        if self.submission_host_name:
            return self.submission_host_name
        return f"smtp.{self.dns_zone_name}" if self.dns_zone_name else None

    @property
    def submission_certificate_requested(self) -> bool:
        """Whether the stack requests the submission tier's certificate itself."""
        host = self.submission_host
        return (
            host is not None
            and self.in_dns_zone(host)
            and not (self.smtp_tls_secret_arn or self.smtp_tls_certificate_arn)
        )

    @property
    def link_base_url(self) -> str | None:
        """Where links in mail point: as set, or the tracking domain, or the API's custom domain.
        None: the API's own execute-api URL."""
        if self.public_base_url:
            return self.public_base_url
        domain = self.tracking_domain_name or self.api_domain_name
        return f"https://{domain}" if domain else None

    @property
    def spf_include(self) -> str | None:
        """The domain whose SPF record lists the sending addresses: as set, or spf.ZONE."""
        if self.spf_include_domain:
            return self.spf_include_domain
        return f"spf.{self.dns_zone_name}" if self.dns_zone_name else None

    @property
    def availability_zone_count(self) -> int:
        return len(self.availability_zones) if self.availability_zones else self.max_azs

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

    @field_validator("dkim_hosted_zone_id", "dns_hosted_zone_id")
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

    @property
    def event_bus_name(self) -> str:
        return f"{self.name_prefix}-events"

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
