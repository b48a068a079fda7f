"""`sesame local` flags are validated before anything starts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sesame.local.options import LocalOptions
from sesame.settings import DEFAULT_ACCESS_KEY_ID


def test_defaults_follow_the_contract() -> None:
    options = LocalOptions.with_environment({}, environ={})
    assert (options.host, options.api_port, options.aws_port) == ("127.0.0.1", 8787, 4566)
    assert (options.submission_port, options.smtps_port, options.mx_port) == (2587, 2465, 2525)
    assert options.region == "us-east-1" and not options.production
    assert options.access_key_id == DEFAULT_ACCESS_KEY_ID and not options.keys_from_environment


def test_region_and_keys_come_from_the_environment() -> None:
    env = {
        "AWS_REGION": "eu-west-1",
        "SESAME_ACCESS_KEY_ID": "AKIAENVKEY0000000001",
        "SESAME_SECRET_ACCESS_KEY": "x",
    }
    options = LocalOptions.with_environment({}, environ=env)
    assert options.region == "eu-west-1" and options.access_key_id == "AKIAENVKEY0000000001"
    assert options.keys_from_environment
    assert LocalOptions.with_environment({"region": "ap-northeast-1"}, environ=env).region == "ap-northeast-1"


def test_half_a_key_pair_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        LocalOptions.with_environment({}, environ={"SESAME_ACCESS_KEY_ID": "AKIA"})


@pytest.mark.parametrize(
    "values",
    [
        {"relay": "nohost"},
        {"dns": "127.0.0.1:99999"},
        {"api_port": -1},
        {"check_interval": 0},
        {"max_send_rate": 0},
        {"region": "mars"},
    ],
)
def test_bad_flags_are_refused(values) -> None:
    with pytest.raises(ValidationError):
        LocalOptions.with_environment(values, environ={})
