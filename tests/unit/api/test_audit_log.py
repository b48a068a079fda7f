"""Every management call leaves one JSON line on the `sesame.audit` logger; sends leave none."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from sesame.api.app import ApiApp
from sesame.api.audit import AUDIT_LOGGER_NAME
from sesame.protocol.http import HttpRequest
from sesame.settings import Settings
from tests.unit.identities.fakes import make_world
from tests.unit.protocol.protocol_helpers import ACCESS_KEY, SECRET_KEY, client_request, sign, to_http

ACCOUNT = "111111111111"


class OneKeyAccounts:
    """The accounts port as the API uses it: one active access key."""

    def credentials_for(self, access_key_id: str) -> tuple[str, str] | None:
        return (ACCOUNT, SECRET_KEY) if access_key_id == ACCESS_KEY else None

    def secret_for(self, access_key_id: str) -> str | None:
        found = self.credentials_for(access_key_id)
        return None if found is None else found[1]


@dataclass
class ApiServices:
    settings: Settings
    accounts: OneKeyAccounts
    identities: Any


@pytest.fixture
def app() -> ApiApp:
    world = make_world()
    return ApiApp(ApiServices(world.settings, OneKeyAccounts(), world.service))  # type: ignore[arg-type]


def _call(app: ApiApp, service: str, operation: str, params: dict[str, Any], **signing: str) -> None:
    request = to_http(sign(client_request(service, operation, params), **signing))
    app.handle(
        HttpRequest(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
            source_ip="198.51.100.7",
        )
    )


def _records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER_NAME]


def test_a_successful_management_call_is_recorded_with_the_caller_and_the_request(
    app: ApiApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER_NAME)
    _call(app, "sesv2", "CreateEmailIdentity", {"EmailIdentity": "audited.example"})
    (record,) = _records(caplog)
    assert record["operation"] == "CreateEmailIdentity"
    assert record["outcome"] == "success"
    assert record["apiVersion"] == "2019-09-27"
    assert record["accountId"] == ACCOUNT and record["accessKeyId"] == ACCESS_KEY
    assert record["sourceIp"] == "198.51.100.7"
    assert record["requestId"]
    assert record["eventTime"].endswith("Z") and record["eventTime"][:2] == "20"


def test_a_failed_call_is_recorded_with_the_error_code_of_its_api_version(
    app: ApiApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER_NAME)
    _call(app, "sesv2", "GetEmailIdentity", {"EmailIdentity": "missing.example"})
    _call(app, "ses", "ListIdentities", {})
    missing, listed = _records(caplog)
    assert (missing["operation"], missing["outcome"]) == ("GetEmailIdentity", "NotFoundException")
    assert (listed["operation"], listed["apiVersion"], listed["outcome"]) == (
        "ListIdentities",
        "2010-12-01",
        "success",
    )


def test_a_call_refused_at_authentication_is_recorded_without_an_account(
    app: ApiApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER_NAME)
    _call(app, "ses", "DeleteIdentity", {"Identity": "a.example"}, secret_key="wrong")
    (record,) = _records(caplog)
    assert record["operation"] == "DeleteIdentity"
    assert record["outcome"] == "SignatureDoesNotMatch"
    assert record["accountId"] is None and record["accessKeyId"] is None


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "ses",
            "SendEmail",
            {
                "Source": "a@example.com",
                "Destination": {"ToAddresses": ["b@example.com"]},
                "Message": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
            },
        ),
        ("ses", "SendRawEmail", {"RawMessage": {"Data": b"Subject: s\r\n\r\nb"}}),
        (
            "sesv2",
            "SendEmail",
            {"Content": {"Raw": {"Data": b"Subject: s\r\n\r\nb"}}, "FromEmailAddress": "a@example.com"},
        ),
        (
            "ses",
            "SendBounce",
            {
                "OriginalMessageId": "m",
                "BounceSender": "a@example.com",
                "BouncedRecipientInfoList": [{"Recipient": "b@example.com"}],
            },
        ),
    ],
)
def test_sends_are_not_management_events_and_are_not_recorded(
    app: ApiApp, caplog: pytest.LogCaptureFixture, service: str, operation: str, params: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER_NAME)
    # A wrong secret: refused before any sending code runs, and still not audited.
    _call(app, service, operation, params, secret_key="wrong")
    assert _records(caplog) == []
