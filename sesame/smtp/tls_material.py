"""A server certificate chain and its private key as PEM, and loading them into an SSL context.

Loading into a context that already serves connections replaces its certificate for the
handshakes that follow; the material is first loaded into a scratch context, so a chain whose key
does not match is refused before it can leave the serving context without a usable key.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TlsMaterial:
    # The server's certificate followed by its intermediates, PEM.
    certificate_chain: bytes
    # The private key, unencrypted PEM: held in memory, written only for the moment of loading.
    private_key: bytes = field(repr=False)


# Gives the current material of a certificate named by its ARN.
TlsExporter = Callable[[str], TlsMaterial]


def configured_server_context() -> ssl.SSLContext:
    """A server context without a certificate yet: TLS 1.2 and later, no compression."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


def load_material(context: ssl.SSLContext, material: TlsMaterial) -> None:
    """Load ``material`` into ``context``; raises ssl.SSLError, leaving ``context`` as it was,
    when the chain or the key cannot be read or do not belong together."""
    # The ssl module loads certificates from files only; the files live only as long as loading.
    with tempfile.TemporaryDirectory(prefix="sesame-tls-") as directory:
        cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
        cert_path.write_bytes(material.certificate_chain)
        key_path.touch(mode=0o600)
        key_path.write_bytes(material.private_key)
        configured_server_context().load_cert_chain(str(cert_path), str(key_path))
        context.load_cert_chain(str(cert_path), str(key_path))
