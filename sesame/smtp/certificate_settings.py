"""How an SMTP server is given its certificate, shared by the submission server and the MX.

PEM text, PEM files, or an exportable ACM certificate, exported at start and again every
``tls_refresh_seconds`` to pick up ACM's renewals: one of the three, the certificate always with
its key. Each server reads the same variables under its own prefix (SESAME_SMTP_, SESAME_MX_).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID, the form ExportCertificate takes.
_ACM_CERTIFICATE_ARN = re.compile(
    r"arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate/[A-Za-z0-9-]+"
)
# ACM renews a certificate weeks before it expires; twice a day finds the renewed one in time.
DEFAULT_TLS_REFRESH_SECONDS = 12 * 3600.0

_VARIABLES = {
    "TLS_CERTIFICATE": "tls_certificate",
    "TLS_PRIVATE_KEY": "tls_private_key",
    "TLS_CERTIFICATE_FILE": "tls_certificate_file",
    "TLS_PRIVATE_KEY_FILE": "tls_private_key_file",
    "TLS_ACM_CERTIFICATE_ARN": "tls_acm_certificate_arn",
    "TLS_REFRESH_SECONDS": "tls_refresh_seconds",
}


def certificate_variables(prefix: str) -> dict[str, str]:
    """Environment variable -> field, for a server whose variables start with ``prefix``."""
    return {f"{prefix}{suffix}": field for suffix, field in _VARIABLES.items()}


class ServerCertificateSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The server certificate (chain) and its private key: PEM text, or PEM files.
    tls_certificate: str | None = Field(default=None, repr=False)
    tls_private_key: str | None = Field(default=None, repr=False)
    tls_certificate_file: str | None = None
    tls_private_key_file: str | None = None
    # Or an ACM certificate created exportable.
    tls_acm_certificate_arn: str | None = None
    tls_refresh_seconds: float = Field(default=DEFAULT_TLS_REFRESH_SECONDS, gt=0)

    @field_validator("tls_acm_certificate_arn")
    @classmethod
    def _acm_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ACM_CERTIFICATE_ARN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
            )
        return value

    @model_validator(mode="after")
    def _one_certificate_with_its_key(self) -> ServerCertificateSettings:
        pem = (self.tls_certificate is not None, self.tls_private_key is not None)
        files = (self.tls_certificate_file is not None, self.tls_private_key_file is not None)
        if pem[0] != pem[1] or files[0] != files[1]:
            raise ValueError("give the TLS certificate and its private key together")
        if pem[0] and files[0]:
            raise ValueError("give the TLS certificate as PEM text or as files, not both")
        if self.tls_acm_certificate_arn is not None and (pem[0] or files[0]):
            raise ValueError("give the TLS certificate as an ACM certificate ARN or as PEM, not both")
        return self

    @property
    def has_certificate(self) -> bool:
        return (
            self.tls_certificate is not None
            or self.tls_certificate_file is not None
            or self.tls_acm_certificate_arn is not None
        )
