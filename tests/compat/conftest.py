"""The world of a compat module: a DNS server on loopback and one `sesame local` that resolves
through it, checking pending identities twice a second. One of each per module, so a module's
tests share a process (and use names of their own) while modules never see each other's state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.compat_clients import close_clients
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess, start_local
from tests.support.smtp_sink import SmtpSink

CHECK_INTERVAL = "0.5"


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    """A real SMTP server on loopback (STARTTLS offered) for modules that relay mail to it."""
    with SmtpSink() as server:
        yield server


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer) -> Iterator[LocalProcess]:
    process = start_local("--dns", dns_server.address, "--check-interval", CHECK_INTERVAL)
    try:
        yield process
    finally:
        close_clients()
        code = process.stop()
        assert code == 0, "sesame local did not exit cleanly:\n" + "".join(process.output[-40:])
