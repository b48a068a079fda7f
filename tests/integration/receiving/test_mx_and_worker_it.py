"""The MX on loopback and the receipt worker, wired by ``receiving_wiring`` to moto's DynamoDB,
S3, SQS, SNS, KMS and CloudWatch: several accounts on one server kept apart, SES's managed key
standing in, the ledger's lease, the task format, and SendBounce through boto3 ``ses``."""

from __future__ import annotations

import base64
import json
import smtplib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sesame.adapters.dynamodb_receipt_ledger import DynamoReceiptLedger
from sesame.adapters.receiving_wiring import (
    make_acceptance,
    make_mx_policy,
    make_receipt_processor,
    make_receipt_queue,
)
from sesame.domain.receiving.inbound import InboundEnvelope, ReceiptProgress, ReceiptTask
from sesame.domain.receiving.processor import ReceiptProcessor, TaskOutcome
from sesame.domain.receiving.rule_model import ReceiptRule, S3Action
from sesame.smtp.mx import MxServer
from tests.integration.receiving.conftest import A, B, World

pytestmark = pytest.mark.integration


@pytest.fixture
def mx(world: World) -> Iterator[MxServer]:
    server = MxServer(
        host="127.0.0.1",
        port=0,
        policy=make_mx_policy(world.settings, world.aws, identities=world.services.identities),
        acceptance=make_acceptance(world.settings, world.aws),
        tls_context=None,
        host_name="mx.sesame.test",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def processor(world: World) -> ReceiptProcessor:
    return make_receipt_processor(world.settings, world.aws, bounces=world.services.system_mail)


def drain(world: World) -> list[ReceiptTask]:
    """Process every queued receipt task once; the tasks, in the order they came."""
    sqs = world.aws.client("sqs")
    queue = make_receipt_queue(world.settings, world.aws)
    work = processor(world)
    tasks = []
    while True:
        answer = sqs.receive_message(QueueUrl=world.settings.receiving_queue_url, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return tasks
        for m in messages:
            task = queue.decode(m["Body"])
            tasks.append(task)
            assert work.process(task) is TaskOutcome.DONE
            sqs.delete_message(QueueUrl=world.settings.receiving_queue_url, ReceiptHandle=m["ReceiptHandle"])


def store_everything(world: World, account: str, bucket: str, **s3: Any) -> None:
    ses = world.ses(account)
    ses.create_receipt_rule_set(RuleSetName="set")
    ses.create_receipt_rule(
        RuleSetName="set",
        Rule={"Name": "store", "Enabled": True, "Actions": [{"S3Action": {"BucketName": bucket, **s3}}]},
    )
    ses.set_active_receipt_rule_set(RuleSetName="set")


def send(server: MxServer, recipients: list[str], raw: bytes) -> tuple[dict[str, tuple[int, bytes]], str]:
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as client:
        client.ehlo("sender.outside.test")
        client.mail("sender@outside.test")
        answers = {r: client.rcpt(r) for r in recipients}
        code, reply = client.data(raw) if any(c == 250 for c, _ in answers.values()) else (0, b"")
        return answers, reply.decode().split()[-1] if code == 250 else ""


RAW = b"From: sender@outside.test\r\nTo: x@a.example, y@b.example\r\nSubject: Both\r\n\r\nHi.\r\n"


def test_one_message_for_two_accounts_is_split_and_each_sees_only_its_recipients(
    world: World, mx: MxServer
) -> None:
    world.verify_domain(A, "a.example")
    world.verify_domain(B, "b.example")
    store_everything(world, A, world.bucket("bucket-a"))
    store_everything(world, B, world.bucket("bucket-b"))

    answers, message_id = send(mx, ["x@a.example", "y@b.example"], RAW)

    assert [code for code, _ in answers.values()] == [250, 250]
    tasks = drain(world)
    assert sorted((t.account_id, t.recipients) for t in tasks) == [
        (A, ("x@a.example",)),
        (B, ("y@b.example",)),
    ]
    s3 = world.aws.client("s3")
    copy_a = s3.get_object(Bucket="bucket-a", Key=message_id)["Body"].read()
    copy_b = s3.get_object(Bucket="bucket-b", Key=message_id)["Body"].read()
    assert b"for x@a.example;" in copy_a and b"y@b.example;" not in copy_a
    assert b"for y@b.example;" in copy_b and b"x@a.example;" not in copy_b
    assert copy_a.endswith(RAW) and copy_b.endswith(RAW)


def test_one_accounts_block_filter_does_not_keep_mail_from_another(world: World, mx: MxServer) -> None:
    world.verify_domain(A, "a.example")
    world.verify_domain(B, "b.example")
    store_everything(world, A, world.bucket("bucket-a"))
    store_everything(world, B, world.bucket("bucket-b"))
    world.ses(A).create_receipt_filter(
        Filter={"Name": "no", "IpFilter": {"Policy": "Block", "Cidr": "127.0.0.0/8"}}
    )

    answers, _ = send(mx, ["x@a.example", "y@b.example"], RAW)

    assert answers["x@a.example"][0] == 550
    assert answers["y@b.example"][0] == 250
    assert [t.account_id for t in drain(world)] == [B]


def test_an_account_cannot_take_mail_for_a_domain_it_has_not_verified(world: World, mx: MxServer) -> None:
    world.verify_domain(A, "a.example")
    ses_b = world.ses(B)
    ses_b.create_receipt_rule_set(RuleSetName="grab")
    ses_b.create_receipt_rule(
        RuleSetName="grab", Rule={"Name": "grab", "Enabled": True, "Recipients": ["a.example"]}
    )
    ses_b.set_active_receipt_rule_set(RuleSetName="grab")

    answers, _ = send(mx, ["x@a.example"], RAW)

    assert answers["x@a.example"] == (550, b"5.1.1 Mailbox does not exist")


def test_the_ses_managed_key_is_served_by_the_deployment_key_and_named_in_the_object(
    world: World, mx: MxServer
) -> None:
    world.verify_domain(A, "a.example")
    managed = f"arn:aws:kms:{world.settings.region}:{A}:alias/aws/ses"
    store_everything(world, A, world.bucket("sealed"), KmsKeyArn=managed)

    _, message_id = send(mx, ["x@a.example"], RAW)
    drain(world)

    found = world.aws.client("s3").get_object(Bucket="sealed", Key=message_id)
    meta = found["Metadata"]
    context = json.loads(meta["x-amz-matdesc"])
    assert context["kms_cmk_id"] == managed
    assert context["aws:ses:rule-name"] == "store"
    key = world.aws.kms.decrypt(
        CiphertextBlob=base64.b64decode(meta["x-amz-key-v2"]), EncryptionContext=context
    )
    plain = AESGCM(key["Plaintext"]).decrypt(base64.b64decode(meta["x-amz-iv"]), found["Body"].read(), None)
    assert plain.endswith(RAW)
    with pytest.raises(ClientError):  # the context is bound to the key: another one does not open it
        world.aws.kms.decrypt(
            CiphertextBlob=base64.b64decode(meta["x-amz-key-v2"]),
            EncryptionContext={**context, "aws:ses:rule-name": "other"},
        )


def test_the_ledger_leases_a_message_to_one_worker_at_a_time(world: World) -> None:
    ledger = DynamoReceiptLedger(world.aws.dynamodb, world.settings.tables.receipts)
    fresh = ReceiptProgress("m1", A, 1000.0, "s@outside.test", ("x@a.example",), "inbound/m1", "set")

    mine = ledger.claim(fresh, now=2000.0, lease_seconds=60)
    assert mine is not None and mine.version == 1
    assert ledger.claim(fresh, now=2030.0, lease_seconds=60) is None
    taken_over = ledger.claim(fresh, now=2061.0, lease_seconds=60)  # the first worker's lease lapsed
    assert taken_over is not None and taken_over.version == 2
    assert not ledger.save(replace(mine, version=mine.version + 1))  # the first worker lost it
    assert ledger.save(replace(taken_over, version=3, finished=True, added_headers=(("X-A", "1"),)))
    stored = ledger.get("m1", A)
    assert stored is not None and stored.finished and stored.added_headers == (("X-A", "1"),)
    assert ledger.claim(fresh, now=2062.0, lease_seconds=60) == stored  # finished: nothing to lease


def test_a_task_too_large_for_a_queue_message_is_parked_in_the_bucket(world: World) -> None:
    queue = make_receipt_queue(world.settings, world.aws)
    rules = tuple(
        ReceiptRule(
            name=f"r{i}",
            enabled=True,
            recipients=tuple(f"user{j}@a.example" for j in range(100)),
            actions=(S3Action("b", "p/"),),
        )
        for i in range(120)
    )
    envelope = InboundEnvelope("m1", 1.0, "s@outside.test", "helo", "198.51.100.1", False, "inbound/m1", 10)
    task = ReceiptTask(envelope, A, ("user1@a.example",), "set", rules)

    queue.enqueue(task)

    body = world.aws.client("sqs").receive_message(QueueUrl=world.settings.receiving_queue_url)["Messages"][
        0
    ]["Body"]
    assert len(body) < 1000
    assert queue.decode(body) == task


def test_send_bounce_mails_a_dsn_for_a_message_the_account_received(world: World, mx: MxServer) -> None:
    world.verify_domain(A, "a.example")
    store_everything(world, A, world.bucket("bucket-a"))
    _, message_id = send(mx, ["x@a.example"], RAW)
    drain(world)
    recipient = [{"Recipient": "x@a.example", "BounceType": "DoesNotExist"}]

    bounce_id = world.ses(A).send_bounce(
        OriginalMessageId=message_id,
        BounceSender="postmaster@a.example",
        BouncedRecipientInfoList=recipient,
        MessageDsn={
            "ReportingMta": "dns; mx.a.example",
            "ExtensionFields": [{"Name": "X-Note", "Value": "n"}],
        },
    )["MessageId"]

    queued = world.aws.client("sqs").receive_message(QueueUrl=world.settings.delivery_queue_url)["Messages"]
    task = json.loads(queued[0]["Body"])
    assert task["message"]["message_id"] == bounce_id
    assert task["recipients"] == ["sender@outside.test"]
    dsn = base64.b64decode(task["message"]["raw"]) if "raw" in task["message"] else b""
    assert b"Reporting-MTA: dns; mx.a.example" in dsn
    assert b"X-Note: n" in dsn
    assert b"Status: 5.1.1" in dsn

    def refused(account: str, **params: Any) -> str:
        with pytest.raises(ClientError) as caught:
            world.ses(account).send_bounce(
                **{
                    "OriginalMessageId": message_id,
                    "BounceSender": "postmaster@a.example",
                    "BouncedRecipientInfoList": recipient,
                    **params,
                }
            )
        return str(caught.value.response["Error"]["Code"])

    assert refused(B) == "MessageRejected"  # another account's message
    assert refused(A, BounceSender="someone@unverified.example") == "MessageRejected"
    assert refused(A, BouncedRecipientInfoList=[{"Recipient": "x@a.example"}]) == "InvalidParameterValue"
