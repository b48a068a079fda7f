"""The deployment's typed configuration, read from the CDK context.

Every value comes from the ``context`` of ``cdk.json`` (where each key is listed with its default)
or from ``cdk deploy -c KEY=VALUE``. The CLI hands ``-c`` values over as strings, so the model
coerces them ("512" -> 512, "false" -> False, "" -> unset). Reading the config never calls AWS:
synth stays offline and side-effect free.
"""

from __future__ import annotations

import difflib
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

    @field_validator(
        "account",
        "region",
        "dkim_signing_zone",
        "dkim_hosted_zone_id",
        "mail_from_mx_host",
        "spf_include_domain",
        "public_base_url",
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
