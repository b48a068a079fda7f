"""The submission server and the egress relay, running on loopback, publish their real count of
open connections as EMF records while they run, and nothing with the settings local mode uses."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from sesame.adapters.mx_resolver import MxResolver
from sesame.adapters.smtp_transport import DirectMxTransport, SmtpOptions
from sesame.smtp.egress import EgressRelay, EgressSettings
from sesame.smtp.server import build_submission_server
from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls import local_context
from tests.integration.smtp.conftest import World
from tests.support.emf_records import EmfRecords, assert_records_follow_connections, open_clients
from tests.support.running_relay import RunningRelay

pytestmark = pytest.mark.integration

INTERVAL = 0.1


def test_the_submission_server_reports_its_open_connections_until_it_stops(world: World) -> None:
    # Given a submission server publishing every 0.1 s
    records = EmfRecords()
    settings = SmtpSettings(host="127.0.0.1", submission_port=0, smtps_port=0, metrics_interval=INTERVAL)
    tls, _ = local_context("127.0.0.1", "smtp.sesame.test")
    server = build_submission_server(world.services, settings, tls, metrics_write=records.write)
    server.start()
    try:
        # When three clients connect, then leave: Then the records report 3, then 0
        assert_records_follow_connections(records, server.submission_port, "submission")
    finally:
        server.stop()
    # And nothing is written once the server has stopped
    written = len(records.all())
    time.sleep(3 * INTERVAL)
    assert len(records.all()) == written


def test_a_submission_server_with_default_settings_publishes_nothing(world: World) -> None:
    records = EmfRecords()
    settings = SmtpSettings(host="127.0.0.1", submission_port=0, smtps_port=0)
    tls, _ = local_context("127.0.0.1", "smtp.sesame.test")
    server = build_submission_server(world.services, settings, tls, metrics_write=records.write)
    server.start()
    try:
        with ExitStack() as clients:
            open_clients(server.submission_port, 2, clients)
            time.sleep(0.3)
    finally:
        server.stop()
    assert records.all() == []


def test_the_egress_relay_reports_its_open_connections_under_its_pool_tier() -> None:
    records = EmfRecords()
    settings = EgressSettings(
        host="127.0.0.1", port=0, threads=2, metrics_interval=INTERVAL, metrics_tier="egress-bulk"
    )
    # No mail is relayed here: the transport is never used.
    transport = DirectMxTransport(MxResolver("127.0.0.1:9"), SmtpOptions(helo_name="egress.sesame.test"))
    relay = EgressRelay(settings, transport, "egress.sesame.test", metrics_write=records.write)
    with RunningRelay(relay) as running:
        assert_records_follow_connections(records, running.port, "egress-bulk")
