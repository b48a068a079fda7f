"""Simple (structured) message content as both API versions give it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextPart:
    data: str
    charset: str | None = None


@dataclass(frozen=True)
class Attachment:
    raw_content: bytes
    file_name: str
    content_type: str | None = None
    disposition: str | None = None  # ATTACHMENT or INLINE
    content_id: str | None = None
    transfer_encoding: str | None = None  # BASE64, QUOTED_PRINTABLE, SEVEN_BIT
    description: str | None = None


@dataclass(frozen=True)
class SimpleContent:
    subject: TextPart
    text: TextPart | None = None
    html: TextPart | None = None
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
