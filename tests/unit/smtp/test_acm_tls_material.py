"""An ACM export's private key comes encrypted (PKCS#8, under the passphrase of the request):
it is decrypted into the unencrypted PKCS#8 PEM the ssl module loads."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from sesame.adapters.acm_certificates import decrypt_private_key
from sesame.smtp.tls import self_signed_certificate
from sesame.smtp.tls_material import TlsMaterial, configured_server_context, load_material
from tests.support.tls_handshake import der_of, presented_certificate

PASSPHRASE = b"Vq3-x_9LmN0pR7sT"


def encrypted_like_acm(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE),
    )


@pytest.mark.parametrize(
    "key",
    [rsa.generate_private_key(public_exponent=65537, key_size=2048), ec.generate_private_key(ec.SECP384R1())],
    ids=["rsa-2048", "ecdsa-p384"],
)
def test_the_encrypted_key_is_decrypted_into_the_same_key_as_unencrypted_pkcs8(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
) -> None:
    encrypted = encrypted_like_acm(key)
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    decrypted = decrypt_private_key(encrypted, PASSPHRASE)

    assert decrypted.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = serialization.load_pem_private_key(decrypted, password=None)
    assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]


def test_a_wrong_passphrase_is_refused() -> None:
    encrypted = encrypted_like_acm(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ValueError):
        decrypt_private_key(encrypted, b"not-the-passphrase")


def test_a_server_context_given_the_decrypted_key_presents_its_certificate() -> None:
    certificate, key_pem = self_signed_certificate(("smtp.example.test",))
    key = serialization.load_pem_private_key(key_pem, password=None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE),
    )
    context = configured_server_context()

    load_material(context, TlsMaterial(certificate, decrypt_private_key(encrypted, PASSPHRASE)))

    assert presented_certificate(context) == der_of(certificate)
