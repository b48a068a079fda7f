"""DKIM signatures, checked by dkimpy's verifier against the key's DNS record."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dkim.canonicalization import Relaxed

from sesame.domain.dkim import generate_rsa_key, private_key_pem, public_key_b64
from sesame.domain.identity_model import DkimSigningKey
from sesame.domain.sending import dkim_signing
from sesame.domain.sending.content import Attachment, SimpleContent, TextPart
from sesame.domain.sending.dkim_benchmark import benchmark_signatures_per_second, sample_message
from sesame.domain.sending.dkim_signing import DkimSigner, relaxed_body
from sesame.domain.sending.mime import build_simple

DOMAIN = "example.com"
SELECTOR = "s2024"
SIGNED_AT = 1_700_000_000.0


@pytest.fixture(scope="module", params=[1024, 2048], ids=["rsa1024", "rsa2048"])
def rsa_key(request: pytest.FixtureRequest) -> rsa.RSAPrivateKey:
    return generate_rsa_key(request.param)


@pytest.fixture(scope="module")
def signing_key(rsa_key: rsa.RSAPrivateKey) -> DkimSigningKey:
    return DkimSigningKey(domain=DOMAIN, selector=SELECTOR, private_key_pem=private_key_pem(rsa_key))


def dns_for(key: rsa.RSAPrivateKey, selector: str = SELECTOR, domain: str = DOMAIN) -> Callable[..., bytes]:
    """A resolver holding only ``<selector>._domainkey.<domain>`` TXT with the public key."""

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        if name.rstrip(b".") == f"{selector}._domainkey.{domain}".encode():
            return b"v=DKIM1; k=rsa; p=" + public_key_b64(key).encode()
        return b""

    return lookup


def signature_tags(signed: bytes) -> dict[str, str]:
    field = re.match(rb"DKIM-Signature:(.*?)\r\n(?![ \t])", signed, re.S)
    assert field is not None
    value = re.sub(r"\s+", "", field.group(1).decode())
    return dict(tag.split("=", 1) for tag in value.split(";") if tag)


def simple_message(**content: object) -> bytes:
    defaults: dict[str, object] = {"subject": TextPart("Hello"), "text": TextPart("Hi.\n")}
    defaults.update(content)
    return build_simple(
        SimpleContent(**defaults),  # type: ignore[arg-type]
        from_address="Sender <sender@example.com>",
        to=["recipient@example.net"],
        cc=["copy@example.net"],
        message_id="0100018bcfe56800-4f0c3a52-6b7e-4d1e-9a0b-2c3d4e5f6a7b-000000",
        message_id_domain="us-east-1.amazonses.com",
        now=SIGNED_AT,
    )


MULTIPART = simple_message(
    subject=TextPart("Grüße aus Köln — a subject long enough that it has to be folded over lines"),
    text=TextPart("Plain body\twith a tab,  double  spaces and trailing space \n\n\n"),
    html=TextPart("<p>Rich body</p>"),
    attachments=(
        Attachment(bytes(range(256)), "data.bin"),
        Attachment(b"GIF89a", "i.gif", disposition="INLINE"),
    ),
)
FOLDED = (
    b"From: Sender <sender@example.com>\r\n"
    b"To: one@example.net,\r\n\t two@example.net,\r\n    three@example.net\r\n"
    b"Subject: folded\r\n  over   two lines \r\n"
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"\r\n"
    b"body\r\n"
)
RAW_UTF8_HEADERS = (
    "From: Jörg <sender@example.com>\r\nTo: a@example.net\r\nSubject: Grüße ☕\r\n\r\nGrüße\r\n".encode()
)


@pytest.mark.parametrize(
    "message",
    [simple_message(), MULTIPART, FOLDED, RAW_UTF8_HEADERS],
    ids=["simple", "multipart-non-ascii-subject", "folded-headers", "utf8-headers"],
)
def test_signature_verifies_with_dkimpy(
    message: bytes, signing_key: DkimSigningKey, rsa_key: rsa.RSAPrivateKey
):
    signed = DkimSigner().sign(message, signing_key, now=SIGNED_AT)
    assert signed.endswith(message)
    assert dkim.verify(signed, dnsfunc=dns_for(rsa_key))


def test_tampered_body_fails_verification(signing_key: DkimSigningKey, rsa_key: rsa.RSAPrivateKey):
    signed = DkimSigner().sign(MULTIPART, signing_key, now=SIGNED_AT)
    tampered = signed.replace(b"<p>Rich body</p>", b"<p>Rich body!</p>")
    assert tampered != signed
    assert not dkim.verify(tampered, dnsfunc=dns_for(rsa_key))


def test_tampered_signed_header_fails_verification(signing_key: DkimSigningKey, rsa_key: rsa.RSAPrivateKey):
    signed = DkimSigner().sign(FOLDED, signing_key, now=SIGNED_AT)
    tampered = signed.replace(b"three@example.net", b"thief@example.net")
    assert not dkim.verify(tampered, dnsfunc=dns_for(rsa_key))


def test_wrong_public_key_fails_verification(signing_key: DkimSigningKey):
    signed = DkimSigner().sign(FOLDED, signing_key, now=SIGNED_AT)
    assert not dkim.verify(signed, dnsfunc=dns_for(generate_rsa_key(1024)))


def test_fields_added_in_transit_and_whitespace_changes_keep_the_signature(
    signing_key: DkimSigningKey, rsa_key: rsa.RSAPrivateKey
):
    signed = DkimSigner().sign(FOLDED, signing_key, now=SIGNED_AT)
    relayed = b"Received: from relay.example.net\r\n" + signed.replace(b"body\r\n", b"body   \r\n\r\n")
    assert dkim.verify(relayed, dnsfunc=dns_for(rsa_key))


def test_signature_tags_are_those_ses_uses(signing_key: DkimSigningKey):
    tags = signature_tags(DkimSigner().sign(simple_message(), signing_key, now=SIGNED_AT))
    assert tags["v"] == "1"
    assert tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert tags["d"] == DOMAIN
    assert tags["s"] == SELECTOR
    assert tags["t"] == "1700000000"
    assert tags["q"] == "dns/txt"
    assert (
        tags["h"] == "From:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding"
    )


def test_only_fields_present_are_signed_and_repeats_are_signed_each_time(signing_key: DkimSigningKey):
    message = (
        b"From: a@example.com\r\nX-Custom: not signed\r\nBcc: never@example.com\r\n"
        b"Resent-To: x@example.net\r\nResent-To: y@example.net\r\nFeedback-ID: 1:2:3\r\n\r\nbody\r\n"
    )
    tags = signature_tags(DkimSigner().sign(message, signing_key, now=SIGNED_AT))
    assert tags["h"] == "From:Resent-To:Resent-To:Feedback-ID"


def test_timestamp_defaults_to_now(signing_key: DkimSigningKey):
    before = int(time.time())
    tags = signature_tags(DkimSigner().sign(FOLDED, signing_key))
    assert before <= int(tags["t"]) <= int(time.time())


def test_body_hash_equals_dkimpys_own(signing_key: DkimSigningKey):
    ours = signature_tags(DkimSigner().sign(MULTIPART, signing_key, now=SIGNED_AT))
    theirs = dkim.sign(
        MULTIPART,
        SELECTOR.encode(),
        DOMAIN.encode(),
        signing_key.private_key_pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[b"from"],
    )
    assert ours["bh"] == signature_tags(theirs)["bh"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\r\n",
        b"\r\n\r\n\r\n",
        b"plain\r\n",
        b"no final line break",
        b"trailing space \r\nand tab\t\r\n",
        b"double  space\tand\t\ttabs  \t \r\n\r\n\r\n",
        b" leading space\r\n\tleading tab\r\n",
        b"ends with space ",
        b"line\r\n \r\n\t\r\n",
        bytes(range(256)) + b"\r\n",
    ],
)
def test_body_canonicalization_equals_dkimpys(body: bytes):
    assert relaxed_body(body) == Relaxed.canonicalize_body(body)


def test_line_feed_only_messages_are_signed_as_crlf(signing_key: DkimSigningKey, rsa_key: rsa.RSAPrivateKey):
    lf_only = FOLDED.replace(b"\r\n", b"\n")
    signed = DkimSigner().sign(lf_only, signing_key, now=SIGNED_AT)
    assert signed.count(b"\n") == signed.count(b"\r\n")
    assert dkim.verify(signed, dnsfunc=dns_for(rsa_key))


def test_signature_field_lines_stay_short(signing_key: DkimSigningKey):
    signed = DkimSigner().sign(MULTIPART, signing_key, now=SIGNED_AT)
    field = signed[: signed.index(b"From:")]
    assert all(len(line) <= 78 for line in field.split(b"\r\n"))


@pytest.mark.parametrize("form", ["pkcs1-pem", "pkcs8-pem", "bare-base64-der"])
def test_private_key_formats_customers_bring_are_accepted(form: str):
    key = generate_rsa_key(1024)
    if form == "pkcs1-pem":
        material = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    elif form == "pkcs8-pem":
        material = private_key_pem(key)
    else:
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        material = base64.b64encode(der)
    signed = DkimSigner().sign(FOLDED, DkimSigningKey(DOMAIN, SELECTOR, material), now=SIGNED_AT)
    assert dkim.verify(signed, dnsfunc=dns_for(key))


def test_non_rsa_key_is_refused():
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        DkimSigner().sign(FOLDED, DkimSigningKey(DOMAIN, SELECTOR, pem))


def test_message_without_from_is_refused(signing_key: DkimSigningKey):
    with pytest.raises(ValueError):
        DkimSigner().sign(b"To: a@example.net\r\n\r\nbody\r\n", signing_key)


class CountingLoader:
    """The real key loader, counting how often it runs."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = dkim_signing.load_rsa_private_key

    def __call__(self, material: bytes) -> rsa.RSAPrivateKey:
        self.calls += 1
        return self.real(material)


