"""Fixtures of the identity unit tests: a service on fakes of every port."""

from __future__ import annotations

import socket

import pytest

from tests.unit.identities.fakes import World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def txt_world() -> World:
    """No managed signing zone: customers publish the DKIM keys as TXT records themselves."""
    return make_world(zone=None)


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests talk to fakes only: any attempt at the network fails loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests must not open network connections")

    for method in ("connect", "connect_ex", "bind", "sendto"):
        monkeypatch.setattr(socket.socket, method, refuse)
