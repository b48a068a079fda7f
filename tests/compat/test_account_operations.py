"""Account, quota, statistics and suppression-list operations through real boto3 `ses` and
`sesv2` clients against `sesame local`: shapes, values and ClientError codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.local_process import LocalProcess, start_local

REGION = "us-east-1"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProcess]:
    process = start_local("--max-send-rate", "3", "--max-24-hour-send", "150")
    try:
        yield process
    finally:
        process.stop()


def client(local: LocalProcess, service: str, key_id: str | None = None, secret: str | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=local.api_url,
        region_name=REGION,
        aws_access_key_id=key_id or local.access_key_id,
        aws_secret_access_key=secret or local.secret_access_key,
    )


def admin(local: LocalProcess, *argv: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "sesame.cli", "admin", "--endpoint", local.aws_url, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.fixture(scope="module")
def other_account(local: LocalProcess) -> tuple[str, Any, Any]:
    """A second account with its own key: (account id, ses client, sesv2 client)."""
    account_id = admin(local, "create-account")["account_id"]
    key = admin(local, "create-access-key", "--account-id", account_id)
    key_id, secret = key["access_key_id"], key["secret_access_key"]
    return account_id, client(local, "ses", key_id, secret), client(local, "sesv2", key_id, secret)


def test_send_quota_and_account_read_the_same_limits(local: LocalProcess) -> None:
    quota = client(local, "ses").get_send_quota()
    assert (quota["Max24HourSend"], quota["MaxSendRate"], quota["SentLast24Hours"]) == (150.0, 3.0, 0.0)
    account = client(local, "sesv2").get_account()
    assert account["SendQuota"] == {"Max24HourSend": 150.0, "MaxSendRate": 3.0, "SentLast24Hours": 0.0}
    assert account["SendingEnabled"] is True
    assert account["ProductionAccessEnabled"] is False
    assert account["EnforcementStatus"] == "HEALTHY"
    assert account["DedicatedIpAutoWarmupEnabled"] is False
    assert sorted(account["SuppressionAttributes"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
    assert "Details" not in account


def test_send_statistics_of_an_account_without_sends_is_an_empty_list(local: LocalProcess) -> None:
    answer = client(local, "ses").get_send_statistics()
    assert answer["SendDataPoints"] == []
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_sending_can_be_switched_off_and_on_through_either_api(local: LocalProcess, other_account) -> None:
    _, ses, sesv2 = other_account
    ses.update_account_sending_enabled(Enabled=False)
    assert ses.get_account_sending_enabled()["Enabled"] is False
    assert sesv2.get_account()["SendingEnabled"] is False
    sesv2.put_account_sending_attributes(SendingEnabled=True)
    assert ses.get_account_sending_enabled()["Enabled"] is True


def test_account_details_record_a_production_request_that_the_operator_grants(
    local: LocalProcess, other_account
) -> None:
    account_id, _, sesv2 = other_account
    sesv2.put_account_details(
        MailType="TRANSACTIONAL",
        WebsiteURL="https://example.com",
        ContactLanguage="EN",
        UseCaseDescription="Receipts and password resets.",
        AdditionalContactEmailAddresses=["ops@example.com"],
        ProductionAccessEnabled=True,
    )
    account = sesv2.get_account()
    assert account["ProductionAccessEnabled"] is False
    assert account["Details"] == {
        "MailType": "TRANSACTIONAL",
        "WebsiteURL": "https://example.com",
        "ContactLanguage": "EN",
        "UseCaseDescription": "Receipts and password resets.",
        "AdditionalContactEmailAddresses": ["ops@example.com"],
        "ReviewDetails": {"Status": "PENDING"},
    }
    code, status, _ = error_of(
        sesv2.put_account_details, MailType="MARKETING", WebsiteURL="https://example.com"
    )
    assert (code, status) == ("ConflictException", 409)
    admin(local, "grant-production", "--account-id", account_id)
    account = sesv2.get_account()
    assert account["ProductionAccessEnabled"] is True
    assert account["Details"]["ReviewDetails"] == {"Status": "GRANTED"}
    assert account["SendQuota"]["MaxSendRate"] == 14.0


def test_an_unknown_mail_type_is_a_bad_request_from_the_service(local: LocalProcess) -> None:
    # The SDK would refuse the value itself; with its validation off, the service must.
    unchecked = boto3.client(
        "sesv2",
        endpoint_url=local.api_url,
        region_name=REGION,
        aws_access_key_id=local.access_key_id,
        aws_secret_access_key=local.secret_access_key,
        config=Config(parameter_validation=False),
    )
    code, status, _ = error_of(
        unchecked.put_account_details, MailType="SPAM", WebsiteURL="https://example.com"
    )
    assert (code, status) == ("BadRequestException", 400)


def test_suppression_attributes_are_the_accounts_own(local: LocalProcess, other_account) -> None:
    _, _, other = other_account
    other.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    assert other.get_account()["SuppressionAttributes"] == {"SuppressedReasons": ["COMPLAINT"]}
    other.put_account_suppression_attributes(SuppressedReasons=[])
    assert other.get_account()["SuppressionAttributes"] == {"SuppressedReasons": []}
    mine = client(local, "sesv2").get_account()["SuppressionAttributes"]["SuppressedReasons"]
    assert sorted(mine) == ["BOUNCE", "COMPLAINT"]


def test_suppressed_destinations_round_trip(local: LocalProcess) -> None:
    sesv2 = client(local, "sesv2")
    before = datetime.now(tz=UTC) - timedelta(seconds=1)
    sesv2.put_suppressed_destination(EmailAddress="Ann@Example.COM", Reason="BOUNCE")
    found = sesv2.get_suppressed_destination(EmailAddress="Ann@example.com")["SuppressedDestination"]
    assert found["EmailAddress"] == "Ann@example.com" and found["Reason"] == "BOUNCE"
    assert before <= found["LastUpdateTime"] <= datetime.now(tz=UTC) + timedelta(seconds=1)
    sesv2.put_suppressed_destination(EmailAddress="Ann@example.com", Reason="COMPLAINT")
    found = sesv2.get_suppressed_destination(EmailAddress="Ann@EXAMPLE.com")["SuppressedDestination"]
    assert found["Reason"] == "COMPLAINT"
    sesv2.delete_suppressed_destination(EmailAddress="Ann@example.com")
    code, status, message = error_of(sesv2.get_suppressed_destination, EmailAddress="Ann@example.com")
    assert (code, status) == ("NotFoundException", 404) and "Ann@example.com" in message
    code, status, _ = error_of(sesv2.delete_suppressed_destination, EmailAddress="Ann@example.com")
    assert (code, status) == ("NotFoundException", 404)


def test_an_invalid_address_cannot_be_suppressed(local: LocalProcess) -> None:
    code, status, message = error_of(
        client(local, "sesv2").put_suppressed_destination, EmailAddress="not-an-address", Reason="BOUNCE"
    )
    assert (code, status) == ("BadRequestException", 400)
    assert "not-an-address" in message


def test_listing_filters_and_pages(local: LocalProcess) -> None:
    sesv2 = client(local, "sesv2")
    for i in range(5):
        sesv2.put_suppressed_destination(
            EmailAddress=f"list{i}@example.net", Reason="BOUNCE" if i % 2 == 0 else "COMPLAINT"
        )
    bounces = sesv2.list_suppressed_destinations(Reasons=["BOUNCE"])["SuppressedDestinationSummaries"]
    listed = [s["EmailAddress"] for s in bounces if s["EmailAddress"].startswith("list")]
    assert listed == ["list0@example.net", "list2@example.net", "list4@example.net"]
    assert set(bounces[0]) == {"EmailAddress", "Reason", "LastUpdateTime"}
    paginator_pages = []
    answer = sesv2.list_suppressed_destinations(PageSize=2, Reasons=["BOUNCE", "COMPLAINT"])
    paginator_pages.append(answer["SuppressedDestinationSummaries"])
    while "NextToken" in answer:
        answer = sesv2.list_suppressed_destinations(PageSize=2, NextToken=answer["NextToken"])
        paginator_pages.append(answer["SuppressedDestinationSummaries"])
    assert all(len(page) <= 2 for page in paginator_pages)
    everything = [s["EmailAddress"] for page in paginator_pages for s in page]
    assert [a for a in everything if a.startswith("list")] == [f"list{i}@example.net" for i in range(5)]
    future = datetime.now(tz=UTC) + timedelta(hours=1)
    assert sesv2.list_suppressed_destinations(StartDate=future)["SuppressedDestinationSummaries"] == []
    past = datetime.now(tz=UTC) - timedelta(hours=1)
    assert sesv2.list_suppressed_destinations(EndDate=past)["SuppressedDestinationSummaries"] == []
    code, status, _ = error_of(sesv2.list_suppressed_destinations, NextToken="not-a-token")
    assert (code, status) == ("InvalidNextTokenException", 400)


def test_a_tenant_that_does_not_exist_is_not_found(local: LocalProcess) -> None:
    code, status, _ = error_of(
        client(local, "sesv2").put_suppressed_destination,
        EmailAddress="ann@example.com",
        Reason="BOUNCE",
        TenantName="tenant-a",
    )
    assert (code, status) == ("NotFoundException", 404)


def test_one_account_never_sees_anothers_suppression_list(local: LocalProcess, other_account) -> None:
    _, _, other = other_account
    mine = client(local, "sesv2")
    mine.put_suppressed_destination(EmailAddress="private@example.org", Reason="BOUNCE")
    code, _, _ = error_of(other.get_suppressed_destination, EmailAddress="private@example.org")
    assert code == "NotFoundException"
    code, _, _ = error_of(other.delete_suppressed_destination, EmailAddress="private@example.org")
    assert code == "NotFoundException"
    listed = other.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert "private@example.org" not in [s["EmailAddress"] for s in listed]
    other.put_suppressed_destination(EmailAddress="private@example.org", Reason="COMPLAINT")
    assert (
        mine.get_suppressed_destination(EmailAddress="private@example.org")["SuppressedDestination"]["Reason"]
        == "BOUNCE"
    )
