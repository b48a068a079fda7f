"""TLS material from an ACM exportable certificate (ExportCertificate).

ACM returns the certificate, its chain and the private key as PEM, the key encrypted (PKCS#8)
with a passphrase the caller chooses. Each export uses a fresh random passphrase, and the key is
decrypted at once: the unencrypted key exists only in this process's memory.

Only certificates created exportable can be exported: public certificates requested with export
enabled (CloudFormation ``CertificateExport: ENABLED``) or private-CA certificates. ACM renews
them before they expire; the renewed certificate keeps its ARN and must be exported again.
"""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives import serialization

from sesame.smtp.tls_material import TlsMaterial

# ExportCertificate takes a passphrase of 4 to 128 ASCII characters other than #, $ and %;
# token_urlsafe draws from letters, digits, "-" and "_": 48 bytes of randomness, 64 characters.
_PASSPHRASE_BYTES = 48

_HINTS = {
    "ResourceNotFoundException": "no such certificate in this account and region ({region}): "
    "check the ARN and that the certificate is in the region the server runs in",
    "InvalidArnException": "the ARN is malformed: copy it from ACM",
    "ValidationException": "the certificate cannot be exported: request it with export enabled "
    "(CloudFormation CertificateExport: ENABLED) or issue it from a private CA",
    "RequestInProgressException": "the certificate is not issued yet: complete its validation",
    "AccessDeniedException": "the server's role may not export it: allow acm:ExportCertificate "
    "on this certificate",
}


class AcmCertificateError(ValueError):
    """The certificate could not be exported; the message names it and what to fix."""


def export_tls_material(acm_client: Any, certificate_arn: str) -> TlsMaterial:
    """The certificate chain (certificate, then chain) and its unencrypted private key."""
    passphrase = secrets.token_urlsafe(_PASSPHRASE_BYTES).encode("ascii")
    try:
        exported = acm_client.export_certificate(CertificateArn=certificate_arn, Passphrase=passphrase)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        hint = _HINTS.get(code, "ACM refused the export").format(region=acm_client.meta.region_name)
        raise AcmCertificateError(
            f"cannot export ACM certificate {certificate_arn}: {hint} ({code})"
        ) from error
    except BotoCoreError as error:
        raise AcmCertificateError(
            f"cannot export ACM certificate {certificate_arn}: ACM did not answer ({error})"
        ) from error
    chain = _pem_bundle(exported["Certificate"], exported.get("CertificateChain", ""))
    try:
        key = decrypt_private_key(exported["PrivateKey"].encode(), passphrase)
    except (ValueError, TypeError) as error:
        raise AcmCertificateError(
            f"cannot read the private key exported for ACM certificate {certificate_arn}: {error}"
        ) from error
    return TlsMaterial(certificate_chain=chain, private_key=key)


def decrypt_private_key(encrypted_pem: bytes, passphrase: bytes) -> bytes:
    """The key of an encrypted PKCS#8 PEM, as unencrypted PKCS#8 PEM; ValueError when the
    passphrase or the PEM is wrong."""
    key = serialization.load_pem_private_key(encrypted_pem, password=passphrase)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_bundle(*parts: str) -> bytes:
    return "".join(part.strip() + "\n" for part in parts if part.strip()).encode("ascii")
