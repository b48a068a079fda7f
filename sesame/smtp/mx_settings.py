"""The MX container's own settings (SESAME_MX_*), next to the runtime's ``Settings``.

Without a certificate the MX makes a self-signed one at start: servers that deliver to an MX
encrypt opportunistically and do not check its certificate, so STARTTLS is offered either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import Field

from sesame.smtp.certificate_settings import ServerCertificateSettings, certificate_variables
from sesame.smtp.mx import MxLimits
from sesame.smtp.tls import ServerTls, configured_server_tls, local_context
from sesame.smtp.tls_material import TlsExporter


class MxSettings(ServerCertificateSettings):
    host: str = "0.0.0.0"  # noqa: S104 (a container listens on its own interface)
    port: int = Field(default=25, ge=0, le=65535)
    # The name in the greeting, the EHLO reply and Received fields; None: Settings.mail_host_name.
    host_name: str | None = None
    # The certificate (ServerCertificateSettings); none given: one made at start, which
    # opportunistic TLS accepts.
    max_connections: int = Field(default=1000, ge=1)
    max_connections_per_address: int = Field(default=20, ge=1)
    idle_timeout: float = Field(default=300.0, gt=0)
    threads: int = Field(default=32, ge=1)
    # Seconds between two records of the open connections (EMF on stdout, see
    # sesame.smtp.connection_metrics); 0, the default, publishes none. The container sets 60.
    metrics_interval: float = Field(default=0.0, ge=0)
    # The metric's Tier dimension: the deployment's scaling policy tracks this name.
    metrics_tier: str = Field(default="mx", min_length=1)

    def limits(self) -> MxLimits:
        return MxLimits(
            max_connections=self.max_connections,
            max_connections_per_address=self.max_connections_per_address,
            idle_timeout=self.idle_timeout,
        )

    def server_tls(self, host_name: str, export: TlsExporter | None = None) -> ServerTls:
        """The MX's TLS; ``export`` gives an ACM certificate's material, needed only when the
        settings name one."""
        configured = configured_server_tls(self, export)
        if configured is not None:
            return configured
        context, _ = local_context(self.host, host_name)
        return ServerTls(context)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> MxSettings:
        env = os.environ if environ is None else environ
        names = {
            "SESAME_MX_HOST": "host",
            "SESAME_MX_PORT": "port",
            "SESAME_MX_HOST_NAME": "host_name",
            **certificate_variables("SESAME_MX_"),
            "SESAME_MX_MAX_CONNECTIONS": "max_connections",
            "SESAME_MX_MAX_CONNECTIONS_PER_ADDRESS": "max_connections_per_address",
            "SESAME_MX_IDLE_TIMEOUT": "idle_timeout",
            "SESAME_MX_THREADS": "threads",
            "SESAME_MX_METRICS_INTERVAL": "metrics_interval",
            "SESAME_MX_METRICS_TIER": "metrics_tier",
        }
        return cls.model_validate({field: env[var] for var, field in names.items() if env.get(var)})
