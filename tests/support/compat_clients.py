"""How the compat suite reaches a running `sesame local`: the clients a user has.

boto3 clients and the AWS CLI pointed at the API with ``endpoint_url``, `sesame admin` as a
command, plain HTTP for links; plus waiting for an eventually consistent answer and reading
what the process logged.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.local_process import LocalProcess, start_local

REGION = "us-east-1"
AWS_CLI = str(Path(sys.executable).with_name("aws"))
# One attempt: a compat test asserts what the service answers, not what a retry hides.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})

T = TypeVar("T")

# Every SDK client made here, so that they can be closed before local mode is stopped: an idle
# keep-alive connection would otherwise hold up its shutdown until the server times it out.
_open_clients: list[Any] = []


def sdk_client(
    local: LocalProcess,
    service: str,
    *,
    key_id: str | None = None,
    secret: str | None = None,
    region: str = REGION,
    config: Config | None = None,
) -> Any:
    """A boto3 ``ses`` or ``sesv2`` client on the API, with the bootstrap key unless given one."""
    client = boto3.client(
        service,
        endpoint_url=local.api_url,
        region_name=region,
        aws_access_key_id=key_id or local.access_key_id,
        aws_secret_access_key=secret or local.secret_access_key,
        config=NO_RETRIES.merge(config) if config else NO_RETRIES,
    )
    _open_clients.append(client)
    return client


def aws_client(local: LocalProcess, service: str) -> Any:
    """A boto3 client on the embedded AWS (--aws-port), which accepts any credentials."""
    client = boto3.client(
        service,
        endpoint_url=local.aws_url,
        region_name=REGION,
        aws_access_key_id="inspector",
        aws_secret_access_key="inspector",
    )
    _open_clients.append(client)
    return client


def close_clients() -> None:
    """Close the connections of every client made so far."""
    while _open_clients:
        _open_clients.pop().close()
    # A connection whose response is still referenced (by a caught ClientError's traceback) is
    # not back in its pool, so close() misses it; collecting the garbage closes it.
    gc.collect()


@dataclass(frozen=True)
class ErrorAnswer:
    code: str
    status: int
    message: str


def client_error(call: Callable[..., Any], **kwargs: Any) -> ErrorAnswer:
    """The error ``call(**kwargs)`` answers with; fails the test if it succeeds."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return ErrorAnswer(
        code=response["Error"]["Code"],
        status=response["ResponseMetadata"]["HTTPStatusCode"],
        message=response["Error"].get("Message", ""),
    )


def _isolated_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a child command, without the host's AWS configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION=REGION,
        AWS_MAX_ATTEMPTS="1",
    )
    env.update(extra)
    return env


def aws_cli_run(
    local: LocalProcess, *argv: str, key_id: str | None = None, secret: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``aws <argv> --endpoint-url <api>`` with the key in the environment, as a user runs it."""
    env = _isolated_env(
        {
            "AWS_ACCESS_KEY_ID": key_id or local.access_key_id,
            "AWS_SECRET_ACCESS_KEY": secret or local.secret_access_key,
        }
    )
    return subprocess.run(
        [AWS_CLI, *argv, "--endpoint-url", local.api_url, "--region", REGION, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def aws_cli(local: LocalProcess, *argv: str) -> Any:
    """The parsed JSON output of a successful AWS CLI command."""
    done = aws_cli_run(local, *argv)
    assert done.returncode == 0, f"aws {' '.join(argv)} failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else {}


def sesame_admin_run(local: LocalProcess, *argv: str) -> subprocess.CompletedProcess[str]:
    """``sesame admin --endpoint <aws> <argv>``, the operator's command, against local mode."""
    return subprocess.run(
        [sys.executable, "-m", "sesame.cli", "admin", "--endpoint", local.aws_url, *argv],
        capture_output=True,
        text=True,
        env=_isolated_env({}),
        timeout=60,
        check=False,
    )


def sesame_admin(local: LocalProcess, *argv: str) -> Any:
    """The parsed JSON output of a successful `sesame admin` command."""
    done = sesame_admin_run(local, *argv)
    assert done.returncode == 0, f"sesame admin {' '.join(argv)} failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout)


def wait_for(fetch: Callable[[], T], done: Callable[[T], bool], *, timeout: float = 30.0) -> T:
    """Call ``fetch`` until ``done`` holds for its answer; the last answer is in the failure."""
    deadline = time.monotonic() + timeout
    while True:
        answer = fetch()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s; last answer: {answer!r}")
        time.sleep(0.2)


def verification_links(local: LocalProcess, address: str) -> list[str]:
    """Every verification link local mode has logged for ``address``, oldest first."""
    pattern = re.compile(r"verification link for " + re.escape(address) + r": (\S+)")
    return [match.group(1) for line in list(local.output) if (match := pattern.search(line))]


def verification_link(local: LocalProcess, address: str, *, after: int = 0, timeout: float = 10.0) -> str:
    """The newest link for ``address`` once more than ``after`` links have been logged for it."""
    links = wait_for(
        lambda: verification_links(local, address), lambda found: len(found) > after, timeout=timeout
    )
    return links[-1]


@contextlib.contextmanager
def running_local(*flags: str) -> Iterator[LocalProcess]:
    """`sesame local` with ``flags`` for the length of the block; it must then exit cleanly."""
    process = start_local(*flags)
    try:
        yield process
    finally:
        close_clients()
        code = process.stop()
        assert code == 0, "sesame local did not exit cleanly:\n" + "".join(process.output[-40:])
