"""DKIM keys, tokens and the DNS records that carry them.

Easy DKIM: three RSA key pairs per domain, each named by a random token that is both the DKIM
selector and the left-most label of the record. With a managed signing zone the customer
publishes ``<token>._domainkey.<domain> CNAME <token>.<zone>`` and Sesame publishes the key as
TXT at ``<token>.<zone>``; without one the customer publishes the TXT record directly.
BYODKIM: the customer brings the private key and publishes its public half under their own
selector.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from enum import StrEnum

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sesame.domain.errors import InvalidParameterValue
from sesame.domain.identity_ports import DnsRecord

EASY_DKIM_KEY_COUNT = 3
# RFC 1035: a TXT character-string holds at most 255 octets.
TXT_STRING_LIMIT = 255
# SES accepts BYODKIM keys of 1024 to 2048 bits.
BYODKIM_MIN_BITS = 1024
BYODKIM_MAX_BITS = 2048


class KeyLength(StrEnum):
    RSA_1024_BIT = "RSA_1024_BIT"
    RSA_2048_BIT = "RSA_2048_BIT"

    @property
    def bits(self) -> int:
        return 1024 if self is KeyLength.RSA_1024_BIT else 2048


DEFAULT_KEY_LENGTH = KeyLength.RSA_2048_BIT


def new_dkim_token() -> str:
    """32 characters of lower-case base32 (160 random bits), the shape of SES's DKIM tokens."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


def new_verification_token() -> str:
    """44 characters of base64 (256 random bits), the shape of SES's domain VerificationToken."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def generate_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_key_b64(key: rsa.RSAPrivateKey) -> str:
    """The ``p=`` value of a DKIM key record: base64 of the SubjectPublicKeyInfo DER, the form
    verifiers (dkimpy, OpenDKIM, the big mailbox providers) accept."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key_pem(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA key")
    return key


def load_customer_private_key(text: str) -> rsa.RSAPrivateKey:
    """A BYODKIM ``DomainSigningPrivateKey``: SES documents base64 of the DER key (PKCS#1 or
    PKCS#8); a PEM block, or base64 of one, is accepted too because people paste those."""
    invalid = InvalidParameterValue("The provided private key is not a valid RSA private key.")
    blob = text.strip().encode("utf-8", "replace")
    if not blob.startswith(b"-----BEGIN"):
        try:
            blob = base64.b64decode(b"".join(blob.split()), validate=True)
        except (binascii.Error, ValueError):
            raise invalid from None
    key: object
    try:
        if blob.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(blob.strip(), password=None)
        else:
            key = serialization.load_der_private_key(blob, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise invalid from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise invalid
    if not BYODKIM_MIN_BITS <= key.key_size <= BYODKIM_MAX_BITS:
        raise InvalidParameterValue(
            f"The private key must be between {BYODKIM_MIN_BITS} and {BYODKIM_MAX_BITS} bits long."
        )
    return key


def key_record_value(public_b64: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_b64}"


def split_txt(value: str, limit: int = TXT_STRING_LIMIT) -> list[str]:
    """A TXT value longer than one character-string, cut into consecutive strings; verifiers
    concatenate them again (RFC 6376 section 3.6.2.2)."""
    return [value[i : i + limit] for i in range(0, len(value), limit)] or [""]


def parse_key_record(text: str) -> str | None:
    """The ``p=`` of a DKIM key record (whitespace removed), or None if ``text`` is not one."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(value.split())
    if tags.get("v", "DKIM1") != "DKIM1" or tags.get("k", "rsa").lower() != "rsa":
        return None
    return tags.get("p") or None


def domainkey_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def easy_cname_target(token: str, zone: str) -> str:
    return f"{token}.{zone}"


def customer_key_records(
    domain: str, selectors_and_keys: list[tuple[str, str]], signing_zone: str | None
) -> list[DnsRecord]:
    """What the customer publishes: CNAMEs into the signing zone when there is one (Easy DKIM
    with a managed zone), else the key TXT records themselves."""
    if signing_zone:
        return [
            DnsRecord(domainkey_name(selector, domain), "CNAME", easy_cname_target(selector, signing_zone))
            for selector, _ in selectors_and_keys
        ]
    return [
        DnsRecord(domainkey_name(selector, domain), "TXT", key_record_value(public))
        for selector, public in selectors_and_keys
    ]


def zone_key_records(selectors_and_keys: list[tuple[str, str]], signing_zone: str) -> list[DnsRecord]:
    """What Sesame publishes in its signing zone behind the customers' CNAMEs."""
    return [
        DnsRecord(easy_cname_target(selector, signing_zone), "TXT", key_record_value(public))
        for selector, public in selectors_and_keys
    ]
