"""Scalar values on the wire: text forms of numbers, booleans, timestamps and blobs, both ways.

Inputs are read leniently where the SDKs differ (a timestamp may come as ISO 8601 or as epoch
seconds); outputs are written in the one form each protocol documents.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

NUMERIC_TYPES = frozenset({"integer", "long", "double", "float"})
INTEGER_TYPES = frozenset({"integer", "long"})


class ScalarError(ValueError):
    """A text or JSON value that is not of the shape's type; ``kind`` names what was expected."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def parse_timestamp(raw: str | int | float) -> datetime:
    """ISO 8601 (extended or basic), RFC 822, or epoch seconds, to an aware UTC datetime."""
    if isinstance(raw, bool):
        raise ScalarError("timestamp")
    if isinstance(raw, int | float):
        return _from_epoch(float(raw))
    text = raw.strip()
    try:
        return _from_epoch(float(text))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ScalarError("timestamp") from None
    if parsed.tzinfo is None:
        # Unzoned timestamps are UTC by AWS convention, never the server's local time.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise ScalarError("timestamp")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ScalarError("timestamp") from None


def parse_text_scalar(type_name: str, text: str) -> object:
    """A scalar from its text form (Query form fields, URI labels, query strings, headers)."""
    if type_name in ("string", "character"):
        return text
    if type_name in INTEGER_TYPES:
        try:
            return int(text.strip())
        except ValueError:
            raise ScalarError("integer") from None
    if type_name in ("double", "float"):
        try:
            return float(text.strip())
        except ValueError:
            raise ScalarError("number") from None
    if type_name == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ScalarError("boolean")
    if type_name == "timestamp":
        return parse_timestamp(text)
    if type_name == "blob":
        return decode_base64(text)
    raise ScalarError(type_name)


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ScalarError("base64-encoded binary") from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise TypeError("naive datetime in output: handlers must return aware datetimes")
    return value.astimezone(UTC)


def format_iso8601(value: datetime) -> str:
    """``2024-01-02T03:04:05.678Z``: UTC, millisecond precision, as AWS's XML APIs write it."""
    utc = _utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond // 1000:03d}Z"


def format_epoch(value: datetime) -> int | float:
    """Epoch seconds, whole when there is no sub-second part, else to the millisecond."""
    utc = _utc(value)
    whole = int(utc.replace(microsecond=0).timestamp())
    if utc.microsecond // 1000 == 0:
        return whole
    return whole + (utc.microsecond // 1000) / 1000


def format_rfc822(value: datetime) -> str:
    return format_datetime(_utc(value).replace(microsecond=0), usegmt=True)


def format_float(value: float) -> str | float:
    """JSON and XML have no literal for NaN and the infinities; AWS writes them as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def output_scalar(type_name: str, value: object, timestamp_format: str) -> str | int | float | bool:
    """A handler's scalar in its wire form (``timestamp_format``: iso8601, unixTimestamp or rfc822).

    Raises TypeError when the value is not of the shape's type: handlers must return exactly
    what the model says, and a mismatch here is a bug to surface, not to paper over.
    """
    if type_name in ("string", "character") and isinstance(value, str):
        return value
    if type_name in INTEGER_TYPES and isinstance(value, int) and not isinstance(value, bool):
        return value
    if type_name in ("double", "float") and isinstance(value, int | float) and not isinstance(value, bool):
        return format_float(float(value))
    if type_name == "boolean" and isinstance(value, bool):
        return value
    if type_name == "timestamp" and isinstance(value, datetime):
        if timestamp_format == "unixTimestamp":
            return format_epoch(value)
        if timestamp_format == "rfc822":
            return format_rfc822(value)
        return format_iso8601(value)
    if type_name == "blob" and isinstance(value, bytes | bytearray):
        return encode_base64(bytes(value))
    raise TypeError(f"expected {type_name}, got {type(value).__name__}")
