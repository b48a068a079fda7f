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


def test_sending_defaults() -> None:
    config = SesameConfig()
    assert (config.worker_memory_mb, config.worker_timeout_seconds) == (512, 300)
    assert config.worker_reserved_concurrency == 10
    assert (config.worker_batch_size, config.worker_batching_window_seconds) == (10, 0)
    assert config.max_receive_count == 10
    # The runtime's own defaults (sesame.settings.Settings), so AWS and local mode retry alike.
    assert (config.retry_base_seconds, config.max_delivery_age_seconds) == (60, 12 * 3600)
    assert config.queue_age_alarm_minutes == 60
    assert config.relay is None and config.mail_host_name is None and config.alarm_email is None


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
            "worker_batch_size": "100",
            "worker_batching_window_seconds": "5",
            "relay": "Egress.Example.COM:025",
            "mail_host_name": "MTA.Example.com.",
            "alarm_email": "",
        }
    )
    assert config.api_memory_mb == 1024
    assert config.deletion_protection is False
    assert config.api_throttle_rate == 12.5
    assert config.log_level == "DEBUG"
    assert config.dkim_signing_zone == "dkim.example.com"
    assert config.dkim_hosted_zone_id == "Z0123456789ABCDEFGHIJ"
    assert config.mail_from_mx_host is None
    assert (config.worker_batch_size, config.worker_batching_window_seconds) == (100, 5)
    assert config.relay == "egress.example.com:25"
    assert config.mail_host_name == "mta.example.com"
    assert config.alarm_email is None


@pytest.mark.parametrize("relay", ["10.0.0.25:25", "[fd00::25]:2525", "egress.internal:587"])
def test_relay_may_be_a_name_or_an_address(relay: str) -> None:
    assert SesameConfig.from_context({"relay": relay}).relay == relay


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
        ({"relay": "egress.example.com"}, "relay: relay 'egress.example.com' is not HOST:PORT"),
        ({"relay": "egress.example.com:0"}, "is not HOST:PORT (with a port from 1 to 65535)"),
        ({"relay": "[zz::1]:25"}, "relay '[zz::1]:25': [zz::1] is not an IPv6 address"),
        ({"relay": "bad_host!.example.com:25"}, "relay host 'bad_host!.example.com' is not a DNS name"),
        ({"mail_host_name": "localhost"}, "mail_host_name needs at least two labels"),
        ({"alarm_email": "ops"}, "alarm_email: alarm_email 'ops' is not an email address"),
        ({"alarm_email": "ops@localhost"}, "alarm_email's domain needs at least two labels"),
        (
            {"worker_timeout_seconds": 600},
            "worker_timeout_seconds: Input should be less than or equal to 300",
        ),
        (
            {"worker_reserved_concurrency": 1},
            "worker_reserved_concurrency: Input should be greater than or equal to 2",
        ),
        (
            {"worker_batch_size": 100},
            "worker_batch_size 100 needs worker_batching_window_seconds of at least 1",
        ),
        (
            {"worker_batching_window_seconds": 301},
            "worker_batching_window_seconds: Input should be less than or",
        ),
        ({"max_receive_count": 0}, "max_receive_count: Input should be greater than or equal to 1"),
        (
            {"retry_base_seconds": 600, "max_delivery_age_seconds": 600},
            "retry_base_seconds (600) must be less than max_delivery_age_seconds (600)",
        ),
        (
            {"max_delivery_age_seconds": 15 * 86400},
            "max_delivery_age_seconds: Input should be less than or equal to 1209600",
        ),
        (
            {"queue_age_alarm_minutes": 0},
            "queue_age_alarm_minutes: Input should be greater than or equal to 5",
        ),
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


