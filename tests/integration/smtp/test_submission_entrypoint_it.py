"""`sesame smtp submission`, the container's entry point, as a process: settings from the
environment (the runtime's and SESAME_SMTP_*), AWS behind an endpoint (moto's server here),
a message accepted and queued, SIGTERM ends it cleanly."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sesame.adapters.aws import AwsClients
from sesame.domain.smtp_credentials import smtp_password
from sesame.local.provision import provision
from sesame.services import build_services
from sesame.settings import Settings
from sesame.smtp.tls import self_signed_certificate
from tests.integration.smtp.conftest import insecure_context, message
from tests.support.dns_server import DnsTestServer
from tests.support.entrypoint import ready_fields

ACCOUNT = "000000000001"
DOMAIN = "container.test"


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    finally:
        server.stop()


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")


def test_the_entry_point_serves_submission_from_environment_settings(moto_endpoint: str) -> None:
    with DnsTestServer() as dns:
        base = Settings(aws_endpoint_url=moto_endpoint, dns_server=dns.address, dkim_signing_zone=None)
        aws = AwsClients(base, _session())
        settings = provision(aws, base)
        services = build_services(settings, aws)
        services.accounts.create_account(ACCOUNT, production=True)
        key, secret = services.accounts.create_access_key(ACCOUNT)
        dns.set(f"_amazonses.{DOMAIN}", "TXT", services.identities.verify_domain(ACCOUNT, DOMAIN))
        assert services.identities.check_now(ACCOUNT, DOMAIN).verified_for_sending

        certificate, private_key = self_signed_certificate(("smtp.container.test",))
        assert settings.delivery_queue_url and settings.spool_bucket and settings.events_topic_arn
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SESAME_"))},
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "SESAME_AWS_ENDPOINT_URL": moto_endpoint,
            "SESAME_DNS_SERVER": dns.address,
            "SESAME_DKIM_SIGNING_ZONE": "",
            "SESAME_DELIVERY_QUEUE_URL": settings.delivery_queue_url,
            "SESAME_SPOOL_BUCKET": settings.spool_bucket,
            "SESAME_EVENTS_TOPIC_ARN": settings.events_topic_arn,
            "SESAME_SMTP_HOST": "127.0.0.1",
            "SESAME_SMTP_SUBMISSION_PORT": "0",
            "SESAME_SMTP_SMTPS_PORT": "0",
            "SESAME_SMTP_HOST_NAME": "smtp.container.test",
            "SESAME_SMTP_TLS_CERTIFICATE": certificate.decode(),
            "SESAME_SMTP_TLS_PRIVATE_KEY": private_key.decode(),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "sesame.cli", "smtp", "submission"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        try:
            fields = ready_fields(process, "sesame smtp submission ready")
            host, _, port = fields["submission"].rpartition(":")
            with smtplib.SMTP(host, int(port), timeout=30) as client:
                assert client.ehlo()[1].startswith(b"smtp.container.test")
                client.starttls(context=insecure_context())
                client.login(key.access_key_id, smtp_password(secret, "us-east-1"))
                refused = client.sendmail(
                    f"ops@{DOMAIN}", ["success@simulator.amazonses.com"], message(sender=f"ops@{DOMAIN}")
                )
            assert refused == {}
            queued = aws.client("sqs").receive_message(QueueUrl=settings.delivery_queue_url)
            assert len(queued["Messages"]) == 1
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
