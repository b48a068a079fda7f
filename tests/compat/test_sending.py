"""Sending through a running `sesame local`, relayed to a real SMTP sink, observed as a user can:
the message at the sink (DKIM-verified against the DNS the test serves), the events on the
embedded AWS's event topic, the quota and the suppression list through the API."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from typing import Any

import dkim
import dns.resolver
import pytest
from botocore.exceptions import ClientError

from tests.support.compat_clients import (
    aws_client,
    client_error,
    running_local,
    sdk_client,
    sesame_admin,
    wait_for,
)
from tests.support.dns_server import DnsTestServer
from tests.support.event_stream import EventReader, subscribe_events
from tests.support.local_process import LocalProcess
from tests.support.signing_zone import publish_dkim_cnames, serve_signing_zone
from tests.support.smtp_sink import SmtpSink

SENDER_DOMAIN = "sender.test"
RECIPIENT_DOMAIN = "inbox.test"


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer, sink: SmtpSink) -> Iterator[LocalProcess]:
    with running_local(
        "--dns", dns_server.address,
        "--check-interval", "0.5",
        "--relay", sink.address,
        "--retry-base", "0.5",
        "--max-send-rate", "40",
        "--max-24-hour-send", "1000",
    ) as process:  # fmt: skip
        yield process


@pytest.fixture(scope="module")
def events(local: LocalProcess) -> EventReader:
    return subscribe_events(local, "test-events")


@pytest.fixture(scope="module")
def verified(local: LocalProcess, dns_server: DnsTestServer) -> dict[str, Any]:
    """The sender domain verified with Easy DKIM, the recipient domain with its TXT token."""
    v1, v2 = sdk_client(local, "ses"), sdk_client(local, "sesv2")
    created = v2.create_email_identity(EmailIdentity=SENDER_DOMAIN)
    zone = created["DkimAttributes"]["SigningHostedZone"]
    serve_signing_zone(dns_server, aws_client(local, "route53"), zone)
    publish_dkim_cnames(dns_server, SENDER_DOMAIN, created["DkimAttributes"]["Tokens"], zone)
    token = v1.verify_domain_identity(Domain=RECIPIENT_DOMAIN)["VerificationToken"]
    dns_server.set(f"_amazonses.{RECIPIENT_DOMAIN}", "TXT", token)
    for domain in (SENDER_DOMAIN, RECIPIENT_DOMAIN):
        wait_for(
            lambda d=domain: v2.get_email_identity(EmailIdentity=d),
            lambda answer: answer["VerifiedForSendingStatus"],
        )
    wait_for(
        lambda: v2.get_email_identity(EmailIdentity=SENDER_DOMAIN)["DkimAttributes"]["Status"],
        lambda status: status == "SUCCESS",
    )
    return {"tokens": created["DkimAttributes"]["Tokens"]}


def _dns_txt(dns_server: DnsTestServer):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns_server.host]
    resolver.port = dns_server.port

    def lookup(name: bytes, timeout: float = 5) -> bytes:
        answer = resolver.resolve(name.decode().rstrip("."), "TXT")
        return b"".join(b"".join(r.strings) for r in answer)

    return lookup


def _received_by(sink: SmtpSink, recipient: str, timeout: float = 60.0):
    return wait_for(
        lambda: [m for m in sink.messages if recipient in m.recipients],
        bool,
        timeout=timeout,
    )


def test_v2_simple_send_reaches_the_recipient_signed_with_a_key_that_verifies_in_dns(
    local: LocalProcess, dns_server: DnsTestServer, sink: SmtpSink, verified: dict[str, Any], events
) -> None:
    v2 = sdk_client(local, "sesv2")
    answer = v2.send_email(
        FromEmailAddress=f"Alerts <alerts@{SENDER_DOMAIN}>",
        Destination={"ToAddresses": [f"ann@{RECIPIENT_DOMAIN}"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Grüße"},
                "Body": {"Text": {"Data": "hello"}, "Html": {"Data": "<p>hello</p>"}},
            }
        },
        EmailTags=[{"Name": "campaign", "Value": "welcome"}],
    )
    message_id = answer["MessageId"]
    (received,) = _received_by(sink, f"ann@{RECIPIENT_DOMAIN}")
    assert received.mail_from == f"{message_id}@sesame.localhost"
    assert received.tls, "STARTTLS was offered, so delivery must use it"
    assert received.data.startswith(b"DKIM-Signature:")
    assert f"d={SENDER_DOMAIN}".encode() in received.data.split(b"\r\n\r\n")[0]
    assert dkim.verify(received.data, dnsfunc=_dns_txt(dns_server))
    assert f"<{message_id}@".encode() in received.data

    (send,) = events.for_message(message_id, "Send")
    assert send["mail"]["tags"]["campaign"] == ["welcome"]
    (delivery,) = events.for_message(message_id, "Delivery")
    assert delivery["delivery"]["recipients"] == [f"ann@{RECIPIENT_DOMAIN}"]
    assert delivery["delivery"]["smtpResponse"].startswith("250")


def test_v1_raw_send_takes_recipients_from_the_headers_and_removes_ses_headers(
    local: LocalProcess, sink: SmtpSink, verified: dict[str, Any], events
) -> None:
    v1 = sdk_client(local, "ses")
    raw = (
        f"From: ops@{SENDER_DOMAIN}\r\nTo: bob@{RECIPIENT_DOMAIN}\r\nBcc: carol@{RECIPIENT_DOMAIN}\r\n"
        "Subject: raw\r\nX-SES-MESSAGE-TAGS: team=ops\r\n\r\nbody\r\n"
    ).encode()
    message_id = v1.send_raw_email(RawMessage={"Data": raw})["MessageId"]
    (to_bob,) = _received_by(sink, f"bob@{RECIPIENT_DOMAIN}")
    assert f"carol@{RECIPIENT_DOMAIN}" in to_bob.recipients
    headers = to_bob.data.split(b"\r\n\r\n")[0].lower()
    assert b"x-ses-message-tags" not in headers and b"\r\nbcc:" not in headers
    (send,) = events.for_message(message_id, "Send")
    assert send["mail"]["tags"]["team"] == ["ops"]


def test_the_mailbox_simulator_answers_without_the_network(
    local: LocalProcess, sink: SmtpSink, verified: dict[str, Any], events
) -> None:
    v2 = sdk_client(local, "sesv2")

    def send(to: str) -> str:
        return v2.send_email(
            FromEmailAddress=f"sim@{SENDER_DOMAIN}",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        )["MessageId"]

    delivered = send("success+one@simulator.amazonses.com")
    bounced = send("bounce@simulator.amazonses.com")
    complained = send("complaint@simulator.amazonses.com")
    out_of_office = send("ooto@simulator.amazonses.com")
    assert events.for_message(delivered, "Delivery")
    (bounce,) = events.for_message(bounced, "Bounce")
    assert bounce["bounce"]["bounceType"] == "Permanent"
    assert bounce["bounce"]["bouncedRecipients"][0]["status"] == "5.1.1"
    assert events.for_message(complained, "Complaint")
    assert events.for_message(out_of_office, "Delivery")
    assert not [m for m in sink.messages for r in m.recipients if r.endswith("@simulator.amazonses.com")]
    # Feedback forwarding is on (no topics set): the bounce and the complaint come back to the
    # sender as reports, and ooto@ answers with an auto-reply, all from the null reverse-path.
    wait_for(lambda: _received_by(sink, f"sim@{SENDER_DOMAIN}"), lambda found: len(found) == 3)
    replies = _received_by(sink, f"sim@{SENDER_DOMAIN}")
    assert {m.mail_from for m in replies} == {"<>"}
    assert sum(b"report-type=delivery-status" in m.data for m in replies) == 1
    assert sum(b"report-type=feedback-report" in m.data for m in replies) == 1
    assert sum(b"Subject: Out of the office" in m.data for m in replies) == 1
    suppressed = v2.get_suppressed_destination(EmailAddress="bounce@simulator.amazonses.com")
    assert suppressed["SuppressedDestination"]["Reason"] == "BOUNCE"


def test_a_suppressed_recipient_is_accepted_but_bounced_not_delivered(
    local: LocalProcess, sink: SmtpSink, verified: dict[str, Any], events
) -> None:
    v2 = sdk_client(local, "sesv2")
    address = f"gone@{RECIPIENT_DOMAIN}"
    v2.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    message_id = v2.send_email(
        FromEmailAddress=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [address]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )["MessageId"]
    (bounce,) = events.for_message(message_id, "Bounce")
    assert bounce["bounce"]["bounceSubType"] == "OnAccountSuppressionList"
    assert not [m for m in sink.messages if address in m.recipients]


def test_a_deferral_is_retried_and_a_permanent_failure_bounces_and_suppresses(
    local: LocalProcess, sink: SmtpSink, verified: dict[str, Any], events
) -> None:
    v2 = sdk_client(local, "sesv2")
    sink.reply_to_rcpt(f"nobody@{RECIPIENT_DOMAIN}", "550 5.1.1 no such user")
    # Deferred for this recipient alone (a one-shot reply to the next message could be taken by
    # another test's message still in flight), until the delay is reported.
    sink.reply_to_rcpt(f"later@{RECIPIENT_DOMAIN}", "451 4.3.0 try again later")
    later = v2.send_email(
        FromEmailAddress=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"later@{RECIPIENT_DOMAIN}"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )["MessageId"]
    (delay,) = events.for_message(later, "DeliveryDelay")
    assert delay["deliveryDelay"]["delayedRecipients"][0]["emailAddress"] == f"later@{RECIPIENT_DOMAIN}"
    sink.reply_to_rcpt(f"later@{RECIPIENT_DOMAIN}", "250 2.1.5 Ok")
    (delivery,) = events.for_message(later, "Delivery")
    assert delivery["delivery"]["recipients"] == [f"later@{RECIPIENT_DOMAIN}"]
    assert len([m for m in sink.messages if f"later@{RECIPIENT_DOMAIN}" in m.recipients]) == 1

    gone = v2.send_email(
        FromEmailAddress=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"nobody@{RECIPIENT_DOMAIN}"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
    )["MessageId"]
    (bounce,) = events.for_message(gone, "Bounce")
    assert bounce["bounce"]["bounceType"] == "Permanent"
    assert bounce["bounce"]["bounceSubType"] == "General" or bounce["bounce"]["bounceSubType"] == "NoEmail"
    listed = v2.get_suppressed_destination(EmailAddress=f"nobody@{RECIPIENT_DOMAIN}")
    assert listed["SuppressedDestination"]["Reason"] == "BOUNCE"


def test_sending_checks_fail_with_ses_codes_and_queue_nothing(
    local: LocalProcess, sink: SmtpSink, verified: dict[str, Any]
) -> None:
    v1, v2 = sdk_client(local, "ses"), sdk_client(local, "sesv2")
    content = {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}}
    before = len(sink.messages)

    unverified_source = client_error(
        v2.send_email,
        FromEmailAddress="someone@unverified.test",
        Destination={"ToAddresses": [f"x@{RECIPIENT_DOMAIN}"]},
        Content=content,
    )
    assert unverified_source.code == "MessageRejected" and unverified_source.status == 400
    assert "someone@unverified.test" in unverified_source.message

    sandboxed = client_error(
        v1.send_email,
        Source=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": ["stranger@elsewhere.test"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
    )
    assert sandboxed.code == "MessageRejected"
    assert "stranger@elsewhere.test" in sandboxed.message

    too_many = client_error(
        v2.send_email,
        FromEmailAddress=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"r{i}@{RECIPIENT_DOMAIN}" for i in range(51)]},
        Content=content,
    )
    assert too_many.code == "MessageRejected" and "50" in too_many.message

    bad_address = client_error(
        v2.send_email,
        FromEmailAddress=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": ["not-an-address"]},
        Content=content,
    )
    assert bad_address.code == "BadRequestException"

    raw_without_from = client_error(v1.send_raw_email, RawMessage={"Data": b"To: a@inbox.test\r\n\r\nx\r\n"})
    assert raw_without_from.code == "InvalidParameterValue"

    missing_set = client_error(
        v2.send_email,
        FromEmailAddress=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"x@{RECIPIENT_DOMAIN}"]},
        Content=content,
        ConfigurationSetName="nope",
    )
    assert missing_set.code == "NotFoundException" and missing_set.status == 404

    injected = client_error(
        v1.send_email,
        Source=f"ops@{SENDER_DOMAIN}",
        Destination={"ToAddresses": [f"x@{RECIPIENT_DOMAIN}"]},
        Message={"Subject": {"Data": "s\r\nBcc: victim@elsewhere.test"}, "Body": {"Text": {"Data": "b"}}},
    )
    assert injected.code == "InvalidParameterValue"
    assert len(sink.messages) == before


def test_the_quota_holds_under_concurrent_senders_and_shows_at_once(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    # An account of its own (production, a daily quota of 12), so other tests' sends do not count.
    account = sesame_admin(local, "create-account", "--production")["account_id"]
    key = sesame_admin(local, "create-access-key", "--account-id", account)
    sesame_admin(
        local, "set-quota", "--account-id", account, "--max-send-rate", "1000", "--max-24-hour-send", "12"
    )
    credentials = {"key_id": key["access_key_id"], "secret": key["secret_access_key"]}
    v1, v2 = sdk_client(local, "ses", **credentials), sdk_client(local, "sesv2", **credentials)
    token = v1.verify_domain_identity(Domain="quota.test")["VerificationToken"]
    dns_server.set("_amazonses.quota.test", "TXT", token)
    wait_for(
        lambda: v2.get_email_identity(EmailIdentity="quota.test"), lambda a: a["VerifiedForSendingStatus"]
    )

    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def send() -> None:
        client = sdk_client(local, "sesv2", **credentials)
        barrier.wait()
        try:
            # The simulator recipient counts toward the rate only; the other toward both.
            client.send_email(
                FromEmailAddress="ops@quota.test",
                Destination={"ToAddresses": ["success@simulator.amazonses.com", "x@quota.test"]},
                Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            )
            result = "ok"
        except ClientError as error:
            result = f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 12, outcomes
    refusals = {o for o in outcomes if o != "ok"}
    assert refusals == {"TooManyRequestsException: Daily message quota exceeded."}
    assert v2.get_account()["SendQuota"]["SentLast24Hours"] == 12
    assert v1.get_send_quota()["SentLast24Hours"] == 12


def test_the_aws_cli_sends_and_reads_the_quota(
    local: LocalProcess, sink: SmtpSink, verified: dict[str, Any]
) -> None:
    from tests.support.compat_clients import aws_cli

    sent = aws_cli(
        local, "sesv2", "send-email",
        "--from-email-address", f"cli@{SENDER_DOMAIN}",
        "--destination", f"ToAddresses=cli-reader@{RECIPIENT_DOMAIN}",
        "--content", "Simple={Subject={Data=From the CLI},Body={Text={Data=Hello}}}",
    )  # fmt: skip
    assert sent["MessageId"]
    (received,) = _received_by(sink, f"cli-reader@{RECIPIENT_DOMAIN}")
    assert b"Subject: From the CLI" in received.data
    quota = aws_cli(local, "ses", "get-send-quota")
    assert quota["SentLast24Hours"] >= 1


def test_bounce_notifications_go_to_the_identity_topic_in_ses_json(
    local: LocalProcess, verified: dict[str, Any]
) -> None:
    sns, sqs = aws_client(local, "sns"), aws_client(local, "sqs")
    topic = sns.create_topic(Name="bounces")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="bounce-notifications")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    v1 = sdk_client(local, "ses")
    v1.set_identity_notification_topic(Identity=SENDER_DOMAIN, NotificationType="Bounce", SnsTopic=topic)
    message_id = v1.send_email(
        Source=f"notify@{SENDER_DOMAIN}",
        Destination={"ToAddresses": ["bounce+topic@simulator.amazonses.com"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
    )["MessageId"]

    def notifications() -> list[dict[str, Any]]:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    (notification,) = wait_for(notifications, bool)
    assert notification["notificationType"] == "Bounce"
    assert notification["mail"]["messageId"] == message_id
    assert notification["mail"]["source"] == f"notify@{SENDER_DOMAIN}"
    assert (
        notification["bounce"]["bouncedRecipients"][0]["emailAddress"]
        == "bounce+topic@simulator.amazonses.com"
    )
    assert "tags" not in notification["mail"]
    v1.set_identity_notification_topic(Identity=SENDER_DOMAIN, NotificationType="Bounce")


def test_send_statistics_count_attempts_and_bounces(
    local: LocalProcess, verified: dict[str, Any], events
) -> None:
    v1 = sdk_client(local, "ses")

    def totals() -> tuple[int, int]:
        points = v1.get_send_statistics()["SendDataPoints"]
        return sum(p["DeliveryAttempts"] for p in points), sum(p["Bounces"] for p in points)

    attempts, bounces = totals()
    message_id = v1.send_email(
        Source=f"stats@{SENDER_DOMAIN}",
        Destination={"ToAddresses": ["bounce+stats@simulator.amazonses.com"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
    )["MessageId"]
    events.for_message(message_id, "Bounce")
    assert wait_for(totals, lambda t: t[1] > bounces)[0] > attempts


def test_address_verification_mail_goes_out_through_the_pipeline(local: LocalProcess, sink: SmtpSink) -> None:
    from tests.support.compat_clients import verification_link

    address = f"new-user@{RECIPIENT_DOMAIN}"
    sdk_client(local, "ses").verify_email_identity(EmailAddress=address)
    (mail,) = _received_by(sink, address)
    assert mail.mail_from == "<>"
    link = verification_link(local, address)
    body = email.message_from_bytes(mail.data, policy=email.policy.default).get_content()
    assert link in body