def test_ip_pools_come_as_json_from_the_command_line() -> None:
    config = SesameConfig.from_context(
        {
            "ip_pools": '[{"name": "bulk", "eip_count": 2},'
            ' {"name": "vip", "allocation_ids": ["eipalloc-0a1b2c3d"]}]'
        }
    )
    assert [(pool.name, pool.size) for pool in config.ip_pools] == [("bulk", 2), ("vip", 1)]


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ({"ip_pools": [{"name": "a"}]}, "give either eip_count or allocation_ids"),
        ({"ip_pools": [{"name": "a", "eip_count": 1}, {"name": "a", "eip_count": 1}]}, "distinct"),
        ({"ip_pools": [{"name": "a", "allocation_ids": ["eip-1"]}]}, "not an Elastic IP allocation id"),
        ({"account": "123456789012", "region": "eu-west-1"}, "name its availability_zones"),
        ({"region": "eu-west-1", "availability_zones": ["us-east-1a"]}, "zones of eu-west-1"),
        ({"vpc_cidr": "8.8.0.0/16"}, "private range"),
        ({"submission_enabled": True}, "needs the submission tier's TLS certificate: smtp_tls_secret_arn"),
        (
            {
                "submission_enabled": True,
                "dns_zone_name": "example.com",
                "submission_host_name": "smtp.example.org",
            },
            "needs the submission tier's TLS certificate",
        ),
        (
            {
                "smtp_tls_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf",
                "smtp_tls_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/x",
            },
            "not both",
        ),
        (
            {"mx_tls_certificate_arn": "arn:aws:secretsmanager:eu-west-1:1:secret:x"},
            "not an ACM certificate ARN",
        ),
        ({"egress_tasks": 5, "egress_max_tasks": 2}, "exceeds egress_max_tasks"),
        ({"task_cpu": 300}, "CPU units"),
        ({"dns_zone_name": "example.com", "mail_domains": ["mail.example.org"]}, "not in dns_zone_name"),
        (
            {"api_domain_name": "api.example.com"},
            "needs api_certificate_arn, or a dns_zone_name containing it",
        ),
        (
            {"dns_zone_name": "example.org", "tracking_domain_name": "links.example.com"},
            "needs tracking_certificate_arn",
        ),
        ({"tracking_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/x"}, "needs tracking"),
        (
            {
                "dns_zone_name": "example.com",
                "api_domain_name": "a.example.com",
                "tracking_domain_name": "a.example.com",
            },
            "must differ",
        ),
        ({"api_certificate_arn": "arn:aws:iam::123456789012:role/x"}, "not an ACM certificate ARN"),
        ({"mail_domains": ["example.com"]}, "mail_domains needs dns_zone_name"),
        (
            {
                "dns_zone_name": "example.com",
                "ip_pools": [{"name": "a", "allocation_ids": ["eipalloc-0a1b2c3d"]}],
            },
            "give each pool of allocation_ids its addresses",
        ),
        (
            {"ip_pools": [{"name": "a", "allocation_ids": ["eipalloc-0a1b2c3d"], "addresses": ["10.1.2.3"]}]},
            "not a public IPv4 address",
        ),
        (
            {"ip_pools": [{"name": "a", "allocation_ids": ["eipalloc-0a1b2c3d"], "addresses": []}]},
            "one each, in order",
        ),
        ({"dmarc_report_email": "a@example.com; p=none"}, "not an email address"),
        ({"mail_from_subdomain": "bounce.mail"}, "one DNS label"),
    ],
)
def test_network_and_tier_settings_are_checked(context: dict[str, Any], says: str) -> None:
    assert says in _error(context)


def test_certificates_validated_through_a_zone_need_the_zone_to_exist_first() -> None:
    says = _error({"dns_zone_name": "example.com", "api_domain_name": "api.example.com"})
    assert "certificates for ['api.example.com'] are validated through dns_zone_name" in says
    assert "give its dns_hosted_zone_id" in says
    submission = {"dns_zone_name": "example.com", "submission_enabled": True}
    assert "['smtp.example.com']" in _error(submission)
    config = SesameConfig.from_context({**submission, "dns_hosted_zone_id": "Z0123456789ABCDEFGHIJ"})
    assert config.submission_certificate_requested and config.submission_host == "smtp.example.com"


@pytest.mark.parametrize(
    ("context", "twice"),
    [
        ({"mail_domains": ["example.com"], "mail_host_name": "example.com", "mx_enabled": True}, "TXT"),
        ({"mail_domains": ["example.com", "bounce.example.com"]}, "TXT"),
        (
            {
                "mail_host_name": "api.example.com",
                "api_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/x",
                "api_domain_name": "api.example.com",
            },
            "A",
        ),
        ({"mail_domains": ["spf.example.com"]}, "TXT"),
    ],
)
def test_no_name_in_the_zone_gets_two_records_of_one_type(context: dict[str, Any], twice: str) -> None:
    says = _error({"dns_zone_name": "example.com", **context})
    assert f"would each get two {twice} records" in says
