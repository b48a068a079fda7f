"""Receiving through a running `sesame local`, as a sending server and a user see it: smtplib
against the MX port, receipt rules made with boto3 ``ses``, and what the actions produced read
back from the embedded AWS (S3 objects, decrypted with KMS; SNS notifications through an SQS
subscription; the receipt table), from a Lambda stand-in over HTTP, and from the relay sink."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.support.compat_clients import aws_client, close_clients, sdk_client, wait_for
from tests.support.dns_server import DnsTestServer
from tests.support.function_endpoint import FunctionEndpoint
from tests.support.local_process import LocalProcess, start_local
from tests.support.smtp_sink import SmtpSink

DOMAIN = "inbound.test"
ACCOUNT = "000000000001"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
RULE_SET = "inbound"


@pytest.fixture(scope="module")
def functions() -> Iterator[FunctionEndpoint]:
    with FunctionEndpoint() as endpoint:
        endpoint.answer("/stop-rule", {"disposition": "STOP_RULE"})
        endpoint.answer("/stop-rule-set", {"disposition": "STOP_RULE_SET"})
        endpoint.answer("/continue", {"disposition": "CONTINUE"})
        yield endpoint


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer, sink: SmtpSink, functions: FunctionEndpoint) -> Iterator[LocalProcess]:
    process = start_local(
        "--dns", dns_server.address,
        "--check-interval", "0.5",
        "--relay", sink.address,
        "--retry-base", "1",
        # Loopback is on the built-in block list here, so every test's mail gets in only
        # through the account's Allow filter.
        "--receiving-block-list", "127.0.0.0/8",
        *(
            arg
            for name in ("stop-rule", "stop-rule-set", "continue", "event")
            for arg in ("--lambda-function", f"{FUNCTION}{name}={functions.url('/' + name)}")
        ),
    )  # fmt: skip
    try:
        yield process
    finally:
        close_clients()
        code = process.stop()
        assert code == 0, "sesame local did not exit cleanly:\n" + "".join(process.output[-60:])


@pytest.fixture(scope="module")
def ses(local: LocalProcess) -> Any:
    return sdk_client(local, "ses")


@pytest.fixture(scope="module")
def receiving(local: LocalProcess, ses: Any, dns_server: DnsTestServer) -> None:
    """The domain verified, loopback allowed, and an active rule set (rules added per test)."""
    token = ses.verify_domain_identity(Domain=DOMAIN)["VerificationToken"]
    dns_server.set(f"_amazonses.{DOMAIN}", "TXT", token)
    wait_for(
        lambda: ses.get_identity_verification_attributes(Identities=[DOMAIN])["VerificationAttributes"],
        lambda found: found.get(DOMAIN, {}).get("VerificationStatus") == "Success",
    )
    ses.create_receipt_filter(
        Filter={"Name": "loopback", "IpFilter": {"Policy": "Allow", "Cidr": "127.0.0.1"}}
    )
    ses.create_receipt_rule_set(RuleSetName=RULE_SET)
    ses.set_active_receipt_rule_set(RuleSetName=RULE_SET)


class Notifications:
    """An SQS queue on the embedded AWS subscribed to a new SNS topic."""

    def __init__(self, local: LocalProcess, name: str) -> None:
        sns, self._sqs = aws_client(local, "sns"), aws_client(local, "sqs")
        self.topic = sns.create_topic(Name=name)["TopicArn"]
        self._url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        self.seen: list[dict[str, Any]] = []

    def wait(self, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        def poll() -> list[dict[str, Any]]:
            for m in self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                self.seen.append(json.loads(m["Body"]))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=m["ReceiptHandle"])
            return self.seen

        return wait_for(poll, lambda seen: len(seen) >= count, timeout=timeout)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def mx(local: LocalProcess) -> tuple[str, int]:
    host, _, port = local.ready["mx"].rpartition(":")
    return host, int(port)


def message(to: str, subject: str = "Hello", body: str = "Hello there.") -> bytes:
    return (
        f"From: Sender <sender@outside.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@outside.test>\r\n\r\n{body}\r\n"
    ).encode()


def deliver(local: LocalProcess, recipients: list[str], raw: bytes, *, tls: bool = False) -> str:
    """Send ``raw`` to the MX; the message id from the 250 reply."""
    with smtplib.SMTP(*mx(local), timeout=30) as client:
        client.ehlo("sender.outside.test")
        if tls:
            client.starttls(context=ssl._create_unverified_context())
            client.ehlo("sender.outside.test")
        client.mail("sender@outside.test")
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            assert code == 250, (recipient, code, reply)
        code, reply = client.data(raw)
        assert code == 250, reply
        return reply.decode().split()[-1]


def add_rule(ses: Any, rule: dict[str, Any], after: str | None = None) -> None:
    params: dict[str, Any] = {"RuleSetName": RULE_SET, "Rule": {"Enabled": True, **rule}}
    if after:
        params["After"] = after
    ses.create_receipt_rule(**params)


def bucket(local: LocalProcess) -> str:
    name = unique("mail")
    aws_client(local, "s3").create_bucket(Bucket=name)
    return name


def object_body(local: LocalProcess, bucket_name: str, key: str, timeout: float = 30.0) -> dict[str, Any]:
    s3 = aws_client(local, "s3")

    def fetch() -> dict[str, Any] | None:
        try:
            return dict(s3.get_object(Bucket=bucket_name, Key=key))
        except ClientError:
            return None

    found = wait_for(fetch, lambda answer: answer is not None, timeout=timeout)
    assert found is not None
    found["Data"] = found["Body"].read()
    return found


def processed(local: LocalProcess, message_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The message's progress record once every action of the account ran."""
    ddb = aws_client(local, "dynamodb")
    return wait_for(
        lambda: ddb.get_item(
            TableName="sesame-receipts", Key={"message_id": {"S": message_id}, "account_id": {"S": ACCOUNT}}
        ).get("Item", {}),
        lambda item: item.get("finished", {}).get("BOOL") is True,
        timeout=timeout,
    )


