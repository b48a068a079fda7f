"""The records SES makes of a received message: trace fields, the mail object, action objects and
the delivery status notification of a bounce."""

from __future__ import annotations

import email
import email.policy

from sesame.domain.receiving.bounce_dsn import BouncedRecipient, build_bounce_dsn
from sesame.domain.receiving.inbound import InboundEnvelope
from sesame.domain.receiving.receipt_records import action_object, compose, mail_object, trace_fields
from sesame.domain.receiving.rule_model import InvocationType, LambdaAction, S3Action

RAW = (
    b"From: Ann <ann@outside.test>\r\nTo: Bob <bob@example.com>, carl@example.com\r\n"
    b"Cc: dee@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHi.\r\n"
)


def envelope(**changes: object) -> InboundEnvelope:
    fields: dict[str, object] = {
        "message_id": "abc123",
        "received_at": 1_700_000_000.5,
        "mail_from": "ann@outside.test",
        "helo": "mail.outside.test",
        "remote_ip": "198.51.100.7",
        "tls": False,
        "object_key": "inbound/abc123",
        "size": len(RAW),
    }
    fields.update(changes)
    return InboundEnvelope(**fields)  # type: ignore[arg-type]


def test_trace_fields_name_the_client_and_cannot_be_used_to_inject_fields() -> None:
    fields = trace_fields(
        envelope(helo="evil\r\nX-Injected: yes", tls=True), ["bob@example.com"], mail_host_name="mx.test"
    )
    stored = email.message_from_bytes(compose(RAW, fields), policy=email.policy.default)

    assert stored["Return-Path"] == "<ann@outside.test>"
    assert stored["X-Injected"] is None
    received = str(stored["Received"])
    assert "[198.51.100.7]" in received and "with ESMTPS id abc123 for bob@example.com;" in received


def test_the_mail_object_lists_header_recipients_and_decoded_common_headers() -> None:
    mail = mail_object(RAW, envelope(), ["bob@example.com"])

    assert mail["timestamp"] == "2023-11-14T22:13:20.500Z"
    assert mail["source"] == "ann@outside.test"
    assert mail["destination"] == ["bob@example.com", "carl@example.com", "dee@example.org"]
    assert mail["commonHeaders"]["subject"] == "Grüße"
    assert mail["headersTruncated"] is False
    assert mail["headers"][0] == {"name": "From", "value": "Ann <ann@outside.test>"}


def test_action_objects_have_ses_field_names() -> None:
    assert action_object(S3Action("b", "in/", topic_arn="t"), object_key="in/abc") == {
        "type": "S3",
        "topicArn": "t",
        "bucketName": "b",
        "objectKeyPrefix": "in/",
        "objectKey": "in/abc",
    }
    assert action_object(LambdaAction("arn:f", InvocationType.REQUEST_RESPONSE)) == {
        "type": "Lambda",
        "functionArn": "arn:f",
        "invocationType": "RequestResponse",
    }


def test_a_bounce_dsn_is_a_delivery_status_report_with_the_original_headers() -> None:
    dsn = build_bounce_dsn(
        sender="daemon@example.com",
        to_address="ann@outside.test",
        explanation="No such user here.",
        reporting_mta="dns; mx.example.com",
        arrival=1_700_000_000.0,
        at=1_700_000_060.0,
        recipients=[
            BouncedRecipient(
                "bob@example.com", "5.1.1", diagnostic_code="smtp; 550 5.1.1 unknown", remote_mta="mx2"
            )
        ],
        original_message=RAW,
        report_id="r1",
        mail_host_name="mx.test",
        extension_fields=[("X-Trace", "t1")],
    )
    report = email.message_from_bytes(dsn, policy=email.policy.default)

    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    text, status, headers = report.iter_parts()
    assert text.get_content().strip() == "No such user here."
    status_text = status.as_bytes().decode()
    for line in (
        "Reporting-MTA: dns; mx.example.com",
        "X-Trace: t1",
        "Final-Recipient: rfc822; bob@example.com",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx2",
        "Diagnostic-Code: smtp; 550 5.1.1 unknown",
    ):
        assert line in status_text
    assert headers.get_content_type() == "text/rfc822-headers"
    assert b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=" in headers.as_bytes()
