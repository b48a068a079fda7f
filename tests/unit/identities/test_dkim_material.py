"""DKIM keys, tokens and record formats."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from sesame.domain import dkim
from sesame.domain.errors import InvalidParameterValue
from sesame.domain.identity_ports import DnsRecord

KEY_1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)


def test_easy_dkim_tokens_look_like_ses_tokens() -> None:
    tokens = {dkim.new_dkim_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(re.fullmatch(r"[a-z2-7]{32}", token) for token in tokens)


def test_verification_tokens_are_44_base64_characters() -> None:
    token = dkim.new_verification_token()
    assert len(token) == 44
    assert len(base64.b64decode(token)) == 32


def test_public_key_is_base64_subject_public_key_info() -> None:
    loaded = serialization.load_der_public_key(base64.b64decode(dkim.public_key_b64(KEY_1024)))
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.public_numbers() == KEY_1024.public_key().public_numbers()


def _der(key: rsa.RSAPrivateKey, fmt: serialization.PrivateFormat) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(_der(KEY_1024, serialization.PrivateFormat.TraditionalOpenSSL)).decode(),
        base64.b64encode(_der(KEY_1024, serialization.PrivateFormat.PKCS8)).decode(),
        dkim.private_key_pem(KEY_1024).decode(),
        base64.b64encode(dkim.private_key_pem(KEY_1024)).decode(),
    ],
    ids=["pkcs1-der-b64", "pkcs8-der-b64", "pem", "pem-b64"],
)
def test_customer_keys_load_in_every_form_people_paste(text: str) -> None:
    key = dkim.load_customer_private_key(text)
    assert key.private_numbers() == KEY_1024.private_numbers()


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"garbage").decode(), ""])
def test_garbage_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidParameterValue):
        dkim.load_customer_private_key(text)


def test_keys_outside_1024_to_2048_bits_are_refused() -> None:
    # cryptography will not make a key under 1024 bits, so the bound tested is the upper one.
    large = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    with pytest.raises(InvalidParameterValue, match="between 1024 and 2048"):
        dkim.load_customer_private_key(dkim.private_key_pem(large).decode())


def test_non_rsa_keys_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidParameterValue):
        dkim.load_customer_private_key(pem.decode())


def test_long_txt_values_split_into_255_character_strings() -> None:
    value = "x" * 600
    parts = dkim.split_txt(value)
    assert [len(p) for p in parts] == [255, 255, 90]
    assert "".join(parts) == value


def test_key_record_round_trip() -> None:
    assert dkim.parse_key_record(dkim.key_record_value("QUJD")) == "QUJD"
    assert dkim.parse_key_record("v=DKIM1; k=rsa; p=QU JD") == "QUJD"
    assert dkim.parse_key_record("v=spf1 -all") is None
    assert dkim.parse_key_record("v=DKIM1; k=ed25519; p=QUJD") is None


def test_customer_records_are_cnames_with_a_zone_and_txt_without() -> None:
    keys = [("tok1", "PUB1"), ("tok2", "PUB2")]
    assert dkim.customer_key_records("example.com", keys, "dkim.sesame.test") == [
        DnsRecord("tok1._domainkey.example.com", "CNAME", "tok1.dkim.sesame.test"),
        DnsRecord("tok2._domainkey.example.com", "CNAME", "tok2.dkim.sesame.test"),
    ]
    assert dkim.customer_key_records("example.com", keys, None)[0] == DnsRecord(
        "tok1._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=PUB1"
    )
    assert dkim.zone_key_records(keys, "dkim.sesame.test")[1] == DnsRecord(
        "tok2.dkim.sesame.test", "TXT", "v=DKIM1; k=rsa; p=PUB2"
    )
