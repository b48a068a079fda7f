"""Event, notification and feedback-report unit tests: pure code and fakes, no network."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests talk to fakes only: any attempt at the network fails loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests must not open network connections")

    for method in ("connect", "connect_ex", "bind", "sendto"):
        monkeypatch.setattr(socket.socket, method, refuse)
