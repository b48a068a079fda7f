"""One account's copy of a received message through its rules' actions, against in-memory ports:
order, dispositions, AddHeader, retries that never repeat a completed action, expiry and the
failure metrics."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from sesame.domain.receiving.actions import ActionRunner
from sesame.domain.receiving.inbound import InboundEnvelope, ReceiptProgress, ReceiptTask
from sesame.domain.receiving.processor import ReceiptPolicy, ReceiptProcessor, TaskOutcome
from sesame.domain.receiving.rule_model import (
    AddHeaderAction,
    BounceAction,
    InvocationType,
    LambdaAction,
    ReceiptAction,
    ReceiptRule,
    S3Action,
    SnsAction,
    SnsEncoding,
    StopAction,
)
from tests.unit.receiving.fakes import (
    FakeBounces,
    FakeFunctions,
    FakeMetrics,
    FakeObjects,
    FakeTopics,
    InMemoryInbound,
    InMemoryLedger,
    RecordingQueue,
)

ACCOUNT = "111111111111"
RECEIVED_AT = 1_700_000_000.0
RAW = b"From: a@outside.test\r\nTo: x@example.com\r\nSubject: Hi\r\n\r\nHello.\r\n"
FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:f"


class Clock:
    def __init__(self) -> None:
        self.now = RECEIVED_AT + 1

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    clock: Clock = field(default_factory=Clock)
    inbound: InMemoryInbound = field(default_factory=InMemoryInbound)
    ledger: InMemoryLedger = field(default_factory=InMemoryLedger)
    queue: RecordingQueue = field(default_factory=RecordingQueue)
    objects: FakeObjects = field(default_factory=FakeObjects)
    topics: FakeTopics = field(default_factory=FakeTopics)
    functions: FakeFunctions = field(default_factory=FakeFunctions)
    bounces: FakeBounces = field(default_factory=FakeBounces)
    metrics: FakeMetrics = field(default_factory=FakeMetrics)

    def processor(self) -> ReceiptProcessor:
        actions = ActionRunner(
            objects=self.objects,
            topics=self.topics,
            functions=self.functions,
            bounces=self.bounces,
            mail_host_name="mx.sesame.test",
            clock=self.clock,
        )
        return ReceiptProcessor(
            store=self.inbound,
            ledger=self.ledger,
            queue=self.queue,
            actions=actions,
            verdicts=None,
            metrics=self.metrics,
            policy=ReceiptPolicy(retry_base=60, max_age=4 * 3600),
            mail_host_name="mx.sesame.test",
            clock=self.clock,
        )

    def task(self, *rules: ReceiptRule, raw: bytes = RAW, mail_from: str = "a@outside.test") -> ReceiptTask:
        key = self.inbound.store("m1", raw)
        envelope = InboundEnvelope(
            message_id="m1",
            received_at=RECEIVED_AT,
            mail_from=mail_from,
            helo="mail.outside.test",
            remote_ip="198.51.100.7",
            tls=True,
            object_key=key,
            size=len(raw),
        )
        return ReceiptTask(
            envelope=envelope, account_id=ACCOUNT, recipients=("x@example.com",), rule_set="set", rules=rules
        )


def rule(name: str, *actions: ReceiptAction) -> ReceiptRule:
    return ReceiptRule(name=name, enabled=True, actions=actions)


def test_actions_run_in_rule_and_action_order_with_added_headers_for_later_ones() -> None:
    world = World()
    task = world.task(
        rule("one", S3Action("b", "first/"), AddHeaderAction("X-Tag", "v")),
        rule("two", S3Action("b", "second/")),
    )

    assert world.processor().process(task) is TaskOutcome.DONE

    first, second = world.objects.stored[("b", "first/m1")], world.objects.stored[("b", "second/m1")]
    assert first.endswith(RAW) and second.endswith(RAW)
    assert b"X-Tag: v\r\n" not in first
    assert second.endswith(b"X-Tag: v\r\n" + RAW)
    assert first.startswith(
        b"Return-Path: <a@outside.test>\r\nReceived: from mail.outside.test ([198.51.100.7])"
    )
    assert world.ledger.get("m1", ACCOUNT).finished  # type: ignore[union-attr]


def test_a_kms_key_encrypts_under_the_account_rule_and_message() -> None:
    world = World()
    world.processor().process(world.task(rule("sealed", S3Action("b", kms_key_arn="arn:aws:kms:k"))))

    assert world.objects.encrypted[("b", "m1")] == (
        "arn:aws:kms:k",
        {"aws:ses:message-id": "m1", "aws:ses:rule-name": "sealed", "aws:ses:source-account": ACCOUNT},
    )


def test_stop_ends_the_rule_set_and_notifies() -> None:
    world = World()
    task = world.task(
        rule("one", StopAction(topic_arn="t"), S3Action("b", "same-rule/")),
        rule("two", S3Action("b", "next-rule/")),
    )

    world.processor().process(task)

    assert world.objects.stored == {}
    ((topic, note),) = world.topics.published
    assert topic == "t"
    assert note["receipt"]["action"] == {"type": "Stop", "topicArn": "t"}
    assert note["receipt"]["recipients"] == ["x@example.com"]


def test_lambda_dispositions_skip_the_rule_or_the_rule_set() -> None:
    world = World()
    world.functions.results = {
        f"{FUNCTION}-rule": {"disposition": "STOP_RULE"},
        f"{FUNCTION}-set": {"disposition": "stop_rule_set"},
    }
    sync = InvocationType.REQUEST_RESPONSE
    task = world.task(
        rule("one", LambdaAction(f"{FUNCTION}-rule", sync), S3Action("b", "one/")),
        rule("two", LambdaAction(f"{FUNCTION}-set", sync), S3Action("b", "two/")),
        rule("three", S3Action("b", "three/")),
    )

    world.processor().process(task)

    assert world.objects.stored == {}
    assert [arn for arn, _, wait in world.functions.calls] == [f"{FUNCTION}-rule", f"{FUNCTION}-set"]
    event = world.functions.calls[0][1]["Records"][0]
    assert event["eventSource"] == "aws:ses"
    assert event["ses"]["receipt"]["action"]["invocationType"] == "RequestResponse"


def test_a_failed_action_is_retried_later_without_repeating_what_completed() -> None:
    world = World()
    world.objects.failures_left["flaky"] = 1
    task = world.task(
        rule(
            "one", SnsAction("t"), AddHeaderAction("X-Added", "1"), S3Action("flaky"), S3Action("b", "after/")
        )
    )

    assert world.processor().process(task) is TaskOutcome.RETRY_QUEUED
    ((retry, delay),) = world.queue.tasks
    assert (retry.attempt, delay, retry.not_before) == (2, 60, world.clock.now + 60)
    assert world.metrics.points == [("PublishFailure", ACCOUNT, "set", "one")]
    assert ("b", "after/m1") not in world.objects.stored

    world.clock.now += 60
    assert world.processor().process(retry) is TaskOutcome.DONE

    assert len(world.topics.published) == 1  # the SNS action ran once
    assert world.objects.stored[("flaky", "m1")].endswith(b"X-Added: 1\r\n" + RAW)
    assert world.objects.stored[("b", "after/m1")] == world.objects.stored[("flaky", "m1")]
    # A redelivery of a finished message does nothing.
    assert world.processor().process(retry) is TaskOutcome.DONE
    assert len(world.topics.published) == 1


def test_retries_back_off_and_a_retry_due_later_than_the_queue_can_wait_hops() -> None:
    world = World()
    world.objects.failures_left["down"] = 100
    task = world.task(rule("one", S3Action("down")))
    processor = world.processor()
    processor.process(task)
    delays = []
    for _ in range(4):
        retry, _ = world.queue.tasks[-1]
        world.clock.now = retry.not_before
        processor.process(retry)
        delays.append(world.queue.tasks[-1][0].not_before - world.clock.now)
    assert delays == [120, 240, 480, 960]
    hop, queued_delay = world.queue.tasks[-1]
    assert queued_delay == 900  # SQS's longest delay; the task itself says when it is due
    world.clock.now += 900
    assert processor.process(hop) is TaskOutcome.RETRY_QUEUED
    assert world.queue.tasks[-1][1] == 60
    assert len([p for p in world.metrics.points if p[0] == "PublishFailure"]) == 5


def test_an_action_failing_past_four_hours_is_given_up_counted_and_the_next_runs() -> None:
    world = World()
    world.objects.failures_left["down"] = 100
    task = world.task(rule("one", S3Action("down"), S3Action("b", "next/")))
    world.clock.now = RECEIVED_AT + 4 * 3600

    assert world.processor().process(task) is TaskOutcome.DONE

    assert world.metrics.points == [
        ("PublishFailure", ACCOUNT, "set", "one"),
        ("PublishExpired", ACCOUNT, "set", "one"),
    ]
    assert ("b", "next/m1") in world.objects.stored
    assert world.queue.tasks == []


def test_the_last_retry_comes_at_four_hours_not_a_full_delay_later() -> None:
    world = World()
    world.objects.failures_left["down"] = 1
    task = world.task(rule("one", S3Action("down")))
    world.clock.now = RECEIVED_AT + 4 * 3600 - 10

    world.processor().process(task)

    ((_, delay),) = world.queue.tasks
    assert delay == 10


def test_a_message_held_by_another_worker_is_left_for_later() -> None:
    world = World()
    task = world.task(rule("one", S3Action("b")))
    e = task.envelope
    held = ReceiptProgress(
        e.message_id, ACCOUNT, e.received_at, e.mail_from, task.recipients, e.object_key, "set"
    )
    assert world.ledger.claim(held, now=world.clock.now, lease_seconds=300) is not None

    assert world.processor().process(task) is TaskOutcome.BUSY
    assert world.objects.stored == {}


def test_sns_content_over_150_kb_fails_for_good_and_bounces_to_the_sender() -> None:
    world = World()
    big = RAW + b"x" * (150 * 1024)
    task = world.task(rule("one", SnsAction("t"), S3Action("b")), raw=big)

    assert world.processor().process(task) is TaskOutcome.DONE

    assert world.topics.published == []
    assert world.metrics.points == [("PublishFailure", ACCOUNT, "set", "one")]
    assert ("b", "m1") in world.objects.stored
    ((account, to, dsn),) = world.bounces.sent
    assert (account, to) == (ACCOUNT, "a@outside.test")
    assert b"Status: 5.3.4" in dsn


def test_sns_content_is_utf8_or_base64() -> None:
    world = World()
    task = world.task(rule("one", SnsAction("t"), SnsAction("t", SnsEncoding.BASE64)))

    world.processor().process(task)

    (_, utf8), (_, b64) = world.topics.published
    assert utf8["content"].endswith(RAW.decode())
    assert base64.b64decode(b64["content"]).decode() == utf8["content"]
    assert (utf8["receipt"]["action"]["encoding"], b64["receipt"]["action"]["encoding"]) == ("UTF8", "BASE64")


def test_a_bounce_goes_to_the_envelope_sender_and_never_to_the_null_sender() -> None:
    world = World()
    bounce = BounceAction(
        smtp_reply_code="550", status_code="5.1.1", message="Gone", sender="daemon@example.com"
    )
    world.processor().process(world.task(rule("one", bounce)))
    ((_, to, dsn),) = world.bounces.sent
    assert to == "a@outside.test"
    assert b"From: daemon@example.com" in dsn
    assert b"Diagnostic-Code: smtp; 550 5.1.1 Gone" in dsn

    quiet = World()
    quiet.processor().process(quiet.task(rule("one", bounce), mail_from=""))
    assert quiet.bounces.sent == []


def test_unavailable_verdicts_are_reported_as_such() -> None:
    world = World()
    world.processor().process(world.task(rule("one", SnsAction("t"))))
    receipt = world.topics.published[0][1]["receipt"]
    assert receipt["spfVerdict"] == {"status": "PROCESSING_FAILED"}
    assert receipt["spamVerdict"] == {"status": "GRAY"}
    assert receipt["processingTimeMillis"] == 1000
