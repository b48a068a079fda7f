"""The SQS delivery queue with its S3 spool (moto): small bodies inline, large ones spooled."""

from __future__ import annotations

from sesame.adapters.delivery_task_json import task_from_json
from sesame.adapters.sqs_delivery_queue import SqsDeliveryQueue
from sesame.domain.sending.model import QueuedMessage
from sesame.domain.sending.ports import DeliveryTask


def _queue(aws, settings) -> SqsDeliveryQueue:
    return SqsDeliveryQueue(
        sqs=aws.client("sqs"),
        s3=aws.client("s3"),
        queue_url=settings.delivery_queue_url,
        spool_bucket=settings.spool_bucket,
        spool_threshold=settings.spool_threshold,
        kms_key_id=settings.kms_key_id,
    )


def _task(raw: bytes) -> DeliveryTask:
    message = QueuedMessage(
        message_id="0100019000000000-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000",
        account_id="000000000001",
        source="sender@example.com",
        mail_from="bounce@example.com",
        destinations=("a@example.net", "b@example.org"),
        sending_identity="example.com",
        created_at=1_700_000_000.5,
        tags={"campaign": ["x"]},
        raw=raw,
    )
    return DeliveryTask(message=message, recipients=message.destinations)


def _receive(aws, settings) -> DeliveryTask:
    messages = aws.client("sqs").receive_message(QueueUrl=settings.delivery_queue_url)["Messages"]
    assert len(messages) == 1
    return task_from_json(messages[0]["Body"])


def test_a_small_message_travels_inside_the_queue_message(aws_env) -> None:
    aws, settings = aws_env
    queue = _queue(aws, settings)
    queue.enqueue(_task(b"Subject: hi\r\n\r\nbody\r\n"))
    received = _receive(aws, settings)
    assert received.message.spool_key is None
    assert queue.load_raw(received.message) == b"Subject: hi\r\n\r\nbody\r\n"
    assert received == _task(b"Subject: hi\r\n\r\nbody\r\n")


def test_a_large_message_is_spooled_encrypted_and_read_back_whole(aws_env) -> None:
    aws, settings = aws_env
    queue = _queue(aws, settings)
    raw = b"Subject: big\r\n\r\n" + b"x" * (settings.spool_threshold + 10)
    queue.enqueue(_task(raw))
    received = _receive(aws, settings)
    assert received.message.raw is None and received.message.spool_key
    head = aws.client("s3").head_object(Bucket=settings.spool_bucket, Key=received.message.spool_key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert queue.load_raw(received.message) == raw
    queue.discard_spool(received.message)
    listed = aws.client("s3").list_objects_v2(Bucket=settings.spool_bucket)
    assert listed.get("KeyCount", 0) == 0