def test_parsed_keys_are_cached_per_domain_selector_and_key(
    monkeypatch: pytest.MonkeyPatch, signing_key: DkimSigningKey, rsa_key: rsa.RSAPrivateKey
):
    loader = CountingLoader()
    monkeypatch.setattr(dkim_signing, "load_rsa_private_key", loader)
    signer = DkimSigner()
    for _ in range(5):
        signer.sign(FOLDED, signing_key, now=SIGNED_AT)
    assert loader.calls == 1
    other_selector = DkimSigningKey(DOMAIN, "other", signing_key.private_key_pem)
    signed = signer.sign(FOLDED, other_selector, now=SIGNED_AT)
    assert loader.calls == 2
    assert dkim.verify(signed, dnsfunc=dns_for(rsa_key, selector="other"))


def test_key_cache_forgets_the_least_recently_used_key(
    monkeypatch: pytest.MonkeyPatch, signing_key: DkimSigningKey
):
    loader = CountingLoader()
    monkeypatch.setattr(dkim_signing, "load_rsa_private_key", loader)
    signer = DkimSigner(max_cached_keys=1)
    other = DkimSigningKey("other.example", SELECTOR, signing_key.private_key_pem)
    for key in (signing_key, other, signing_key):
        signer.sign(FOLDED, key, now=SIGNED_AT)
    assert loader.calls == 3


def test_benchmark_reports_a_rate():
    assert benchmark_signatures_per_second(0.05, key_bits=1024) > 0
    assert 4 * 1024 <= len(sample_message()) <= 7 * 1024
