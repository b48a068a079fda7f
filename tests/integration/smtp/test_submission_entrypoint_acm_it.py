"""`sesame smtp submission` as a process, its certificate named by SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN
and exported from ACM behind the AWS endpoint (moto's server here)."""

from __future__ import annotations

import os
import signal
import smtplib
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sesame.adapters.aws import AwsClients
from sesame.local.provision import provision
from sesame.settings import Settings
from tests.integration.smtp.conftest import insecure_context
from tests.integration.smtp.test_submission_entrypoint_it import (
    _session,
    moto_endpoint,  # noqa: F401 (fixture)
)
from tests.support.entrypoint import ready_fields
from tests.support.tls_handshake import der_of


@pytest.fixture
def aws_endpoint(moto_endpoint: str) -> Iterator[str]:  # noqa: F811
    """moto's server, emptied afterwards: its state outlives the server within the process."""
    yield moto_endpoint
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(reset) as answer:
        assert answer.status == 200


def acm_client(endpoint: str) -> Any:
    return boto3.client(
        "acm",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def submission_process(endpoint: str, arn: str) -> subprocess.Popen[str]:
    base = Settings(aws_endpoint_url=endpoint, dkim_signing_zone=None)
    settings = provision(AwsClients(base, _session()), base)
    assert settings.delivery_queue_url and settings.spool_bucket and settings.events_topic_arn
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SESAME_"))},
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "SESAME_AWS_ENDPOINT_URL": endpoint,
        "SESAME_DKIM_SIGNING_ZONE": "",
        "SESAME_DELIVERY_QUEUE_URL": settings.delivery_queue_url,
        "SESAME_SPOOL_BUCKET": settings.spool_bucket,
        "SESAME_EVENTS_TOPIC_ARN": settings.events_topic_arn,
        "SESAME_SMTP_HOST": "127.0.0.1",
        "SESAME_SMTP_SUBMISSION_PORT": "0",
        "SESAME_SMTP_SMTPS_PORT": "0",
        "SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN": arn,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sesame.cli", "smtp", "submission"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def test_the_entry_point_serves_the_acm_certificate_named_in_its_environment(aws_endpoint: str) -> None:
    acm = acm_client(aws_endpoint)
    arn = acm.request_certificate(DomainName="smtp.container.test", Options={"Export": "ENABLED"})[
        "CertificateArn"
    ]
    process = submission_process(aws_endpoint, arn)
    try:
        fields = ready_fields(process, "sesame smtp submission ready")
        host, _, port = fields["submission"].rpartition(":")
        with smtplib.SMTP(host, int(port), timeout=30) as client:
            client.starttls(context=insecure_context())
            assert isinstance(client.sock, ssl.SSLSocket)
            presented = client.sock.getpeercert(binary_form=True)
        assert presented == der_of(acm.get_certificate(CertificateArn=arn)["Certificate"].encode())
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_entry_point_refuses_to_start_when_the_certificate_is_not_exportable(
    aws_endpoint: str,
) -> None:
    acm = acm_client(aws_endpoint)
    arn = acm.request_certificate(DomainName="smtp.container.test")["CertificateArn"]
    process = submission_process(aws_endpoint, arn)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert arn in output and "export enabled" in output
