"""`sesame smoke` run as a user runs it, against local mode: the records it prints are published in
a DNS server on loopback, and it must see the simulator's Delivery and Bounce events."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.compat_clients import aws_client
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess, start_local
from tests.support.signing_zone import serve_signing_zone
from tests.support.smtp_sink import SmtpSink

REGION = "us-east-1"
CNAME_LINE = re.compile(r"^\s+(\S+)\._domainkey\.(\S+)\. CNAME (\S+)\.$")


@pytest.fixture(scope="module")
def local(dns_server: DnsTestServer) -> Iterator[LocalProcess]:
    # Bounce reports go back to the sender's domain: a sink takes them instead of its MX.
    with SmtpSink() as sink:
        process = start_local(
            "--dns", dns_server.address, "--check-interval", "0.5", "--relay", sink.address
        )  # fmt: skip
        try:
            yield process
        finally:
            assert process.stop() == 0, "".join(process.output[-40:])


def _smoke(local: LocalProcess, domain: str, *extra: str, secret: str | None = None) -> subprocess.Popen[str]:
    topic = next(
        t["TopicArn"]
        for t in aws_client(local, "sns").list_topics()["Topics"]
        if t["TopicArn"].endswith(":sesame-events")
    )
    env = {
        **os.environ,
        # The embedded AWS accepts any credentials; these stand for the operator's own.
        "AWS_ACCESS_KEY_ID": "operator",
        "AWS_SECRET_ACCESS_KEY": "operator",
        "SESAME_ACCESS_KEY_ID": local.access_key_id,
        "SESAME_SECRET_ACCESS_KEY": secret or local.secret_access_key,
    }
    argv = [
        sys.executable, "-m", "sesame.cli", "--log-level", "WARNING", "smoke",
        "--region", REGION,
        "--domain", domain,
        "--endpoint-url", local.api_url,
        "--aws-endpoint-url", local.aws_url,
        "--events-topic-arn", topic,
        *extra,
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def test_smoke_prints_the_records_then_verifies_sends_and_sees_delivery_and_bounce(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    process = _smoke(local, "smoke.test", "--wait", "60")
    assert process.stdout is not None
    lines: list[str] = []
    records: list[re.Match[str]] = []
    for line in process.stdout:
        lines.append(line)
        found = CNAME_LINE.match(line)
        if found:
            records.append(found)
            if len(records) == 3:
                break
    assert len(records) == 3, "".join(lines)
    # The operator publishes what was printed; Sesame hosts the keys behind the CNAMEs.
    for record in records:
        token, domain, target = record.groups()
        assert domain == "smoke.test"
        dns_server.set(f"{token}._domainkey.{domain}", "CNAME", f"{target}.")
    zone = records[0].group(3).split(".", 1)[1]
    serve_signing_zone(dns_server, aws_client(local, "route53"), zone)
    lines += process.stdout.readlines()
    assert process.wait(timeout=120) == 0, "".join(lines)
    steps = {line.split(":")[0]: line for line in lines if ": " in line and not line.startswith(" ")}
    assert steps["verify domain smoke.test"].startswith("verify domain smoke.test: ok")
    assert ": ok (" in steps["send to success@simulator.amazonses.com"]
    assert ": ok (" in steps["Delivery event"]
    assert ": ok (" in steps["Bounce event"]
    assert steps["remove the queue"].strip().endswith(": ok")
    assert "smoke: ok\n" in lines
    queues = aws_client(local, "sqs").list_queues().get("QueueUrls", [])
    assert not [url for url in queues if "sesame-smoke-" in url]
    # Local mode logs the audit trail: the identity's creation is there, the sends are not.
    audit = [line for line in local.output if " sesame.audit: " in line]
    assert any(
        '"operation":"CreateEmailIdentity"' in line and '"outcome":"success"' in line for line in audit
    )
    assert not any('"operation":"SendEmail"' in line for line in audit)


def test_smoke_fails_with_a_non_zero_exit_when_the_domain_is_never_published(local: LocalProcess) -> None:
    process = _smoke(local, "unpublished.test", "--wait", "1")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1, output
    assert "verify domain unpublished.test: failed: verification of unpublished.test not reached" in output
    assert "send to" not in output
    assert output.splitlines()[-1] == "smoke: failed"


def test_smoke_reports_a_failed_step_when_the_secret_is_wrong(local: LocalProcess) -> None:
    process = _smoke(local, "wrong-secret.test", "--wait", "1", secret="not-the-secret")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1, output
    assert "verify domain wrong-secret.test: failed: " in output
    assert "(InvalidSignatureException)" in output
