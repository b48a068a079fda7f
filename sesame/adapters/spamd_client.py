"""SpamAssassin's spamd over TCP (the SPAMC/SPAMD 1.5 protocol): the SpamScanner port.

One connection per message: ``SYMBOLS SPAMC/1.5`` with the message's Content-length, the
message, then half-close; spamd answers ``SPAMD/1.1 0 EX_OK``, a ``Spam: True ; 7.3 / 5.0``
header and the names of the rules that hit. Messages larger than ``max_size`` are not sent (as
spamc does: SpamAssassin only reads the start of a body anyway) and come back SKIPPED. Every
failure (refused, reset, slow, a reply that is not spamd's) is a FAILED result, never an
exception.
"""

from __future__ import annotations

import logging
import re
import socket

from sesame.adapters.scanner_sockets import Deadline, connect, read_until_closed, send_all
from sesame.domain.content_scanning import ScanResult, ScanStatus

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 3.0
# spamc's own default limit.
DEFAULT_MAX_SIZE = 500 * 1024
_MAX_REPLY = 1024 * 1024

_STATUS = re.compile(rb"^SPAMD/(\d+\.\d+)\s+(\d+)\s*(.*)$")
_SPAM = re.compile(r"^\s*(True|False|Yes|No)\s*;\s*(-?[\d.]+)\s*/\s*(-?[\d.]+)\s*$", re.IGNORECASE)


def parse_spamd_reply(reply: bytes) -> ScanResult:
    """The result a SYMBOLS (or CHECK) reply carries."""
    head, _sep, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = _STATUS.match(lines[0]) if lines else None
    if status is None:
        return ScanResult.failed(f"not a spamd reply: {lines[0][:80]!r}")
    if status.group(2) != b"0":
        message = status.group(3).decode("utf-8", "replace")
        return ScanResult.failed(f"spamd error {status.group(2).decode()}: {message}")
    for line in lines[1:]:
        name, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep or name.strip().lower() != "spam":
            continue
        spam = _SPAM.match(value)
        if spam is None:
            return ScanResult.failed(f"unreadable Spam header: {value.strip()!r}")
        rules = body.decode("utf-8", "replace").strip()
        detail = f"score={spam.group(2)} required={spam.group(3)}" + (f" rules={rules}" if rules else "")
        found = spam.group(1).lower() in ("true", "yes")
        return ScanResult(ScanStatus.FOUND if found else ScanStatus.CLEAN, detail)
    return ScanResult.failed("spamd reply without a Spam header")


class SpamdClient:
    def __init__(
        self,
        address: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self._address = address
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._max_size = max_size

    def check_spam(self, raw: bytes) -> ScanResult:
        if len(raw) > self._max_size:
            return ScanResult(ScanStatus.SKIPPED, f"larger than {self._max_size} bytes")
        request = b"SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw)
        deadline = Deadline(self._timeout)
        try:
            with connect(self._address, deadline, self._connect_timeout) as sock:
                send_all(sock, request + raw, deadline)
                sock.shutdown(socket.SHUT_WR)  # the request is complete
                reply = read_until_closed(sock, deadline, _MAX_REPLY)
        except (OSError, ValueError) as error:
            # OSError covers refused, reset and timed out (TimeoutError is one).
            log.warning("spamd at %s: %s", self._address, error)
            return ScanResult.failed(f"spamd at {self._address}: {error}")
        return parse_spamd_reply(reply)