def test_the_mx_offers_starttls_size_8bitmime_smtputf8_and_pipelining(
    local: LocalProcess, receiving: None
) -> None:
    with smtplib.SMTP(*mx(local), timeout=30) as client:
        code, _ = client.ehlo("sender.outside.test")
        assert code == 250
        for extension in ("starttls", "8bitmime", "smtputf8", "pipelining"):
            assert client.has_extn(extension), extension
        assert client.esmtp_features["size"] == str(40 * 1024 * 1024)
        assert not client.has_extn("auth")


def test_mail_is_stored_encrypted_and_decrypts_byte_for_byte_to_the_plain_copy(
    local: LocalProcess, ses: Any, receiving: None
) -> None:
    # Given a rule storing each message twice, plainly and encrypted client-side with a KMS key,
    # notifying a topic after the encrypted copy
    kms = aws_client(local, "kms")
    key_arn = kms.create_key(Description="inbound mail")["KeyMetadata"]["Arn"]
    store = bucket(local)
    notes = Notifications(local, unique("stored"))
    recipient = f"{unique('kms')}@{DOMAIN}"
    add_rule(
        ses,
        {
            "Name": unique("store"),
            "Recipients": [recipient],
            "Actions": [
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": "plain/"}},
                {
                    "S3Action": {
                        "BucketName": store,
                        "ObjectKeyPrefix": "sealed/",
                        "KmsKeyArn": key_arn,
                        "TopicArn": notes.topic,
                    }
                },
            ],
        },
    )
    raw = message(recipient, body="Secret contents \u2713")

    # When a message arrives
    message_id = deliver(local, [recipient], raw)

    # Then the encrypted object decrypts (KMS Decrypt of x-amz-key-v2 under the material
    # description, then AES-GCM) to exactly the plain copy, which ends with what was sent
    sealed = object_body(local, store, f"sealed/{message_id}")
    plain = object_body(local, store, f"plain/{message_id}")["Data"]
    meta = sealed["Metadata"]
    assert meta["x-amz-cek-alg"] == "AES/GCM/NoPadding"
    assert meta["x-amz-wrap-alg"] == "kms"
    assert meta["x-amz-tag-len"] == "128"
    context = json.loads(meta["x-amz-matdesc"])
    assert context == {
        "aws:ses:message-id": message_id,
        "aws:ses:rule-name": context["aws:ses:rule-name"],
        "aws:ses:source-account": ACCOUNT,
        "kms_cmk_id": key_arn,
    }
    data_key = kms.decrypt(CiphertextBlob=base64.b64decode(meta["x-amz-key-v2"]), EncryptionContext=context)[
        "Plaintext"
    ]
    decrypted = AESGCM(data_key).decrypt(base64.b64decode(meta["x-amz-iv"]), sealed["Data"], None)
    assert decrypted == plain
    assert plain.endswith(raw)
    assert meta["x-amz-unencrypted-content-length"] == str(len(plain))
    stored = email.message_from_bytes(plain, policy=email.policy.default)
    assert stored["Return-Path"] == "<sender@outside.test>"
    assert message_id in stored["Received"]
    assert stored["X-SES-Spam-Verdict"] and stored["X-SES-Virus-Verdict"] and stored["X-SES-RECEIPT"]
    # And the notification names the object, the recipient and the verdicts
    (note,) = notes.wait()
    assert note["notificationType"] == "Received"
    assert "content" not in note
    assert note["mail"]["messageId"] == message_id
    assert note["mail"]["source"] == "sender@outside.test"
    assert note["mail"]["destination"] == [recipient]
    assert note["mail"]["commonHeaders"]["subject"] == "Hello"
    receipt = note["receipt"]
    assert receipt["recipients"] == [recipient]
    assert receipt["action"] == {
        "type": "S3",
        "topicArn": notes.topic,
        "bucketName": store,
        "objectKeyPrefix": "sealed/",
        "objectKey": f"sealed/{message_id}",
    }
    for verdict in ("spamVerdict", "virusVerdict", "spfVerdict", "dkimVerdict", "dmarcVerdict"):
        assert receipt[verdict]["status"] in {"PASS", "FAIL", "GRAY", "PROCESSING_FAILED"}
    assert isinstance(receipt["processingTimeMillis"], int)


