"""Each API call becomes Powertools metrics (EMF) under its operation; names a caller makes up do
not become dimensions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Metrics

from sesame.adapters.api_metrics import ApiCallMetrics
from sesame.api.app import ApiApp
from tests.unit.api.test_audit_log import ApiServices, OneKeyAccounts, _call
from tests.unit.identities.fakes import make_world


@pytest.fixture
def observed() -> tuple[ApiApp, list[tuple[str | None, str]]]:
    calls: list[tuple[str | None, str]] = []
    world = make_world()
    services = ApiServices(world.settings, OneKeyAccounts(), world.service)
    app = ApiApp(services, observe=lambda operation, outcome: calls.append((operation, outcome)))  # type: ignore[arg-type]
    return app, calls


def test_every_call_is_observed_with_its_operation_and_outcome(
    observed: tuple[ApiApp, list[tuple[str | None, str]]],
) -> None:
    app, calls = observed
    _call(app, "sesv2", "CreateEmailIdentity", {"EmailIdentity": "observed.example"})
    _call(app, "sesv2", "GetEmailIdentity", {"EmailIdentity": "nowhere.example"})
    _call(app, "sesv2", "CreateEmailIdentity", {"EmailIdentity": "x.example"}, secret_key="wrong")
    assert calls == [
        ("CreateEmailIdentity", "success"),
        ("GetEmailIdentity", "NotFoundException"),
        ("CreateEmailIdentity", "InvalidSignatureException"),
    ]


def test_an_operation_sesame_does_not_serve_is_observed_without_its_name(
    observed: tuple[ApiApp, list[tuple[str | None, str]]],
) -> None:
    app, calls = observed
    _call(app, "ses", "ListConfigurationSets", {})
    assert calls == [(None, "InvalidAction")]


def _flushed(metrics: Metrics, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    metrics.flush_metrics()
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    record: dict[str, Any] = json.loads(line)
    return record


@pytest.mark.parametrize(
    ("operation", "outcome", "dimension", "counted"),
    [
        ("SendEmail", "success", "SendEmail", {"ApiRequests"}),
        ("SendEmail", "MessageRejected", "SendEmail", {"ApiRequests", "ApiErrors"}),
        (
            "GetAccount",
            "InternalServiceErrorException",
            "GetAccount",
            {"ApiRequests", "ApiErrors", "ApiInternalFailures"},
        ),
        (
            "SendRawEmail",
            "InternalFailure",
            "SendRawEmail",
            {"ApiRequests", "ApiErrors", "ApiInternalFailures"},
        ),
        (None, "InvalidAction", "Other", {"ApiRequests", "ApiErrors"}),
    ],
)
def test_a_call_becomes_counts_under_its_operation(
    capsys: pytest.CaptureFixture[str], operation: str | None, outcome: str, dimension: str, counted: set[str]
) -> None:
    metrics = Metrics(namespace="Sesame", service="sesame")
    ApiCallMetrics(metrics)(operation, outcome)
    record = _flushed(metrics, capsys)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Sesame"
    assert "Operation" in directive["Dimensions"][0]
    assert record["Operation"] == dimension
    assert {metric["Name"] for metric in directive["Metrics"]} == counted
    assert all(record[name] == [1.0] or record[name] == 1.0 for name in counted)
