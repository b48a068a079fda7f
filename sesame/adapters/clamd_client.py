"""ClamAV's clamd over TCP (the zINSTREAM command): the VirusScanner port.

One connection per message: ``zINSTREAM\\0``, the message in chunks each preceded by its length
(4 bytes, network order), a zero-length chunk to end; clamd answers ``stream: OK``,
``stream: <name> FOUND`` or ``... ERROR`` (e.g. the message is larger than its StreamMaxLength),
each ending in a NUL. The whole message is sent: clamd reads MIME itself and scans every
decoded part. Every failure (refused, reset, slow, an error reply) is a FAILED result, never an
exception.
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Iterator

from sesame.adapters.scanner_sockets import Deadline, connect, read_until_closed, send_all
from sesame.domain.content_scanning import ScanResult, ScanStatus

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 3.0
CHUNK_SIZE = 256 * 1024
_MAX_REPLY = 64 * 1024


def parse_clamd_reply(reply: bytes) -> ScanResult:
    text = reply.rstrip(b"\0\r\n").decode("utf-8", "replace").strip()
    _stream, sep, verdict = text.partition(": ")
    if not sep:
        return ScanResult.failed(f"clamd: {text or 'no reply'}")
    if verdict == "OK":
        return ScanResult(ScanStatus.CLEAN)
    if verdict.endswith(" FOUND"):
        return ScanResult(ScanStatus.FOUND, verdict.removesuffix(" FOUND").strip())
    return ScanResult.failed(f"clamd: {verdict}")


def instream_request(raw: bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes | memoryview]:
    """The zINSTREAM request as the pieces to send, in order (the message is not copied)."""
    yield b"zINSTREAM\0"
    view = memoryview(raw)
    for start in range(0, len(view), chunk_size):
        chunk = view[start : start + chunk_size]
        yield struct.pack("!I", len(chunk))
        yield chunk
    yield struct.pack("!I", 0)


class ClamdClient:
    def __init__(
        self,
        address: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._address = address
        self._timeout = timeout
        self._connect_timeout = connect_timeout

    def find_virus(self, raw: bytes) -> ScanResult:
        deadline = Deadline(self._timeout)
        try:
            with connect(self._address, deadline, self._connect_timeout) as sock:
                try:
                    for piece in instream_request(raw):
                        send_all(sock, piece, deadline)
                except (BrokenPipeError, ConnectionResetError) as error:
                    # clamd stops reading and says why (size limit) before it closes.
                    reply = _reply_after_refusal(sock, deadline)
                    return parse_clamd_reply(reply) if reply else ScanResult.failed(f"clamd: {error}")
                reply = read_until_closed(sock, deadline, _MAX_REPLY)
        except (OSError, ValueError) as error:
            log.warning("clamd at %s: %s", self._address, error)
            return ScanResult.failed(f"clamd at {self._address}: {error}")
        return parse_clamd_reply(reply)


def _reply_after_refusal(sock: socket.socket, deadline: Deadline) -> bytes:
    try:
        return read_until_closed(sock, deadline, _MAX_REPLY)
    except OSError:
        return b""
