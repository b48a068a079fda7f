"""What the spamd and clamd clients share: parsing HOST:PORT and one TCP exchange with a deadline."""

from __future__ import annotations

import socket
import time


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` (an IPv6 host in brackets) as (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port)


class Deadline:
    """One budget for a whole exchange: every socket operation gets what is left of it."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the scanner did not answer in time")
        return left

    def apply(self, sock: socket.socket) -> None:
        sock.settimeout(self.remaining())


def connect(address: str, deadline: Deadline, connect_timeout: float) -> socket.socket:
    host, port = split_address(address)
    return socket.create_connection((host, port), timeout=min(connect_timeout, deadline.remaining()))


def send_all(sock: socket.socket, data: bytes | memoryview, deadline: Deadline, chunk: int = 65536) -> None:
    view = memoryview(data)
    for start in range(0, len(view), chunk):
        deadline.apply(sock)
        sock.sendall(view[start : start + chunk])


def read_until_closed(sock: socket.socket, deadline: Deadline, limit: int) -> bytes:
    """Everything the peer sends until it closes (at most ``limit`` bytes)."""
    received = bytearray()
    while len(received) < limit:
        deadline.apply(sock)
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return bytes(received)
