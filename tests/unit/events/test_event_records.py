"""Event records and notifications against the examples in SES's developer guide, field by field.

Where Sesame knows more than an example shows, the difference is spelled out in the expectation:
the current guide lists ``sourceIp`` and ``callerIdentity`` in the event ``mail`` object (its
examples predate them), and SES's own ``ses:*`` tags appear on every event record.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from typing import Any

import pytest

from sesame.domain.sending.events import (
    Bounce,
    Complaint,
    DelayType,
    bounce_event,
    bounce_notification,
    complaint_event,
    complaint_notification,
    delay_type_for,
    delivery_delay_event,
    delivery_event,
    delivery_notification,
    diagnostic_code,
    enhanced_status,
    event_tags,
    feedback_id,
    new_feedback_id,
    reject_event,
    send_event,
    timestamp,
)
from sesame.domain.sending.model import (
    BounceSubType,
    BounceType,
    RecipientResult,
    ResultKind,
)
from tests.unit.events import documented as doc

REGION = "us-east-1"
CALLER = {"sourceIp": "192.0.2.0", "callerIdentity": "ses_user"}


def assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal as JSON, compared one field at a time so a failure names the field."""
    actual = json.loads(json.dumps(actual))
    for key in sorted(set(actual) | set(expected)):
        if isinstance(expected.get(key), dict) and isinstance(actual.get(key), dict):
            for inner in sorted(set(actual[key]) | set(expected[key])):
                assert actual[key].get(inner, "<absent>") == expected[key].get(inner, "<absent>"), (
                    f"{key}.{inner}"
                )
        else:
            assert actual.get(key, "<absent>") == expected.get(key, "<absent>"), key


def with_mail(record: dict[str, Any], **mail: Any) -> dict[str, Any]:
    return {**record, "mail": {**record["mail"], **mail}}


# --- event records ---------------------------------------------------------------------------------


def test_bounce_event_matches_the_documented_record() -> None:
    message = doc.event_message("2017-08-05T00:40:02.012Z", source="Sender Name <sender@example.com>")
    bounce = Bounce(
        bounce_type=BounceType.PERMANENT,
        bounce_subtype=BounceSubType.GENERAL,
        recipients=(
            RecipientResult(
                "recipient@example.com",
                ResultKind.BOUNCED,
                "550 5.1.1 user unknown",
                reporting_mta="mta.example.com",
            ),
        ),
        at=doc.epoch("2017-08-05T00:41:02.669Z"),
        feedback_id="01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
    )
    headers = doc.headers(doc.BOUNCE_EVENT_HEADERS, doc.EVENT_COMMON)
    record = bounce_event(message, bounce, region=REGION, headers=headers)
    assert_same(record, with_mail(doc.BOUNCE_EVENT, **CALLER))


def test_complaint_event_matches_the_documented_record() -> None:
    message = doc.event_message("2017-08-05T00:40:01.123Z", source="Sender Name <sender@example.com>")
    complaint = Complaint(
        recipients=("recipient@example.com",),
        at=doc.epoch("2017-08-05T00:41:02.669Z"),
        feedback_id="01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
        feedback_type="abuse",
        user_agent=doc.COMPLAINT_EVENT["complaint"]["userAgent"],
        arrival_date=doc.epoch("2017-08-05T00:41:02.669Z"),
    )
    record = complaint_event(message, complaint, region=REGION, headers=None)
    expected = with_mail(doc.COMPLAINT_EVENT, **CALLER)
    # complaintSubType is null unless the address was on the account's suppression list.
    expected["complaint"] = {**expected["complaint"], "complaintSubType": None}
    assert_same(record, expected)


