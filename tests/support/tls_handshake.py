"""The certificate a server context presents, found by a TLS handshake in memory (no sockets)."""

from __future__ import annotations

import ssl

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def presented_certificate(server_context: ssl.SSLContext) -> bytes:
    """The DER of the leaf certificate ``server_context`` sends in a handshake."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    from_server, from_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_context.wrap_bio(to_client, from_client)
    server = server_context.wrap_bio(to_server, from_server, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, end in (("client", client), ("server", server)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
            to_server.write(from_client.read())
            to_client.write(from_server.read())
        if all(done.values()):
            der = client.getpeercert(binary_form=True)
            assert der is not None
            return der
    raise AssertionError("the TLS handshake did not complete")


def der_of(certificate_pem: bytes) -> bytes:
    """The DER of the first certificate in a PEM bundle."""
    return x509.load_pem_x509_certificate(certificate_pem).public_bytes(serialization.Encoding.DER)
