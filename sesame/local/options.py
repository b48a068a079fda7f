"""`sesame local`'s flags, validated before anything starts."""

from __future__ import annotations

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