def test_recipients_no_rule_matches_are_refused(local: LocalProcess, receiving: None) -> None:
    with smtplib.SMTP(*mx(local), timeout=30) as client:
        client.ehlo("sender.outside.test")
        client.mail("sender@outside.test")
        code, reply = client.rcpt(f"nobody@{unique('unverified')}.test")
        assert (code, reply) == (550, b"5.1.1 Mailbox does not exist")
        code, _ = client.rcpt(f"{unique('no-rule')}@{DOMAIN}")
        assert code == 550


def test_an_address_blocked_by_the_built_in_list_gets_in_only_while_the_account_allows_it(
    local: LocalProcess, ses: Any, receiving: None
) -> None:
    ses.delete_receipt_filter(FilterName="loopback")
    try:
        with smtplib.SMTP(timeout=30) as client:
            code, reply = client.connect(*mx(local))
        assert (code, reply) == (554, b"5.7.1 Access denied")
    finally:
        ses.create_receipt_filter(
            Filter={"Name": "loopback", "IpFilter": {"Policy": "Allow", "Cidr": "127.0.0.1"}}
        )
    with smtplib.SMTP(timeout=30) as client:
        code, _ = client.connect(*mx(local))
    assert code == 220


def test_rules_run_in_order_and_added_headers_reach_later_actions(
    local: LocalProcess, ses: Any, receiving: None, functions: FunctionEndpoint
) -> None:
    store = bucket(local)
    # A subdomain of the verified domain, all of it taken by the first rule below.
    subdomain = f"{unique('order')}.{DOMAIN}"
    recipient = f"someone@{subdomain}"
    first, second = unique("first"), unique("second")
    add_rule(
        ses,
        {
            "Name": second,
            "Recipients": [recipient],
            "Actions": [
                {"LambdaAction": {"FunctionArn": f"{FUNCTION}event", "InvocationType": "Event"}},
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": "second/"}},
            ],
        },
    )
    add_rule(
        ses,
        {
            "Name": first,
            "Recipients": [subdomain],  # the whole (sub)domain
            "Actions": [
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": "before/"}},
                {"AddHeaderAction": {"HeaderName": "X-Sorted-By", "HeaderValue": first}},
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": "after/"}},
            ],
        },
    )  # no After: the domain rule goes first

    message_id = deliver(local, [recipient], message(recipient))
    processed(local, message_id)

    before = object_body(local, store, f"before/{message_id}")["Data"]
    after = object_body(local, store, f"after/{message_id}")["Data"]
    later = object_body(local, store, f"second/{message_id}")["Data"]
    assert b"X-Sorted-By" not in before
    assert f"X-Sorted-By: {first}\r\n".encode() in after
    assert later == after
    event = wait_for(lambda: functions.events("/event"), bool)[-1]
    record = event["Records"][0]
    assert record["eventSource"] == "aws:ses"
    assert record["ses"]["mail"]["messageId"] == message_id
    assert record["ses"]["receipt"]["action"] == {
        "type": "Lambda",
        "functionArn": f"{FUNCTION}event",
        "invocationType": "Event",
    }
    assert {"name": "X-Sorted-By", "value": first} in record["ses"]["mail"]["headers"]


