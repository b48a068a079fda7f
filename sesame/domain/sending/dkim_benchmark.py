"""How many DKIM signatures one core makes per second: a 5 KB multipart message, 2048-bit key."""

from __future__ import annotations

import time

from sesame.domain.dkim import generate_rsa_key, private_key_pem
from sesame.domain.identity_model import DkimSigningKey
from sesame.domain.sending.content import SimpleContent, TextPart
from sesame.domain.sending.dkim_signing import DkimSigner
from sesame.domain.sending.mime import build_simple

_ACCEPTED_AT = 1_700_000_000.0


def sample_message(size: int = 5 * 1024) -> bytes:
    """A text + HTML message of about ``size`` bytes, as build_simple makes them."""
    paragraph = "Your order has shipped and is on its way to you; track it from your account page. "
    text = (paragraph * (size // 2 // len(paragraph) + 1))[: size // 2]
    html = f"<html><body><p>{text}</p></body></html>"
    content = SimpleContent(
        subject=TextPart("Your order has shipped"), text=TextPart(text), html=TextPart(html[: size // 2])
    )
    return build_simple(
        content,
        from_address="Shop <orders@bench.example>",
        to=["customer@example.net"],
        message_id="0100018bcfe56800-4f0c3a52-6b7e-4d1e-9a0b-2c3d4e5f6a7b-000000",
        message_id_domain="us-east-1.amazonses.com",
        now=_ACCEPTED_AT,
    )


def benchmark_signatures_per_second(seconds: float = 2.0, *, key_bits: int = 2048) -> float:
    """Sign the same message repeatedly for ``seconds`` and return signatures per second.

    The key is parsed once (as the signer's cache does in production), so the figure is the
    steady-state cost: canonicalization, hashing and the RSA operation."""
    key = DkimSigningKey(
        domain="bench.example", selector="bench", private_key_pem=private_key_pem(generate_rsa_key(key_bits))
    )
    message = sample_message()
    signer = DkimSigner()
    signer.sign(message, key, now=_ACCEPTED_AT)
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        signer.sign(message, key, now=_ACCEPTED_AT)
        count += 1
        elapsed = time.perf_counter()
        if elapsed >= deadline:
            return count / (elapsed - start)
