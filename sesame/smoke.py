"""`sesame smoke`: a short end-to-end check of a deployed stack.

It verifies a domain, sends to the mailbox simulator's success and bounce addresses through the
sesv2 API with a Sesame account's access key, and reads the Delivery and Bounce events from the
stack's events topic through a temporary SQS queue, which it removes afterwards. The API URL and
the events topic come from the stack's CloudFormation outputs; every one of them can be given
instead, so the same check runs against local mode.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

SUCCESS_ADDRESS = "success@simulator.amazonses.com"
BOUNCE_ADDRESS = "bounce@simulator.amazonses.com"
POLL_SECONDS = 2.0


class SmokeFailure(Exception):
    """A step failed; the message says why."""


@dataclass(frozen=True)
class SmokeTarget:
    api_url: str
    events_topic_arn: str
    region: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", help="a deployed Sesame stack's name (its outputs give the endpoints)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--domain", required=True, help="the sending domain to verify and send from")
    parser.add_argument(
        "--access-key-id",
        default=os.environ.get("SESAME_ACCESS_KEY_ID"),
        help="a Sesame account's access key (default: SESAME_ACCESS_KEY_ID)",
    )
    parser.add_argument(
        "--secret-access-key",
        default=os.environ.get("SESAME_SECRET_ACCESS_KEY"),
        help="its secret (default: SESAME_SECRET_ACCESS_KEY)",
    )
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait for each step")
    parser.add_argument("--endpoint-url", help="the SES API's URL instead of the stack's ApiUrl output")
    parser.add_argument("--aws-endpoint-url", help="endpoint of SNS and SQS (local mode's --aws-port)")
    parser.add_argument("--events-topic-arn", help="the events topic instead of the stack's EventsTopicArn")


def target_for(args: argparse.Namespace, session: boto3.Session) -> SmokeTarget:
    outputs: dict[str, str] = {}
    if args.stack:
        cloudformation = session.client("cloudformation")
        described = cloudformation.describe_stacks(StackName=args.stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    api_url = args.endpoint_url or outputs.get("ApiUrl")
    topic = args.events_topic_arn or outputs.get("EventsTopicArn")
    if not api_url or not topic:
        raise SmokeFailure(
            "the API URL and the events topic come from --stack (outputs ApiUrl, EventsTopicArn) "
            "or from --endpoint-url and --events-topic-arn"
        )
    region = args.region or outputs.get("Region") or session.region_name or "us-east-1"
    return SmokeTarget(api_url=api_url, events_topic_arn=topic, region=region)


def dkim_records(domain: str, dkim: dict[str, Any]) -> list[str]:
    """The Easy DKIM CNAMEs the domain's owner publishes, one zone-file line each."""
    zone = dkim["SigningHostedZone"].rstrip(".")
    return [f"{token}._domainkey.{domain}. CNAME {token}.{zone}." for token in dkim.get("Tokens", [])]


def _wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what} not reached within {seconds:g} s")
        time.sleep(POLL_SECONDS)


def verify_domain(sesv2: Any, domain: str, wait: float) -> None:
    try:
        identity = sesv2.create_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if error.response["Error"]["Code"] != "AlreadyExistsException":
            raise
        identity = sesv2.get_email_identity(EmailIdentity=domain)
    if identity.get("VerifiedForSendingStatus"):
        return
    print(f"publish these DNS records for {domain}:", flush=True)
    for record in dkim_records(domain, identity["DkimAttributes"]):
        print(f"  {record}", flush=True)

    def verified() -> bool:
        return bool(sesv2.get_email_identity(EmailIdentity=domain).get("VerifiedForSendingStatus"))

    _wait_until(verified, wait, f"verification of {domain}")


# A sandbox account may send one message a second; the check paces itself rather than fail on it.
_THROTTLED = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException"})


