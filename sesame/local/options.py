"""`sesame local`'s flags, validated before anything starts."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sesame.settings import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, check_host_port, check_region


class LocalOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    api_port: int = Field(default=8787, ge=0, le=65535)
    aws_port: int = Field(default=4566, ge=0, le=65535)
    submission_port: int = Field(default=2587, ge=0, le=65535)
    smtps_port: int = Field(default=2465, ge=0, le=65535)
    mx_port: int = Field(default=2525, ge=0, le=65535)
    relay: str | None = None
    dns: str | None = None
    region: str = "us-east-1"
    production: bool = False
    max_send_rate: float | None = Field(default=None, gt=0)
    max_24_hour_send: float | None = Field(default=None, gt=0)
    check_interval: float = Field(default=5.0, gt=0)
    retry_base: float = Field(default=5.0, gt=0)
    # Lambda receipt actions: function ARN -> "package.module:function" or an http(s) endpoint.
    lambda_functions: dict[str, str] = Field(default_factory=dict)
    # The MX's built-in block list (CIDRs); None: the default list.
    receiving_block_list: tuple[str, ...] | None = None
    access_key_id: str = DEFAULT_ACCESS_KEY_ID
    secret_access_key: str = Field(default=DEFAULT_SECRET_ACCESS_KEY, repr=False)
    keys_from_environment: bool = False

    @field_validator("region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        return check_region(value)

    @field_validator("relay", "dns")
    @classmethod
    def _host_port_shape(cls, value: str | None) -> str | None:
        return check_host_port(value)

    @field_validator("lambda_functions", mode="before")
    @classmethod
    def _function_pairs(cls, value: object) -> object:
        """``--lambda-function ARN=TARGET`` flags, as given, into ARN -> target."""
        if not isinstance(value, list):
            return value
        functions: dict[str, str] = {}
        for pair in value:
            arn, sep, target = str(pair).partition("=")
            if not sep or not arn.startswith("arn:") or not target:
                raise ValueError(f"expected ARN=module:function or ARN=http(s)://..., got {pair!r}")
            functions[arn] = target
        return functions

    @field_validator("receiving_block_list", mode="before")
    @classmethod
    def _cidr_list(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        cidrs = tuple(c.strip() for c in value.split(",") if c.strip())
        for cidr in cidrs:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad one
        return cidrs

    @classmethod
    def with_environment(
        cls, values: dict[str, object], environ: Mapping[str, str] | None = None
    ) -> LocalOptions:
        """Flags plus what the contract reads from the environment (region, bootstrap keys)."""
        env = os.environ if environ is None else environ
        merged = dict(values)
        if merged.get("region") is None:
            merged["region"] = env.get("AWS_REGION") or "us-east-1"
        key_id, secret = env.get("SESAME_ACCESS_KEY_ID"), env.get("SESAME_SECRET_ACCESS_KEY")
        if bool(key_id) != bool(secret):
            raise ValueError("set both SESAME_ACCESS_KEY_ID and SESAME_SECRET_ACCESS_KEY, or neither")
        if key_id and secret:
            merged.update(access_key_id=key_id, secret_access_key=secret, keys_from_environment=True)
        return cls.model_validate({k: v for k, v in merged.items() if v is not None})
