"""Inbound MX: messages accepted per second and the server's CPU per received message.

Local mode runs as a child process (every port 0) with an active rule set whose one rule stores
each message with an S3 action encrypted client-side under a KMS key. Four client processes
deliver 5 KB messages over their own kept-open connections for the run's duration. Accepted
means stored durably (S3, KMS) and queued before the 250; the server CPU (from /proc) then also
covers the receipt worker running the S3 action, measured until every accepted message is
stored, so "CPU per received message" is the whole cost of one message in one process.
"""

from __future__ import annotations

import multiprocessing
import smtplib
import time
import uuid
from typing import Any

import boto3

from benchmarks.api_bench import _cpu_seconds
from benchmarks.harness import Figure, Options
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess, start_local

CONNECTIONS = 4
DOMAIN = "inbound.bench"
BODY = "This is a line of a five kilobyte message body, received by the MX.\r\n" * 74


def _client(host: str, port: int, client: int, start: float, stop: float, results: Any) -> None:
    accepted = 0
    number = 0
    with smtplib.SMTP(host, port, timeout=60) as smtp:
        smtp.ehlo("sender.outside.test")
        while time.time() < stop:
            number += 1
            raw = (
                f"From: sender@outside.test\r\nTo: user{client}@{DOMAIN}\r\nSubject: {number}\r\n"
                f"Message-ID: <{uuid.uuid4().hex}@outside.test>\r\n\r\n{BODY}"
            ).encode()
            smtp.sendmail("sender@outside.test", [f"user{client}@{DOMAIN}"], raw)
            if time.time() >= start:
                accepted += 1
    results.put(accepted)


def _aws(local: LocalProcess, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=local.aws_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def _ses(local: LocalProcess) -> Any:
    return boto3.client(
        "ses",
        endpoint_url=local.api_url,
        region_name="us-east-1",
        aws_access_key_id=local.access_key_id,
        aws_secret_access_key=local.secret_access_key,
    )


def _stored(s3: Any, bucket: str) -> int:
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="mail/"):
        count += page.get("KeyCount", 0)
    return count


def run(options: Options) -> list[Figure]:
    with DnsTestServer() as dns:
        local = start_local("--dns", dns.address, "--check-interval", "0.5")
        try:
            ses, s3, kms = _ses(local), _aws(local, "s3"), _aws(local, "kms")
            token = ses.verify_domain_identity(Domain=DOMAIN)["VerificationToken"]
            dns.set(f"_amazonses.{DOMAIN}", "TXT", token)
            deadline = time.time() + 30
            while (
                ses.get_identity_verification_attributes(Identities=[DOMAIN])["VerificationAttributes"]
                .get(DOMAIN, {})
                .get("VerificationStatus")
                != "Success"
            ):
                if time.time() > deadline:
                    raise RuntimeError("the benchmark domain did not verify")
                time.sleep(0.2)
            bucket = "inbound-bench"
            s3.create_bucket(Bucket=bucket)
            key = kms.create_key(Description="inbound bench")["KeyMetadata"]["Arn"]
            ses.create_receipt_filter(
                Filter={"Name": "loopback", "IpFilter": {"Policy": "Allow", "Cidr": "127.0.0.1"}}
            )
            ses.create_receipt_rule_set(RuleSetName="bench")
            ses.create_receipt_rule(
                RuleSetName="bench",
                Rule={
                    "Name": "store",
                    "Enabled": True,
                    "Recipients": [DOMAIN],
                    "Actions": [
                        {"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "mail/", "KmsKeyArn": key}}
                    ],
                },
            )
            ses.set_active_receipt_rule_set(RuleSetName="bench")
            host, _, port = local.ready["mx"].rpartition(":")

            context = multiprocessing.get_context("spawn")
            results = context.Queue()
            start = time.time() + 2.0  # the clients connect and warm up first
            stop = start + options.duration
            clients = [
                context.Process(target=_client, args=(host, int(port), n, start, stop, results))
                for n in range(CONNECTIONS)
            ]
            for client in clients:
                client.start()
            while time.time() < start:
                time.sleep(0.01)
            before_stored = _stored(s3, bucket)
            cpu_before = _cpu_seconds(local.process.pid)
            accepted = sum(results.get(timeout=options.duration + 120) for _ in clients)
            for client in clients:
                client.join()
            accepted_cpu = _cpu_seconds(local.process.pid) - cpu_before
            # The worker finishes the S3 actions of what was accepted.
            deadline = time.time() + 300
            total = before_stored + accepted
            while _stored(s3, bucket) < total and time.time() < deadline:
                time.sleep(0.5)
            stored_seconds = time.time() - start
            all_cpu = _cpu_seconds(local.process.pid) - cpu_before
        finally:
            local.stop()
    return [
        Figure(
            "mx: accepted",
            accepted / options.duration,
            "msg/s",
            f"{CONNECTIONS} connections, 5 KB, S3+KMS rule",
        ),
        Figure(
            "mx: server CPU per accepted message", accepted_cpu / max(accepted, 1) * 1000, "ms", "MX only"
        ),
        Figure(
            "mx: CPU per received message",
            all_cpu / max(accepted, 1) * 1000,
            "ms",
            "MX + receipt worker (S3 client-side encryption); emulation's share included",
        ),
        Figure("mx: stored end to end", accepted / stored_seconds, "msg/s", "until every object is in S3"),
    ]
