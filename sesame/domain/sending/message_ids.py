"""Message IDs in SES's format.

SES's MessageId is ``<16 hex digits>-<uuid>-<6 digits>``, for example
``0100018d0c5b7e1f-8d4f3f0e-3c8a-4d0e-9a51-0f6e6b2b1c7d-000000``. The 16 hex digits are a
4-digit prefix followed by the acceptance time in milliseconds since the epoch, zero-padded to
12 digits, so IDs of one prefix sort by time. The message's Message-ID header is
``<MessageId@domain>``: SES uses ``<id@email.amazonses.com>`` (or a regional host); the domain
here is a parameter.
"""

from __future__ import annotations

import re
import uuid

# The leading digits SES's current IDs carry before the time.
MESSAGE_ID_PREFIX = "0100"
_SUFFIX = "000000"
_MESSAGE_ID = re.compile(
    r"^(?P<prefix>[0-9a-f]{4})(?P<millis>[0-9a-f]{12})-"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9]{6}$"
)


def new_message_id(now: float) -> str:
    """A fresh MessageId for a message accepted at ``now`` (epoch seconds)."""
    millis = int(now * 1000)
    return f"{MESSAGE_ID_PREFIX}{millis:012x}-{uuid.uuid4()}-{_SUFFIX}"


def message_id_header(message_id: str, domain: str) -> str:
    """The Message-ID header value for ``message_id``: ``<message_id@domain>``."""
    return f"<{message_id}@{domain}>"


def is_message_id(text: str) -> bool:
    return _MESSAGE_ID.match(text) is not None


def message_id_time(message_id: str) -> float | None:
    """When the message was accepted (epoch seconds), read back from its ID; None for an ID
    that is not in SES's format."""
    match = _MESSAGE_ID.match(message_id)
    if match is None:
        return None
    return int(match.group("millis"), 16) / 1000.0
