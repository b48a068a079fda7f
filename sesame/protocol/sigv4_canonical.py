"""SigV4's canonical request and signature, computed from a request exactly as it arrived.

The rules mirror what the SDKs sign for services other than S3 (botocore's ``SigV4Auth``):

* the URI is the raw path with dot segments and empty segments removed, then percent-encoded
  once more (the raw path is already encoded, so ``user%40example.com`` signs as
  ``user%2540example.com``);
* the query string is every parameter decoded and re-encoded with RFC 3986's unreserved
  characters left alone, sorted by name then value;
* each signed header's value is trimmed with inner runs of spaces folded to one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "-_.~"


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 5.2.4, plus AWS's folding of repeated slashes (empty segments are dropped).
    kept: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and kept else ""
    return leading + "/".join(kept) + trailing


def canonical_uri(raw_path: str) -> str:
    return quote(_remove_dot_segments(raw_path or "/") or "/", safe="/~")


def canonical_query(raw_query: str, *, drop: str | None = None) -> str:
    """The sorted, re-encoded query; ``drop`` names a parameter left out (``X-Amz-Signature``)."""
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        name = unquote(name)
        if name == drop:
            continue
        pairs.append((quote(name, safe=_UNRESERVED), quote(unquote(value), safe=_UNRESERVED)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _trim(value: str) -> str:
    return " ".join(value.split())


def canonical_request(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """``query`` is already canonical; ``headers`` have lower-case names."""
    header_lines = "".join(f"{name}:{_trim(headers.get(name, ''))}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            query,
            header_lines,
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, request: str) -> str:
    digest = hashlib.sha256(request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signature(secret: str, *, date: str, region: str, service: str, to_sign: str) -> str:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    key = _hmac(key, "aws4_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def payload_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