def test_stop_ends_the_rule_set(local: LocalProcess, ses: Any, receiving: None) -> None:
    store = bucket(local)
    notes = Notifications(local, unique("stop"))
    recipient = f"{unique('stop')}@{DOMAIN}"
    stopper = unique("stopper")
    add_rule(
        ses,
        {
            "Name": stopper,
            "Recipients": [recipient],
            "Actions": [
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": "kept/"}},
                {"StopAction": {"Scope": "RuleSet", "TopicArn": notes.topic}},
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": "same-rule/"}},
            ],
        },
    )
    add_rule(
        ses,
        {
            "Name": unique("later"),
            "Recipients": [recipient],
            "Actions": [{"S3Action": {"BucketName": store}}],
        },
        after=stopper,
    )

    message_id = deliver(local, [recipient], message(recipient))
    processed(local, message_id)

    keys = [o["Key"] for o in aws_client(local, "s3").list_objects_v2(Bucket=store).get("Contents", [])]
    assert [key for key in keys if message_id in key] == [f"kept/{message_id}"]
    (note,) = notes.wait()
    assert note["receipt"]["action"] == {"type": "Stop", "topicArn": notes.topic}


def test_a_lambda_decides_whether_the_rule_or_the_rule_set_goes_on(
    local: LocalProcess, ses: Any, receiving: None, functions: FunctionEndpoint
) -> None:
    store = bucket(local)
    recipient = f"{unique('lambda')}@{DOMAIN}"
    names = [unique("stop-rule"), unique("continue"), unique("stop-rule-set"), unique("never")]

    def rule(name: str, function: str, prefix: str) -> dict[str, Any]:
        return {
            "Name": name,
            "Recipients": [recipient],
            "Actions": [
                {
                    "LambdaAction": {
                        "FunctionArn": f"{FUNCTION}{function}",
                        "InvocationType": "RequestResponse",
                    }
                },
                {"S3Action": {"BucketName": store, "ObjectKeyPrefix": prefix}},
            ],
        }

    add_rule(ses, rule(names[3], "continue", "never/"))
    add_rule(ses, rule(names[2], "stop-rule-set", "after-stop-rule-set/"))
    add_rule(ses, rule(names[1], "continue", "after-continue/"))
    add_rule(ses, rule(names[0], "stop-rule", "after-stop-rule/"))

    message_id = deliver(local, [recipient], message(recipient))
    processed(local, message_id)

    stored = {
        o["Key"]
        for o in aws_client(local, "s3").list_objects_v2(Bucket=store).get("Contents", [])
        if message_id in o["Key"]
    }
    assert stored == {f"after-continue/{message_id}"}
    invoked = [
        path
        for path, event in functions.calls
        if event["Records"][0]["ses"]["mail"]["messageId"] == message_id
    ]
    assert invoked == ["/stop-rule", "/continue", "/stop-rule-set"]


def test_a_rule_requiring_tls_refuses_mail_in_clear_and_takes_it_over_starttls(
    local: LocalProcess, ses: Any, receiving: None
) -> None:
    store = bucket(local)
    recipient = f"{unique('secure')}@{DOMAIN}"
    add_rule(
        ses,
        {
            "Name": unique("tls"),
            "TlsPolicy": "Require",
            "Recipients": [recipient],
            "Actions": [{"S3Action": {"BucketName": store}}],
        },
    )
    with smtplib.SMTP(*mx(local), timeout=30) as client:
        client.ehlo("sender.outside.test")
        client.mail("sender@outside.test")
        assert client.rcpt(recipient) == (530, b"5.7.0 Must issue a STARTTLS command first")

    message_id = deliver(local, [recipient], message(recipient), tls=True)

    stored = object_body(local, store, message_id)["Data"]
    assert b" with ESMTPS id " + message_id.encode() in stored


