"""The SMTP servers' TLS: TLS 1.2 and later only, with the certificate from settings (PEM, PEM
files, or an ACM exportable certificate, re-exported as ACM renews it), or one made at start
(local mode)."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sesame.smtp.certificate_refresh import CertificateRefresher
from sesame.smtp.certificate_settings import ServerCertificateSettings
from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls_material import TlsExporter, TlsMaterial, configured_server_context, load_material

_UNSPECIFIED = {"", "0.0.0.0", "::"}  # noqa: S104 (names of "every interface", not binds)


@dataclass(frozen=True)
class ServerTls:
    """A server's context, and what keeps its certificate current when it comes from ACM."""

    context: ssl.SSLContext
    refresher: CertificateRefresher | None = None


def server_context(certificate_file: str, private_key_file: str) -> ssl.SSLContext:
    context = configured_server_context()
    context.load_cert_chain(certificate_file, private_key_file)
    return context


def server_context_from_pem(certificate: bytes, private_key: bytes) -> ssl.SSLContext:
    context = configured_server_context()
    load_material(context, TlsMaterial(certificate, private_key))
    return context


def acm_server_tls(certificate_arn: str, export: TlsExporter, refresh_interval: float) -> ServerTls:
    """A context serving the ACM certificate, exported now (a failure stops the start), and the
    refresher that exports it again every ``refresh_interval`` seconds."""
    refresher = CertificateRefresher(
        context=configured_server_context(),
        fetch=partial(export, certificate_arn),
        interval=refresh_interval,
        source=certificate_arn,
    )
    refresher.refresh()
    return ServerTls(refresher.context, refresher)


def configured_server_tls(
    settings: ServerCertificateSettings, export: TlsExporter | None = None
) -> ServerTls | None:
    """The TLS of the certificate the settings name (None when they name none); ``export`` gives
    an ACM certificate's material, needed only when the settings name one."""
    if settings.tls_acm_certificate_arn is not None:
        if export is None:
            raise ValueError("an ACM certificate is configured but no ACM client was given to export it")
        return acm_server_tls(settings.tls_acm_certificate_arn, export, settings.tls_refresh_seconds)
    if settings.tls_certificate is not None and settings.tls_private_key is not None:
        return ServerTls(
            server_context_from_pem(settings.tls_certificate.encode(), settings.tls_private_key.encode())
        )
    if settings.tls_certificate_file is not None and settings.tls_private_key_file is not None:
        return ServerTls(server_context(settings.tls_certificate_file, settings.tls_private_key_file))
    return None


def server_tls_from_settings(smtp: SmtpSettings, export: TlsExporter | None = None) -> ServerTls:
    """The submission server's TLS: it has no certificate of its own to fall back on."""
    configured = configured_server_tls(smtp, export)
    if configured is None:
        raise ValueError(
            "the submission server needs a TLS certificate: set SESAME_SMTP_TLS_CERTIFICATE and "
            "SESAME_SMTP_TLS_PRIVATE_KEY (PEM), or their _FILE variants, or "
            "SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN (an exportable ACM certificate)"
        )
    return configured


def self_signed_certificate(
    names: tuple[str, ...], addresses: tuple[str, ...] = (), days: int = 365
) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for ``names`` and IP ``addresses``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    alternatives: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alternatives += [x509.IPAddress(ipaddress.ip_address(address)) for address in addresses]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def local_context(host: str, host_name: str) -> tuple[ssl.SSLContext, bytes]:
    """Local mode's context, with a certificate made now for the loopback names and ``host``;
    also the certificate's PEM, which a client may trust as its CA file."""
    addresses = ["127.0.0.1", "::1"]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        names = (host_name, "localhost", host) if host not in _UNSPECIFIED else (host_name, "localhost")
    else:
        names = (host_name, "localhost")
        if host not in _UNSPECIFIED and host not in addresses:
            addresses.append(host)
    certificate, key = self_signed_certificate(names, tuple(addresses))
    return server_context_from_pem(certificate, key), certificate
