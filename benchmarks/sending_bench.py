"""Sending, end to end in one process: accepted by SendingService, queued in SQS, delivered by the
worker over SMTP to a local sink, DKIM-signed with the domain's Easy DKIM key.

It runs the production services against the in-process AWS emulation, so the AWS requests per
message it counts (with botocore's event hooks) are the ones a deployment makes, and the CPU time
per message is split between the accepting path (what the API Lambda does after parsing) and the
delivery path (the worker Lambda). The cost model prices those counts at us-east-1 list prices.
Local-mode throughput is bounded by the emulation (most of the CPU is moto's), so the figure to
compare with AWS is the request count and the CPU per message, not the messages per second.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

import boto3

from benchmarks.harness import Figure, Options
from sesame.domain.sending.dkim_benchmark import benchmark_signatures_per_second

MESSAGES = 2000
ACCOUNT = "000000000001"
DOMAIN = "bench.test"

# us-east-1 list prices, USD.
PRICES = {
    ("sqs", "*"): 0.40 / 1e6,
    ("dynamodb", "write"): 0.625 / 1e6,  # on-demand, per write request unit (1 KB)
    ("dynamodb", "read"): 0.125 / 1e6,  # on-demand, per read request unit (4 KB, strongly consistent)
    ("sns", "*"): 0.50 / 1e6,
    ("kms", "*"): 0.03 / 1e4,
    ("s3", "write"): 5.0 / 1e6,
    ("s3", "read"): 0.4 / 1e6,
}
LAMBDA_GB_SECOND_ARM = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6
LAMBDA_MEMORY_GB = 0.5  # api_memory_mb and worker_memory_mb defaults in stacks/config.py
WORKER_BATCH = 10
_DDB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_S3_WRITES = {"PutObject", "DeleteObject"}


def _price(service: str, operation: str) -> float:
    if service == "dynamodb":
        return PRICES[("dynamodb", "write" if operation in _DDB_WRITES else "read")]
    if service == "s3":
        return PRICES[("s3", "write" if operation in _S3_WRITES else "read")]
    return PRICES.get((service, "*"), 0.0)


class RequestCounter:
    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._lock = threading.Lock()

    def __call__(self, model: Any = None, **_: Any) -> None:
        with self._lock:
            self.counts[(model.service_model.endpoint_prefix, model.name)] += 1

    def take(self) -> collections.Counter[tuple[str, str]]:
        with self._lock:
            taken, self.counts = self.counts, collections.Counter()
        return taken


def run(options: Options) -> list[Figure]:
    from moto import mock_aws

    from sesame.adapters.aws import AwsClients
    from sesame.domain.sending.content import SimpleContent, TextPart
    from sesame.domain.sending.model import ApiSource
    from sesame.domain.sending.service import Sender, SendRequest
    from sesame.local.emulation_atomicity import serialize_dynamodb_requests
    from sesame.local.provision import provision
    from sesame.services import build_delivery, build_services
    from sesame.settings import Settings
    from sesame.workers.delivery import handle_sqs_batch
    from tests.support.dns_server import DnsTestServer
    from tests.support.signing_zone import publish_dkim_cnames, serve_signing_zone
    from tests.support.smtp_sink import SmtpSink

    serialize_dynamodb_requests()
    figures: list[Figure] = []
    with mock_aws(), DnsTestServer() as dns, SmtpSink(starttls=False) as sink:
        counter = RequestCounter()
        session = boto3.Session(region_name="us-east-1")
        session.events.register("before-call", counter)
        base = Settings(dns_server=dns.address, relay=sink.address, mail_host_name="bench.local")
        aws = AwsClients(base, session)
        settings = provision(aws, base)
        services = build_services(settings, aws)
        delivery = build_delivery(settings, aws, services=services)
        services.accounts.create_account(ACCOUNT, production=True)
        services.accounts.set_quotas(ACCOUNT, max_send_rate=1e6, max_24_hour_send=1e8)
        view = services.identities.create_identity(ACCOUNT, DOMAIN)
        zone = services.identities.signing_zone
        assert zone is not None and view.dkim is not None
        serve_signing_zone(dns, aws.route53, zone)
        publish_dkim_cnames(dns, DOMAIN, view.dkim.tokens, zone)
        checked = services.identities.check_now(ACCOUNT, DOMAIN)
        assert checked.dkim is not None and checked.dkim.status.value == "SUCCESS", checked

        body = "Hello {i},\n" + ("This is line of a five kilobyte message body. " * 100)
        sender = Sender(
            account_id=ACCOUNT, caller_identity="bench", source_ip="127.0.0.1", api=ApiSource.API_V2
        )
        counter.take()

        accept_started, accept_cpu = time.perf_counter(), time.process_time()
        for i in range(MESSAGES):
            services.sending.send(
                SendRequest(
                    sender=sender,
                    simple=SimpleContent(subject=TextPart(f"Message {i}"), text=TextPart(body)),
                    from_address=f"news@{DOMAIN}",
                    to=(f"user{i}@inbox.test",),
                )
            )
        accept_seconds = time.perf_counter() - accept_started
        accept_cpu = time.process_time() - accept_cpu
        accept_requests = counter.take()

        sqs = aws.client("sqs")
        deliver_started, deliver_cpu = time.perf_counter(), time.process_time()
        delivered = 0
        batches = 0
        while delivered < MESSAGES:
            answer = sqs.receive_message(
                QueueUrl=settings.delivery_queue_url, MaxNumberOfMessages=WORKER_BATCH
            )
            records = answer.get("Messages", [])
            if not records:
                break
            event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in records]}
            failures = handle_sqs_batch(delivery, event)["batchItemFailures"]
            assert not failures, failures
            sqs.delete_message_batch(
                QueueUrl=settings.delivery_queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(records)],
            )
            delivered += len(records)
            batches += 1
        deliver_seconds = time.perf_counter() - deliver_started
        deliver_cpu = time.process_time() - deliver_cpu
        deliver_requests = counter.take()
        received = sink.wait_for_messages(MESSAGES, timeout=60)
        assert len(received) == MESSAGES
        assert all(m.data.startswith(b"DKIM-Signature:") for m in received)

    # The event source's ReceiveMessage/DeleteMessageBatch are the Lambda service's, not ours;
    # they are priced too (the account pays for them).
    per_message: dict[str, float] = {}
    cost = 0.0
    for counts in (accept_requests, deliver_requests):
        for (service, operation), n in counts.items():
            per_message[f"{service}:{operation}"] = (
                per_message.get(f"{service}:{operation}", 0) + n / MESSAGES
            )
            cost += n * _price(service, operation)
    accept_ms = accept_cpu / MESSAGES * 1000
    deliver_ms = deliver_cpu / MESSAGES * 1000
    lambda_seconds = (accept_cpu + deliver_cpu) / MESSAGES
    lambda_cost = lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_ARM * 1000
    invocations = (1 + 1 / WORKER_BATCH) * LAMBDA_REQUEST * 1000 + HTTP_API_REQUEST * 1000
    aws_cost = cost / MESSAGES * 1000

    figures += [
        Figure("sending: accepted", MESSAGES / accept_seconds, "msg/s", "SendingService.send, one thread"),
        Figure(
            "sending: delivered", MESSAGES / deliver_seconds, "msg/s", f"worker, batches of {WORKER_BATCH}"
        ),
        Figure(
            "sending: end to end",
            MESSAGES / (accept_seconds + deliver_seconds),
            "msg/s",
            f"{MESSAGES} single-recipient 5 KB messages, DKIM on, relay to a sink",
        ),
        Figure("sending: CPU per message, accept path", accept_ms, "ms", "includes the emulation's share"),
        Figure("sending: CPU per message, delivery path", deliver_ms, "ms", "includes the emulation's share"),
        Figure(
            "sending: DKIM signatures", benchmark_signatures_per_second(2.0), "sig/s", "2048-bit, one core"
        ),
        Figure("sending: AWS requests per message", sum(per_message.values()), "req", "accept + deliver"),
    ]
    figures += [
        Figure(f"sending: requests/msg {name}", value, "req")
        for name, value in sorted(per_message.items(), key=lambda kv: -kv[1])
    ]
    figures += [
        Figure("sending: AWS request cost per 1,000", aws_cost, "USD", "SQS, DynamoDB, SNS, KMS, S3"),
        Figure(
            "sending: Lambda + API cost per 1,000", lambda_cost + invocations, "USD", "arm64 512 MB, CPU time"
        ),
        Figure("sending: variable cost per 1,000", aws_cost + lambda_cost + invocations, "USD", "SES: 0.10"),
    ]
    del options
    return figures
