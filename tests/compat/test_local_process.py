"""`sesame local` as the contract describes it: port 0, the ready line, clean shutdown."""

from __future__ import annotations

import signal
import urllib.request

import boto3

from tests.support.local_process import start_local


def test_port_zero_listeners_are_named_in_the_ready_line_and_sigterm_exits_zero() -> None:
    local = start_local("--region", "eu-central-1")
    try:
        assert local.ready["region"] == "eu-central-1"
        with urllib.request.urlopen(local.api_url + "/health", timeout=5) as answer:
            assert answer.status == 200
        # The embedded AWS is reachable by any AWS tool on --aws-port.
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=local.aws_url,
            region_name="eu-central-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        assert "sesame-identities" in ddb.list_tables()["TableNames"]
    finally:
        code = local.stop(signal.SIGTERM)
    assert code == 0


def test_sigint_also_exits_zero() -> None:
    local = start_local()
    assert local.stop(signal.SIGINT) == 0
