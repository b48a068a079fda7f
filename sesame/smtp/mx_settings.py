"""The MX container's own settings (SESAME_MX_*), next to the runtime's ``Settings``.

Without a certificate the MX makes a self-signed one at start: servers that deliver to an MX
encrypt opportunistically and do not check its certificate, so STARTTLS is offered either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sesame.smtp.mx import MxLimits
from sesame.smtp.settings import DEFAULT_TLS_REFRESH_SECONDS, acm_certificate_arn, one_certificate_source
from sesame.smtp.tls import (
    ServerTls,
    acm_server_tls,
    local_context,
    server_context,
    server_context_from_pem,
)
from sesame.smtp.tls_material import TlsExporter


class MxSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "0.0.0.0"  # noqa: S104 (a container listens on its own interface)
    port: int = Field(default=25, ge=0, le=65535)
    # The name in the greeting, the EHLO reply and Received fields; None: Settings.mail_host_name.
    host_name: str | None = None
    tls_certificate: str | None = Field(default=None, repr=False)
    tls_private_key: str | None = Field(default=None, repr=False)
    tls_certificate_file: str | None = None
    tls_private_key_file: str | None = None
    # Or an ACM certificate created exportable, exported at start and again every
    # tls_refresh_seconds to pick up ACM's renewals.
    tls_acm_certificate_arn: str | None = None
    tls_refresh_seconds: float = Field(default=DEFAULT_TLS_REFRESH_SECONDS, gt=0)
    max_connections: int = Field(default=1000, ge=1)
    max_connections_per_address: int = Field(default=20, ge=1)
    idle_timeout: float = Field(default=300.0, gt=0)
    threads: int = Field(default=32, ge=1)
    # Seconds between two records of the open connections (EMF on stdout, see
    # sesame.smtp.connection_metrics); 0, the default, publishes none. The container sets 60.
    metrics_interval: float = Field(default=0.0, ge=0)
    # The metric's Tier dimension: the deployment's scaling policy tracks this name.
    metrics_tier: str = Field(default="mx", min_length=1)

    @model_validator(mode="after")
    def _certificate_and_key_together(self) -> MxSettings:
        if (self.tls_certificate is None) != (self.tls_private_key is None) or (
            self.tls_certificate_file is None
        ) != (self.tls_private_key_file is None):
            raise ValueError("give the TLS certificate and its private key together")
        one_certificate_source(
            pem=self.tls_certificate is not None,
            files=self.tls_certificate_file is not None,
            acm=self.tls_acm_certificate_arn is not None,
        )
        return self

    _acm_arn = field_validator("tls_acm_certificate_arn")(acm_certificate_arn)

    def limits(self) -> MxLimits:
        return MxLimits(
            max_connections=self.max_connections,
            max_connections_per_address=self.max_connections_per_address,
            idle_timeout=self.idle_timeout,
        )

    def server_tls(self, host_name: str, export: TlsExporter | None = None) -> ServerTls:
        """The MX's TLS; ``export`` gives an ACM certificate's material, needed only when the
        settings name one."""
        if self.tls_acm_certificate_arn is not None:
            if export is None:
                raise ValueError("an ACM certificate is configured but no ACM client was given to export it")
            return acm_server_tls(self.tls_acm_certificate_arn, export, self.tls_refresh_seconds)
        if self.tls_certificate is not None and self.tls_private_key is not None:
            return ServerTls(
                server_context_from_pem(self.tls_certificate.encode(), self.tls_private_key.encode())
            )
        if self.tls_certificate_file is not None and self.tls_private_key_file is not None:
            return ServerTls(server_context(self.tls_certificate_file, self.tls_private_key_file))
        context, _ = local_context(self.host, host_name)
        return ServerTls(context)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> MxSettings:
        env = os.environ if environ is None else environ
        names = {
            "SESAME_MX_HOST": "host",
            "SESAME_MX_PORT": "port",
            "SESAME_MX_HOST_NAME": "host_name",
            "SESAME_MX_TLS_CERTIFICATE": "tls_certificate",
            "SESAME_MX_TLS_PRIVATE_KEY": "tls_private_key",
            "SESAME_MX_TLS_CERTIFICATE_FILE": "tls_certificate_file",
            "SESAME_MX_TLS_PRIVATE_KEY_FILE": "tls_private_key_file",
            "SESAME_MX_TLS_ACM_CERTIFICATE_ARN": "tls_acm_certificate_arn",
            "SESAME_MX_TLS_REFRESH_SECONDS": "tls_refresh_seconds",
            "SESAME_MX_MAX_CONNECTIONS": "max_connections",
            "SESAME_MX_MAX_CONNECTIONS_PER_ADDRESS": "max_connections_per_address",
            "SESAME_MX_IDLE_TIMEOUT": "idle_timeout",
            "SESAME_MX_THREADS": "threads",
            "SESAME_MX_METRICS_INTERVAL": "metrics_interval",
            "SESAME_MX_METRICS_TIER": "metrics_tier",
        }
        return cls.model_validate({field: env[var] for var, field in names.items() if env.get(var)})
