"""The open-connections metric: EMF documents CloudWatch Logs can turn into Sesame/OpenConnections,
written on a real event loop every interval, and off unless a tier's settings turn it on."""

from __future__ import annotations

import asyncio
import json

import pytest

from sesame.emf import emf_record
from sesame.smtp.connection_metrics import ConnectionMetrics, open_connections_record
from sesame.smtp.egress import EgressSettings
from sesame.smtp.mx_settings import MxSettings
from sesame.smtp.settings import SmtpSettings


def test_an_emf_record_names_its_metrics_and_dimensions_in_the_aws_metadata() -> None:
    record = emf_record(
        namespace="Sesame",
        dimensions={"Tier": "mx"},
        values={"OpenConnections": 7, "Sessions": 3},
        unit="Count",
        timestamp_ms=1_700_000_000_123,
    )
    parsed = json.loads(json.dumps(record))
    assert parsed["_aws"] == {
        "Timestamp": 1_700_000_000_123,
        "CloudWatchMetrics": [
            {
                "Namespace": "Sesame",
                "Dimensions": [["Tier"]],
                "Metrics": [
                    {"Name": "OpenConnections", "Unit": "Count"},
                    {"Name": "Sessions", "Unit": "Count"},
                ],
            }
        ],
    }
    # Every name the metadata refers to is a root member holding its value.
    assert (parsed["Tier"], parsed["OpenConnections"], parsed["Sessions"]) == ("mx", 7, 3)


def test_the_open_connections_record_carries_the_tier_and_the_count() -> None:
    record = open_connections_record("submission", 42, 1_000)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Sesame"
    assert directive["Dimensions"] == [["Tier"]]
    assert directive["Metrics"] == [{"Name": "OpenConnections", "Unit": "Count"}]
    assert (record["Tier"], record["OpenConnections"], record["_aws"]["Timestamp"]) == (
        "submission",
        42,
        1_000,
    )


def _run(metrics: ConnectionMetrics, seconds: float) -> None:
    async def scenario() -> None:
        metrics.start()
        await asyncio.sleep(seconds)
        await metrics.stop()
        # Nothing is written once stopped.
        await asyncio.sleep(seconds)

    asyncio.run(scenario())


def test_the_publisher_writes_at_start_then_every_interval_until_stopped() -> None:
    counts = iter(range(100))
    lines: list[str] = []
    metrics = ConnectionMetrics(
        tier="egress",
        interval=0.05,
        open_connections=lambda: next(counts),
        write=lines.append,
        clock=lambda: 12.5,
    )
    _run(metrics, 0.28)
    records = [json.loads(line) for line in lines]
    assert 4 <= len(records) <= 7
    assert [r["OpenConnections"] for r in records] == list(range(len(records)))
    assert {r["Tier"] for r in records} == {"egress"}
    assert {r["_aws"]["Timestamp"] for r in records} == {12_500}
    assert all("\n" not in line for line in lines)


def test_an_interval_of_zero_writes_nothing() -> None:
    lines: list[str] = []
    _run(ConnectionMetrics(tier="mx", interval=0, open_connections=lambda: 5, write=lines.append), 0.1)
    assert lines == []


def test_a_writer_that_fails_does_not_stop_publishing() -> None:
    calls: list[int] = []

    def flaky(line: str) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("stdout closed")

    _run(ConnectionMetrics(tier="mx", interval=0.05, open_connections=lambda: 1, write=flaky), 0.2)
    assert len(calls) >= 3


@pytest.mark.parametrize(
    ("settings", "tier"),
    [(SmtpSettings(), "submission"), (MxSettings(), "mx"), (EgressSettings(), "egress")],
    ids=["submission", "mx", "egress"],
)
def test_every_tier_publishes_nothing_unless_its_settings_say_so(
    settings: SmtpSettings | MxSettings | EgressSettings, tier: str
) -> None:
    assert settings.metrics_interval == 0
    assert settings.metrics_tier == tier


def test_each_tier_reads_its_interval_and_tier_name_from_its_own_variables() -> None:
    smtp = SmtpSettings.from_environment(
        {"SESAME_SMTP_METRICS_INTERVAL": "60", "SESAME_SMTP_METRICS_TIER": "submission-eu"}
    )
    mx = MxSettings.from_environment({"SESAME_MX_METRICS_INTERVAL": "30", "SESAME_MX_METRICS_TIER": "mx-eu"})
    egress = EgressSettings.from_environment(
        {"SESAME_EGRESS_METRICS_INTERVAL": "15", "SESAME_EGRESS_METRICS_TIER": "egress-bulk"}
    )
    assert (smtp.metrics_interval, smtp.metrics_tier) == (60.0, "submission-eu")
    assert (mx.metrics_interval, mx.metrics_tier) == (30.0, "mx-eu")
    assert (egress.metrics_interval, egress.metrics_tier) == (15.0, "egress-bulk")
