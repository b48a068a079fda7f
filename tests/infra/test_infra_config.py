"""The deployment config: defaults, coercion of `cdk -c` strings, and errors that say what to fix."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, SesameConfig


def _error(context: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        SesameConfig.from_context(context)
    return str(caught.value)


def test_empty_context_gives_the_defaults() -> None:
    config = SesameConfig.from_context({})
    assert config == SesameConfig()
    assert config.stack_name == "Sesame"
    assert config.main_key_alias == "alias/sesame"
    assert config.link_mac_key_alias == "alias/sesame-links"
    assert config.deletion_protection is True
    assert config.api_memory_mb == 512
    assert config.identity_check_minutes == 5
    assert config.dkim_signing_zone is None
    assert config.account is None and config.region is None


def test_cli_strings_are_coerced() -> None:
    # `cdk deploy -c api_memory_mb=1024 -c deletion_protection=false` passes strings.
    config = SesameConfig.from_context(
        {
            "api_memory_mb": "1024",
            "deletion_protection": "false",
            "api_throttle_rate": "12.5",
            "log_level": "debug",
            "dkim_signing_zone": "DKIM.Example.COM.",
            "dkim_hosted_zone_id": "/hostedzone/Z0123456789ABCDEFGHIJ",
            "mail_from_mx_host": "",
        }
    )
    assert config.api_memory_mb == 1024
    assert config.deletion_protection is False
    assert config.api_throttle_rate == 12.5
    assert config.log_level == "DEBUG"
    assert config.dkim_signing_zone == "dkim.example.com"
    assert config.dkim_hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    assert config.mail_from_mx_host is None


def test_other_tools_keys_are_left_alone() -> None:
    context = {
        "@aws-cdk/aws-iam:minimizePolicies": True,
        "aws:cdk:bundling-stacks": [],
        "availability-zones:account=1:region=x": ["a"],
        "acknowledged-issue-numbers": [1],
    }
    assert SesameConfig.from_context(context) == SesameConfig()


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            {"dkim_signing_zone": "bad_zone!.example.com"},
            "dkim_signing_zone 'bad_zone!.example.com' is not a DNS name",
        ),
        ({"dkim_signing_zone": "localhost"}, "needs at least two labels"),
        ({"dkim_signing_zone": "-a.example.com"}, "not starting or ending with a hyphen"),
        ({"api_memory_mb": -1}, "api_memory_mb: Input should be greater than or equal to 128 (got -1)"),
        ({"api_memory_mb": "lots"}, "api_memory_mb: Input should be a valid integer"),
        ({"checker_memory_mb": 20000}, "checker_memory_mb: Input should be less than or equal to 10240"),
        ({"log_retention_days": 10}, "log_retention_days: CloudWatch Logs keeps logs for one of"),
        ({"identity_check_minutes": 0}, "identity_check_minutes: Input should be greater than or equal to 1"),
        ({"api_throttle_rate": 0}, "api_throttle_rate: Input should be greater than 0"),
        ({"log_level": "LOUD"}, "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ({"name_prefix": "Sesame"}, "name_prefix: 'Sesame' cannot prefix KMS alias names"),
        ({"name_prefix": "aws-mail"}, "not starting with 'aws'"),
        ({"stack_name": "1stack"}, "stack_name: '1stack' is not a CloudFormation stack name"),
        ({"account": "12345"}, "account: an AWS account id is 12 digits, got '12345'"),
        ({"region": "moon"}, "region: not an AWS region name: 'moon'"),
        (
            {"dkim_hosted_zone_id": "nonsense", "dkim_signing_zone": "d.example.com"},
            "a Route 53 hosted zone id",
        ),
        (
            {"dkim_hosted_zone_id": "Z0123456789ABCDEFGHIJ"},
            "dkim_hosted_zone_id is set but dkim_signing_zone is not",
        ),
        ({"public_base_url": "http://mail.example.com"}, "public_base_url must be an https:// URL"),
        ({"deletion_protection": "maybe"}, "deletion_protection: Input should be a valid boolean"),
    ],
)
def test_errors_name_the_key_and_the_problem(context: dict[str, Any], expected: str) -> None:
    message = _error(context)
    assert message.startswith("Invalid Sesame configuration (cdk.json")
    assert expected in message


def test_misspelt_key_gets_a_suggestion() -> None:
    message = _error({"dkim_sigining_zone": "dkim.example.com"})
    assert "dkim_sigining_zone: not a Sesame setting (did you mean 'dkim_signing_zone'?)" in message


def test_every_problem_is_reported_at_once() -> None:
    message = _error({"api_memory_mb": -1, "dkim_signing_zone": "x", "typo_key": 1})
    assert message.count("\n  - ") == 3


def test_config_is_immutable() -> None:
    config = SesameConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.api_memory_mb = 1024  # type: ignore[misc]
