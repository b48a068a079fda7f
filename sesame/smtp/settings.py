"""The submission server's own settings, next to the runtime's ``sesame.settings.Settings``.

In AWS the task's environment sets them (SESAME_SMTP_*); local mode builds them from its flags.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import Field

from sesame.smtp.certificate_settings import ServerCertificateSettings, certificate_variables


class SmtpSettings(ServerCertificateSettings):
    # Address both listeners bind, and their ports: STARTTLS (SES's 25/587/2587) and implicit
    # TLS (SES's 465/2465). Port 0 picks a free port.
    host: str = "0.0.0.0"  # noqa: S104 (a container listens on its own interface)
    submission_port: int = Field(default=2587, ge=0, le=65535)
    smtps_port: int = Field(default=2465, ge=0, le=65535)
    # The name in the greeting and EHLO reply; None: Settings.mail_host_name.
    host_name: str | None = None
    # The certificate: ServerCertificateSettings.
    # Concurrent connections, in all and from one client address; more get 421.
    max_connections: int = Field(default=1000, ge=1)
    max_connections_per_address: int = Field(default=20, ge=1)
    # Seconds without a byte from the client before the session is closed (451 first).
    idle_timeout: float = Field(default=60.0, gt=0)
    # Seconds one command may take, a message's transfer after DATA included.
    command_timeout: float = Field(default=600.0, gt=0)
    # A failed login is answered after this many seconds, doubling per failure from the same
    # address, up to the ceiling.
    auth_failure_delay: float = Field(default=0.5, ge=0)
    auth_failure_max_delay: float = Field(default=30.0, ge=0)
    # Threads that run sends and credential checks (blocking AWS calls) off the event loop.
    send_workers: int = Field(default=16, ge=1)
    # On SIGTERM: seconds to let sessions in flight finish before they are closed.
    shutdown_grace: float = Field(default=20.0, ge=0)
    # Seconds between two records of the open connections (EMF on stdout, see
    # sesame.smtp.connection_metrics); 0, the default, publishes none. The container sets 60.
    metrics_interval: float = Field(default=0.0, ge=0)
    # The metric's Tier dimension: the deployment's scaling policy tracks this name.
    metrics_tier: str = Field(default="submission", min_length=1)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        env = os.environ if environ is None else environ
        names = {
            "SESAME_SMTP_HOST": "host",
            "SESAME_SMTP_SUBMISSION_PORT": "submission_port",
            "SESAME_SMTP_SMTPS_PORT": "smtps_port",
            "SESAME_SMTP_HOST_NAME": "host_name",
            **certificate_variables("SESAME_SMTP_"),
            "SESAME_SMTP_MAX_CONNECTIONS": "max_connections",
            "SESAME_SMTP_MAX_CONNECTIONS_PER_ADDRESS": "max_connections_per_address",
            "SESAME_SMTP_IDLE_TIMEOUT": "idle_timeout",
            "SESAME_SMTP_COMMAND_TIMEOUT": "command_timeout",
            "SESAME_SMTP_AUTH_FAILURE_DELAY": "auth_failure_delay",
            "SESAME_SMTP_AUTH_FAILURE_MAX_DELAY": "auth_failure_max_delay",
            "SESAME_SMTP_SEND_WORKERS": "send_workers",
            "SESAME_SMTP_SHUTDOWN_GRACE": "shutdown_grace",
            "SESAME_SMTP_METRICS_INTERVAL": "metrics_interval",
            "SESAME_SMTP_METRICS_TIER": "metrics_tier",
        }
        return cls.model_validate({field: env[var] for var, field in names.items() if env.get(var)})
