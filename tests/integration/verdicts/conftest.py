"""Receipt verdict fixtures: a DNS server on loopback that the verdicts resolve through, and the
real scanners (clamd with the shipped test signatures, spamd with the packaged rules), each
started once for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sesame.adapters.mail_auth_dns import DnsPythonMailAuth
from tests.support.dns_server import DnsTestServer
from tests.support.scanners import ClamdDaemon, SpamdDaemon


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsTestServer]:
    with DnsTestServer() as server:
        yield server


@pytest.fixture
def dns(dns_server: DnsTestServer) -> Iterator[DnsPythonMailAuth]:
    dns_server.clear()
    yield DnsPythonMailAuth(dns_server.address, timeout=1.0)
    dns_server.clear()


@pytest.fixture(scope="session")
def clamd() -> Iterator[ClamdDaemon]:
    with ClamdDaemon() as daemon:
        yield daemon


@pytest.fixture(scope="session")
def spamd() -> Iterator[SpamdDaemon]:
    with SpamdDaemon() as daemon:
        yield daemon