def send(sesv2: Any, sender: str, recipient: str, wait: float) -> str:
    deadline = time.monotonic() + wait
    while True:
        try:
            answer = sesv2.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": [recipient]},
                Content={
                    "Simple": {
                        "Subject": {"Data": "Sesame smoke check"},
                        "Body": {"Text": {"Data": f"A smoke check message to {recipient}."}},
                    }
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in _THROTTLED or time.monotonic() > deadline:
                raise
            time.sleep(1.0)
            continue
        return str(answer["MessageId"])


class EventQueue:
    """A temporary SQS queue subscribed (raw delivery) to the events topic."""

    def __init__(self, sns: Any, sqs: Any, topic_arn: str) -> None:
        self._sns, self._sqs = sns, sqs
        name = f"sesame-smoke-{uuid.uuid4().hex[:12]}"
        self.url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
        self.subscription_arn: str | None = None
        attributes = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        queue_arn = attributes["Attributes"]["QueueArn"]
        # Only this topic may write to the queue.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": json.dumps(policy)})
        subscribed = sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )
        self.subscription_arn = subscribed["SubscriptionArn"]
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> None:
        answer = self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            with contextlib.suppress(ValueError):  # not an event: nothing this check waits for
                self.seen.append(json.loads(message["Body"]))
            self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def has(self, message_id: str, event_type: str) -> bool:
        return any(
            event.get("eventType") == event_type and event.get("mail", {}).get("messageId") == message_id
            for event in self.seen
        )

    def remove(self) -> None:
        if self.subscription_arn:
            self._sns.unsubscribe(SubscriptionArn=self.subscription_arn)
        self._sqs.delete_queue(QueueUrl=self.url)


def _step(name: str, action: Callable[[], str | None]) -> bool:
    try:
        detail = action()
    except (SmokeFailure, ClientError, BotoCoreError) as error:
        print(f"{name}: failed: {error}", flush=True)
        return False
    print(f"{name}: ok{f' ({detail})' if detail else ''}", flush=True)
    return True


def run(args: argparse.Namespace) -> int:
    """Run the check, one line per step; 0 when every step passed."""
    if not args.access_key_id or not args.secret_access_key:
        print("smoke: failed: give --access-key-id and --secret-access-key (or SESAME_* variables)")
        return 2
    session = boto3.Session(region_name=args.region)
    try:
        target = target_for(args, session)
    except (SmokeFailure, ClientError, BotoCoreError) as error:
        print(f"read stack outputs: failed: {error}", flush=True)
        return 1
    print(f"read stack outputs: ok (api {target.api_url})", flush=True)
    sesv2 = boto3.client(
        "sesv2",
        endpoint_url=target.api_url,
        region_name=target.region,
        aws_access_key_id=args.access_key_id,
        aws_secret_access_key=args.secret_access_key,
    )
    aws_options: dict[str, Any] = {"region_name": target.region, "endpoint_url": args.aws_endpoint_url}
    sns, sqs = session.client("sns", **aws_options), session.client("sqs", **aws_options)
    events: list[EventQueue] = []

    def subscribe() -> str:
        events.append(EventQueue(sns, sqs, target.events_topic_arn))
        return events[0].url

    sent: dict[str, str] = {}

    def send_to(recipient: str) -> Callable[[], str]:
        def action() -> str:
            sent[recipient] = send(sesv2, f"smoke@{args.domain}", recipient, args.wait)
            return sent[recipient]

        return action

    def await_event(recipient: str, event_type: str) -> Callable[[], str]:
        def action() -> str:
            if recipient not in sent:
                raise SmokeFailure("nothing was sent")
            message_id = sent[recipient]

            def arrived() -> bool:
                events[0].drain()
                return events[0].has(message_id, event_type)

            _wait_until(arrived, args.wait, f"{event_type} event for {message_id}")
            return message_id

        return action

    def verify() -> None:
        verify_domain(sesv2, args.domain, args.wait)

    passed = _step(f"verify domain {args.domain}", verify)
    passed = passed and _step(f"subscribe a queue to {target.events_topic_arn}", subscribe)
    if passed:
        passed = _step(f"send to {SUCCESS_ADDRESS}", send_to(SUCCESS_ADDRESS)) and passed
        passed = _step(f"send to {BOUNCE_ADDRESS}", send_to(BOUNCE_ADDRESS)) and passed
        passed = _step("Delivery event", await_event(SUCCESS_ADDRESS, "Delivery")) and passed
        passed = _step("Bounce event", await_event(BOUNCE_ADDRESS, "Bounce")) and passed
    if events:

        def clean_up() -> None:
            events[0].remove()

        passed = _step("remove the queue", clean_up) and passed
    print(f"smoke: {'ok' if passed else 'failed'}", flush=True)
    return 0 if passed else 1


def main(args: argparse.Namespace) -> int:
    try:
        return run(args)
    except KeyboardInterrupt:
        print("smoke: interrupted", file=sys.stderr)
        return 130