def test_delivery_event_matches_the_documented_record() -> None:
    message = doc.event_message("2016-10-19T23:20:52.240Z", source="sender@example.com", tags=doc.CUSTOM_TAGS)
    result = RecipientResult(
        "recipient@example.com",
        ResultKind.DELIVERED,
        "250 2.6.0 Message received",
        reporting_mta="mta.example.com",
        processing_ms=11893,
    )
    headers = doc.headers(doc.DELIVERY_EVENT_HEADERS, doc.PLAIN_COMMON)
    record = delivery_event(
        message, [result], at=doc.epoch("2016-10-19T23:21:04.133Z"), region=REGION, headers=headers
    )
    assert_same(record, with_mail(doc.DELIVERY_EVENT, **CALLER))


def test_send_event_matches_the_documented_record() -> None:
    message = doc.event_message("2016-10-14T05:02:16.645Z", source="sender@example.com", tags=doc.CUSTOM_TAGS)
    headers = doc.headers(doc.SEND_EVENT_HEADERS, doc.PLAIN_COMMON)
    assert_same(send_event(message, region=REGION, headers=headers), with_mail(doc.SEND_EVENT, **CALLER))


def test_reject_event_matches_the_documented_record() -> None:
    message = doc.event_message(
        "2016-10-14T17:38:15.211Z",
        source="sender@example.com",
        tags=doc.CUSTOM_TAGS,
        destinations=("sender@example.com",),
    )
    headers = doc.headers(doc.REJECT_EVENT_HEADERS, doc.PLAIN_COMMON)
    assert_same(reject_event(message, region=REGION, headers=headers), with_mail(doc.REJECT_EVENT, **CALLER))


def test_delivery_delay_event_matches_the_documented_record() -> None:
    message = doc.event_message(
        "2020-06-16T00:15:40.641Z", source="sender@example.com", source_ip="", caller_identity=""
    )
    result = RecipientResult(
        "recipient@example.com", ResultKind.DEFERRED, "421 4.4.1 Unable to connect to remote host"
    )
    record = delivery_delay_event(
        message,
        [result],
        at=doc.epoch("2020-06-16T00:25:40.095Z"),
        expires_at=doc.epoch("2020-06-16T00:25:40.914Z"),
        region=REGION,
        headers=None,
        delay_type=DelayType.TRANSIENT_COMMUNICATION_FAILURE,
    )
    expected = with_mail(
        doc.DELIVERY_DELAY_EVENT,
        tags={"ses:configuration-set": ["ConfigSet"], "ses:from-domain": ["example.com"]},
    )
    assert_same(record, expected)


def test_every_event_record_carries_headers_truncated_and_tags() -> None:
    message = doc.event_message("2020-06-16T00:15:40.641Z", source="sender@example.com")
    record = send_event(message, region=REGION, headers=None)
    assert record["mail"]["headersTruncated"] is False
    assert "headers" not in record["mail"] and "commonHeaders" not in record["mail"]
    assert record["mail"]["tags"]["ses:configuration-set"] == ["ConfigSet"]


def test_truncated_headers_say_so() -> None:
    message = doc.event_message("2020-06-16T00:15:40.641Z", source="sender@example.com")
    headers = doc.headers([("Subject", "x")], {"subject": "x"})
    truncated = type(headers)(headers.headers, headers.common_headers, truncated=True)
    assert send_event(message, region=REGION, headers=truncated)["mail"]["headersTruncated"] is True


# --- notifications -----------------------------------------------------------------------------------


def test_bounce_notification_with_a_dsn_matches_the_documented_one() -> None:
    message = doc.notification_message(
        "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000", tuple(doc.THREE)
    )
    bounce = Bounce(
        BounceType.PERMANENT,
        BounceSubType.GENERAL,
        (
            RecipientResult(
                "jane@example.com",
                ResultKind.BOUNCED,
                "550 5.1.1 <jane@example.com>... User",
                remote_mta="127.0.2.0",
                reporting_mta="email.example.com",
            ),
        ),
        at=doc.epoch("2016-01-27T14:59:38.237Z"),
        feedback_id="00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000",
    )
    headers = doc.headers(doc.NOTIFICATION_HEADERS, doc.NOTIFICATION_COMMON)
    record = bounce_notification(message, bounce, region=REGION, headers=headers)
    assert_same(record, doc.BOUNCE_NOTIFICATION_WITH_DSN)


