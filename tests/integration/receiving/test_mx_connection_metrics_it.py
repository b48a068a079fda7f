"""The MX, running on loopback, publishes its real count of open connections as EMF records."""

from __future__ import annotations

import pytest

from sesame.adapters.receiving_wiring import make_acceptance, make_mx_policy
from sesame.smtp.mx import MxServer
from tests.integration.receiving.conftest import World
from tests.support.emf_records import EmfRecords, assert_records_follow_connections

pytestmark = pytest.mark.integration


def test_the_mx_reports_its_open_connections(world: World) -> None:
    records = EmfRecords()
    server = MxServer(
        host="127.0.0.1",
        port=0,
        policy=make_mx_policy(world.settings, world.aws, identities=world.services.identities),
        acceptance=make_acceptance(world.settings, world.aws),
        tls_context=None,
        host_name="mx.sesame.test",
        metrics_interval=0.1,
        metrics_write=records.write,
    )
    server.start()
    try:
        assert_records_follow_connections(records, server.port, "mx")
    finally:
        server.stop()