def test_an_sns_action_carries_the_message_in_utf8_or_base64(
    local: LocalProcess, ses: Any, receiving: None
) -> None:
    notes = Notifications(local, unique("content"))
    recipient = f"{unique('sns')}@{DOMAIN}"
    add_rule(
        ses,
        {
            "Name": unique("sns"),
            "Recipients": [recipient],
            "Actions": [
                {"SNSAction": {"TopicArn": notes.topic, "Encoding": "UTF-8"}},
                {"SNSAction": {"TopicArn": notes.topic, "Encoding": "Base64"}},
            ],
        },
    )
    raw = message(recipient, body="Gr\u00fc\u00dfe")

    message_id = deliver(local, [recipient], raw)

    utf8, b64 = notes.wait(2)
    assert utf8["receipt"]["action"] == {"type": "SNS", "topicArn": notes.topic, "encoding": "UTF8"}
    assert b64["receipt"]["action"]["encoding"] == "BASE64"
    assert utf8["mail"]["messageId"] == b64["mail"]["messageId"] == message_id
    assert base64.b64decode(b64["content"]).decode() == utf8["content"]
    assert utf8["content"].endswith(raw.decode())


def test_a_bounce_action_and_send_bounce_mail_a_dsn_to_the_sender(
    local: LocalProcess, ses: Any, receiving: None, sink: SmtpSink
) -> None:
    recipient = f"{unique('gone')}@{DOMAIN}"
    add_rule(
        ses,
        {
            "Name": unique("bounce"),
            "Recipients": [recipient],
            "Actions": [
                {
                    "BounceAction": {
                        "SmtpReplyCode": "550",
                        "StatusCode": "5.1.1",
                        "Message": "Mailbox does not exist",
                        "Sender": f"mailer-daemon@{DOMAIN}",
                    }
                }
            ],
        },
    )

    message_id = deliver(local, [recipient], message(recipient))

    def dsns() -> list[Any]:
        return [
            m
            for m in sink.messages
            if b"report-type=delivery-status" in m.data and recipient.encode() in m.data
        ]

    (dsn,) = wait_for(dsns, bool)
    assert dsn.mail_from == "<>"
    assert dsn.recipients == ("sender@outside.test",)
    report = email.message_from_bytes(dsn.data, policy=email.policy.default)
    assert report["From"] == f"mailer-daemon@{DOMAIN}"
    status = next(p for p in report.walk() if p.get_content_type() == "message/delivery-status")
    text = status.as_bytes().decode()
    assert "Status: 5.1.1" in text
    assert "Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist" in text

    # SendBounce for the same message, from a verified identity of the account
    bounce_id = ses.send_bounce(
        OriginalMessageId=message_id,
        BounceSender=f"postmaster@{DOMAIN}",
        Explanation="We do not take mail for this address.",
        BouncedRecipientInfoList=[{"Recipient": recipient, "BounceType": "DoesNotExist"}],
    )["MessageId"]
    assert bounce_id
    (sent,) = wait_for(lambda: [m for m in dsns() if b"postmaster@" + DOMAIN.encode() in m.data], bool)
    assert b"We do not take mail for this address." in sent.data
    with pytest.raises(ClientError) as refused:
        ses.send_bounce(
            OriginalMessageId="no-such-message",
            BounceSender=f"postmaster@{DOMAIN}",
            BouncedRecipientInfoList=[{"Recipient": recipient, "BounceType": "DoesNotExist"}],
        )
    assert refused.value.response["Error"]["Code"] == "MessageRejected"


def test_a_failing_s3_action_is_retried_until_it_succeeds_and_counted(
    local: LocalProcess, ses: Any, receiving: None
) -> None:
    s3 = aws_client(local, "s3")
    store = bucket(local)
    recipient = f"{unique('retry')}@{DOMAIN}"
    rule_name = unique("retry")
    add_rule(
        ses,
        {"Name": rule_name, "Recipients": [recipient], "Actions": [{"S3Action": {"BucketName": store}}]},
    )
    s3.delete_object(Bucket=store, Key="AMAZON_SES_SETUP_NOTIFICATION")
    s3.delete_bucket(Bucket=store)  # gone after the rule was made: the action fails

    raw = message(recipient)
    message_id = deliver(local, [recipient], raw)

    cloudwatch = aws_client(local, "cloudwatch")
    wait_for(
        lambda: cloudwatch.list_metrics(Namespace="Sesame", MetricName="PublishFailure")["Metrics"],
        lambda metrics: any({"Name": "RuleName", "Value": rule_name} in m["Dimensions"] for m in metrics),
    )
    s3.create_bucket(Bucket=store)
    assert object_body(local, store, message_id)["Data"].endswith(raw)
    assert processed(local, message_id)["finished"] == {"BOOL": True}
