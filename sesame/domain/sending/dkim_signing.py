"""DKIM signatures (RFC 6376) for outbound mail: rsa-sha256, relaxed/relaxed.

The message is split and canonicalized with dkimpy's own functions, so what is hashed here is
exactly what dkimpy (and any verifier that follows the RFC) hashes when it checks the
signature. The RSA operation, the expensive part, is done by the ``cryptography`` package
(OpenSSL) rather than dkimpy's pure-Python RSA, and each parsed private key is kept, so a worker
signing a stream of messages for one domain pays for the key once.

The fields signed are those SES signs when present: the originator and recipient fields, the
subject, date and identification fields, the MIME fields, and the list and feedback fields that
mailbox providers look at. A field that occurs more than once is signed as many times.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections import OrderedDict

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from dkim.canonicalization import (
    Relaxed,
    compress_whitespace,
    correct_empty_body,
    strip_trailing_lines,
    strip_trailing_whitespace,
)

from sesame.domain.identity_model import DkimSigningKey

SIGNED_HEADERS = (
    "From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc", "In-Reply-To",
    "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID",
    "Content-Description", "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To",
    "Resent-Cc", "Resent-Message-ID", "List-Id", "List-Help", "List-Unsubscribe",
    "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
    "Feedback-ID",
)  # fmt: skip
_SIGNED_BY_LOWER = {name.lower().encode("ascii"): name for name in SIGNED_HEADERS}
_FOLD_AT = 78
_B64_CHUNK = 72
_FORCED_FOLD = "\r\n "


class DkimSigner:
    """Signs messages with DKIM; safe to share between threads."""

    def __init__(self, *, max_cached_keys: int = 256) -> None:
        self._max_cached_keys = max_cached_keys
        self._keys: OrderedDict[tuple[str, str, bytes], rsa.RSAPrivateKey] = OrderedDict()
        self._lock = threading.Lock()

    def sign(self, message: bytes, key: DkimSigningKey, *, now: float | None = None) -> bytes:
        """``message`` with a DKIM-Signature field for ``key``'s domain and selector in front.

        Line endings come back as CRLF (what SMTP carries and what was signed)."""
        private_key = self._private_key(key)
        data = message if message.count(b"\n") == message.count(b"\r\n") else _crlf(message)
        try:
            headers, body = dkim.rfc822_parse(data)
        except dkim.MessageFormatError as exc:
            raise ValueError(f"cannot sign a message that is not RFC 5322: {exc}") from None

        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest())
        signed_names = [_SIGNED_BY_LOWER[name] for name in _names_to_sign(headers)]
        if "From" not in signed_names:
            raise ValueError("cannot sign a message without a From field")
        selected = Relaxed.canonicalize_headers(
            dkim.select_headers(headers, [name.lower().encode("ascii") for name in signed_names])
        )
        timestamp = int(time.time() if now is None else now)
        unsigned = _fold(
            [
                ("v=1;", " "),
                ("a=rsa-sha256;", " "),
                ("c=relaxed/relaxed;", " "),
                (f"d={_ascii(key.domain)};", " "),
                (f"s={key.selector};", " "),
                (f"t={timestamp};", " "),
                ("q=dns/txt;", " "),
                *_header_list_tokens(signed_names),
                (f"bh={body_hash.decode('ascii')};", " "),
                # b= starts a line of its own, so the signature folds into whole lines.
                ("b=", _FORCED_FOLD),
            ]
        )
        canonical_signature_field = Relaxed.canonicalize_headers([(b"DKIM-Signature", unsigned)])[0]
        to_sign = b"".join(name + b":" + value for name, value in selected)
        to_sign += canonical_signature_field[0] + b":" + canonical_signature_field[1].rstrip()
        signature = base64.b64encode(private_key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256()))
        return b"DKIM-Signature:" + unsigned + _fold_signature(signature) + b"\r\n" + data

    def _private_key(self, key: DkimSigningKey) -> rsa.RSAPrivateKey:
        cache_key = (key.domain, key.selector, hashlib.sha256(key.private_key_pem).digest())
        with self._lock:
            found = self._keys.get(cache_key)
            if found is not None:
                self._keys.move_to_end(cache_key)
                return found
        loaded = load_rsa_private_key(key.private_key_pem)
        with self._lock:
            self._keys[cache_key] = loaded
            while len(self._keys) > self._max_cached_keys:
                self._keys.popitem(last=False)
        return loaded


def relaxed_body(body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalization, skipping the regular-expression passes that
    would change nothing: most bodies have no trailing whitespace and no runs of whitespace,
    and those passes otherwise cost more than the RSA signature."""
    if b" \r\n" in body or b"\t\r\n" in body:
        body = strip_trailing_whitespace(body)
    if b"\t" in body or b"  " in body:
        body = compress_whitespace(body)
    return bytes(correct_empty_body(strip_trailing_lines(body)))


def load_rsa_private_key(material: bytes) -> rsa.RSAPrivateKey:
    """A PEM key (PKCS#1 or PKCS#8), or the bare base64 DER that BYODKIM customers give."""
    text = material.strip()
    if text.startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(text, password=None)
    else:
        key = serialization.load_der_private_key(base64.b64decode(b"".join(text.split())), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("DKIM signing needs an RSA private key")
    return key


def _names_to_sign(headers: list[list[bytes]]) -> list[bytes]:
    """Lower-case names of the fields to sign, in signing order, one entry per occurrence."""
    counts: dict[bytes, int] = {}
    for name, _ in headers:
        lower = name.lower()
        if lower in _SIGNED_BY_LOWER:
            counts[lower] = counts.get(lower, 0) + 1
    return [lower for lower in _SIGNED_BY_LOWER if lower in counts for _ in range(counts[lower])]


def _header_list_tokens(names: list[str]) -> list[tuple[str, str]]:
    """``h=From:To:...;`` as tokens that may be folded after any colon (RFC 6376 allows FWS
    around the colons)."""
    tokens = [(f"h={names[0]}:" if len(names) > 1 else f"h={names[0]};", " ")]
    for i, name in enumerate(names[1:], start=1):
        tokens.append((name + (":" if i < len(names) - 1 else ";"), ""))
    return tokens


def _fold(tokens: list[tuple[str, str]]) -> bytes:
    """The field value after ``DKIM-Signature:``; each token is preceded by its glue, or by a
    fold when the line would pass 78 characters."""
    out: list[str] = []
    line_length = len("DKIM-Signature:")
    for text, glue in tokens:
        if glue == _FORCED_FOLD or line_length + len(glue) + len(text) > _FOLD_AT:
            out.append("\r\n " + text)
            line_length = 1 + len(text)
        else:
            out.append(glue + text)
            line_length += len(glue) + len(text)
    return "".join(out).encode("ascii")


def _fold_signature(signature: bytes) -> bytes:
    chunks = [signature[i : i + _B64_CHUNK] for i in range(0, len(signature), _B64_CHUNK)]
    return b"\r\n ".join(chunks)


def _crlf(message: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", message)


def _ascii(domain: str) -> str:
    return domain if domain.isascii() else domain.encode("idna").decode("ascii")