def test_complaint_notification_with_a_feedback_report_matches_the_documented_one() -> None:
    message = doc.notification_message(
        "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000", tuple(doc.THREE)
    )
    complaint = Complaint(
        recipients=("richard@example.com",),
        at=doc.epoch("2016-01-27T14:59:38.237Z"),
        feedback_id="000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
        feedback_type="abuse",
        user_agent="AnyCompany Feedback Loop (V0.01)",
        arrival_date=doc.epoch("2016-01-27T14:59:38.237Z"),
    )
    headers = doc.headers(doc.NOTIFICATION_HEADERS, doc.NOTIFICATION_COMMON)
    record = complaint_notification(message, complaint, region=REGION, headers=headers)
    expected = dict(doc.COMPLAINT_NOTIFICATION_WITH_REPORT)
    expected["complaint"] = {**expected["complaint"], "complaintSubType": None}
    assert_same(record, expected)


def test_delivery_notification_matches_the_documented_one() -> None:
    message = doc.notification_message(
        "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000", ("jane@example.com",)
    )
    result = RecipientResult(
        "jane@example.com",
        ResultKind.DELIVERED,
        "250 ok:  Message 64111812 accepted",
        remote_mta="127.0.2.0",
        reporting_mta="a8-70.smtp-out.amazonses.com",
        processing_ms=546,
    )
    headers = doc.headers(doc.DELIVERY_HEADERS, doc.DELIVERY_COMMON)
    record = delivery_notification(
        message, [result], at=doc.epoch("2016-01-27T14:59:38.237Z"), region=REGION, headers=headers
    )
    assert_same(record, doc.DELIVERY_NOTIFICATION)


def test_a_notification_without_headers_leaves_out_every_header_field_and_never_has_tags() -> None:
    message = doc.notification_message("m-1", ("jane@example.com",))
    result = RecipientResult("jane@example.com", ResultKind.DELIVERED, "250 ok")
    record = delivery_notification(message, [result], at=message.created_at, region=REGION, headers=None)
    assert set(record["mail"]) == {
        "timestamp",
        "messageId",
        "source",
        "sourceArn",
        "sourceIp",
        "sendingAccountId",
        "destination",
    }
    tagged = replace(message, tags={"a": ["b"]}, configuration_set="cs")
    headers = doc.headers([("Subject", "x")], {"subject": "x"})
    with_headers = delivery_notification(tagged, [result], at=0.0, region=REGION, headers=headers)
    assert "tags" not in with_headers["mail"] and with_headers["mail"]["headers"] == headers.headers


def test_source_arn_defaults_to_the_sending_identity() -> None:
    message = doc.notification_message("m-1", ("jane@example.com",))
    plain = replace(message, source_arn=None, account_id="111111111111")
    record = send_event(plain, region="eu-west-1", headers=None)
    assert record["mail"]["sourceArn"] == "arn:aws:ses:eu-west-1:111111111111:identity/example.com"


def test_records_are_plain_json() -> None:
    message = doc.event_message("2017-08-05T00:40:02.012Z", source="Zoë <zoe@example.com>")
    record = send_event(message, region=REGION, headers=None)
    assert json.loads(json.dumps(record)) == record


# --- the pieces ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (doc.epoch("2017-08-05T00:41:02.669Z"), "2017-08-05T00:41:02.669Z"),
        (1_500_000_000.9996, "2017-07-14T02:40:01.000Z"),
    ],
)
def test_timestamps_are_utc_with_milliseconds_and_z(epoch: float, text: str) -> None:
    assert timestamp(epoch) == text


