"""Outbound delivery fixtures: a real DNS server and real SMTP servers (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dns_server import DnsTestServer
from tests.support.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


@pytest.fixture
def dns(dns_server: DnsTestServer) -> Iterator[DnsTestServer]:
    dns_server.clear()
    yield dns_server
    dns_server.clear()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


@pytest.fixture
def clear_sink() -> Iterator[SmtpSink]:
    """A server that does not offer STARTTLS."""
    with SmtpSink(starttls=False) as server:
        yield server
