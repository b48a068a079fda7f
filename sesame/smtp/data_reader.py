"""Reading a message after DATA (RFC 5321 4.1.1.4, 4.5.2), strictly.

The data ends at CRLF "." CRLF and nowhere else. A bare CR or a bare LF anywhere in the data
makes the whole message refused: different servers read bare line endings differently, which is
what SMTP smuggling exploits (a second message hidden behind ``<LF>.<LF>``, ``<CR>.<CR>`` or
``<LF>.<CR><LF>`` that a lenient server downstream would take as the end of the first). Reading
goes on to the real end of the data either way, so the session stays in step with the client and
the hidden commands are never read as commands.

Lines longer than ``max_line`` octets or data longer than ``max_bytes`` are refused too; their
bytes are not kept, so memory stays bounded by the limits whatever the client sends.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from enum import Enum

_BARE_LINE_ENDING = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_END = b".\r\n"


class DataOutcome(Enum):
    COMPLETE = "complete"
    TOO_LONG = "too long"  # more than max_bytes
    LINE_TOO_LONG = "line too long"
    BARE_LINE_ENDING = "bare CR or LF"


@dataclass(frozen=True)
class MessageData:
    outcome: DataOutcome
    content: bytes = b""  # the message, dot-unstuffed; empty unless COMPLETE


async def read_message_data(reader: asyncio.StreamReader, *, max_bytes: int, max_line: int) -> MessageData:
    """Read up to the end of the data. ``reader``'s own limit must be at least ``max_line``."""
    lines: list[bytes] = []
    size = 0
    outcome = DataOutcome.COMPLETE
    at_line_start = True
    while True:
        try:
            chunk = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as overrun:
            # A line longer than the reader holds: drop what it has and keep reading the line.
            chunk = await reader.readexactly(overrun.consumed)
            if outcome is DataOutcome.COMPLETE:
                outcome = DataOutcome.LINE_TOO_LONG
        if at_line_start and chunk == _END:
            break
        at_line_start = chunk.endswith(b"\r\n")
        size += len(chunk)
        if outcome is DataOutcome.COMPLETE:
            if size > max_bytes:
                outcome = DataOutcome.TOO_LONG
            elif len(chunk) > max_line:
                outcome = DataOutcome.LINE_TOO_LONG
            elif _BARE_LINE_ENDING.search(chunk):
                outcome = DataOutcome.BARE_LINE_ENDING
            if outcome is not DataOutcome.COMPLETE:
                lines.clear()
                continue
            lines.append(chunk[1:] if chunk.startswith(b".") else chunk)
    if outcome is not DataOutcome.COMPLETE:
        return MessageData(outcome)
    return MessageData(outcome, b"".join(lines))