def test_feedback_ids_have_ses_format_and_carry_the_time() -> None:
    unique = uuid.UUID("61b59c11-9236-11e6-8f96-7be8ae000000")
    made = feedback_id(doc.epoch("2016-10-19T23:20:52.240Z"), unique)
    assert made.startswith("0100") and made.endswith("-61b59c11-9236-11e6-8f96-7be8ae000000-000000")
    assert int(made[4:16], 16) == 1_476_919_252_240  # the time in milliseconds
    pattern = re.compile(
        r"^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$"
    )
    assert pattern.match(new_feedback_id(1_700_000_000.0))
    assert new_feedback_id(1.0) != new_feedback_id(1.0)


@pytest.mark.parametrize(
    ("reply", "status", "expected_status", "expected_code"),
    [
        ("550 5.1.1 user unknown", "", "5.1.1", "smtp; 550 5.1.1 user unknown"),
        ("550 no such user", "", "5.0.0", "smtp; 550 no such user"),
        ("552-5.2.2 mailbox full", "", "5.2.2", "smtp; 552-5.2.2 mailbox full"),
        ("554 5.7.1 rejected", "5.7.9", "5.7.9", "smtp; 554 5.7.1 rejected"),
        (
            "Sesame did not send to a suppressed address.",
            "5.1.1",
            "5.1.1",
            "Sesame did not send to a suppressed address.",
        ),
        ("", "", None, None),
    ],
)
def test_status_and_diagnostic_code_come_from_the_reply(
    reply: str, status: str, expected_status: str | None, expected_code: str | None
) -> None:
    result = RecipientResult("a@example.com", ResultKind.BOUNCED, reply, status=status)
    assert enhanced_status(result) == expected_status
    assert diagnostic_code(reply) == expected_code


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("", DelayType.TRANSIENT_COMMUNICATION_FAILURE),
        ("connection timed out", DelayType.TRANSIENT_COMMUNICATION_FAILURE),
        ("452 4.2.2 Mailbox full", DelayType.MAILBOX_FULL),
        ("451 4.7.1 Greylisted, try later", DelayType.RECIPIENT_SERVER_ERROR),
        ("421 Service not available", DelayType.RECIPIENT_SERVER_ERROR),
    ],
)
def test_deferrals_are_classified(reply: str, expected: DelayType) -> None:
    assert delay_type_for(RecipientResult("a@example.com", ResultKind.DEFERRED, reply)) is expected


def test_remote_mta_ip_appears_only_for_an_address() -> None:
    message = doc.notification_message("m-1", ("jane@example.com",))
    by_name = RecipientResult("jane@example.com", ResultKind.DELIVERED, "250 ok", remote_mta="mx.example.net")
    by_address = RecipientResult(
        "jane@example.com", ResultKind.DELIVERED, "250 ok", remote_mta="[2001:db8::1]"
    )
    assert (
        "remoteMtaIp"
        not in delivery_notification(message, [by_name], at=0, region=REGION, headers=None)["delivery"]
    )
    record = delivery_notification(message, [by_address], at=0, region=REGION, headers=None)
    assert record["delivery"]["remoteMtaIp"] == "2001:db8::1"


def test_event_tags_put_ses_tags_first_and_keep_custom_ones() -> None:
    message = doc.event_message(
        "2016-10-14T05:02:16.645Z", source='"Sender" <sender@mail.example.com>', tags={"campaign": ["spring"]}
    )
    assert event_tags(message) == {
        "ses:configuration-set": ["ConfigSet"],
        "ses:source-ip": ["192.0.2.0"],
        "ses:from-domain": ["mail.example.com"],
        "ses:caller-identity": ["ses_user"],
        "campaign": ["spring"],
    }


def test_a_bounce_needs_a_recipient() -> None:
    message = doc.notification_message("m-1", ("jane@example.com",))
    empty = Bounce(BounceType.PERMANENT, BounceSubType.GENERAL, (), at=0.0, feedback_id="f")
    with pytest.raises(ValueError):
        bounce_event(message, empty, region=REGION, headers=None)
