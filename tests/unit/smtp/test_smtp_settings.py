"""The submission server's settings come from SESAME_SMTP_* variables, validated at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls import self_signed_certificate, server_tls_from_settings


def test_settings_read_from_the_environment() -> None:
    settings = SmtpSettings.from_environment(
        {
            "SESAME_SMTP_SUBMISSION_PORT": "587",
            "SESAME_SMTP_SMTPS_PORT": "465",
            "SESAME_SMTP_MAX_CONNECTIONS_PER_ADDRESS": "5",
            "SESAME_SMTP_IDLE_TIMEOUT": "10",
            "SESAME_SMTP_HOST_NAME": "email-smtp.example.test",
        }
    )
    assert (settings.submission_port, settings.smtps_port) == (587, 465)
    assert settings.max_connections_per_address == 5 and settings.idle_timeout == 10.0
    assert settings.host_name == "email-smtp.example.test"
    assert not settings.has_certificate


def test_a_certificate_needs_its_key() -> None:
    with pytest.raises(ValidationError):
        SmtpSettings.from_environment({"SESAME_SMTP_TLS_CERTIFICATE": "-----BEGIN CERTIFICATE-----"})


def test_a_server_without_a_certificate_does_not_start() -> None:
    with pytest.raises(ValueError, match="TLS certificate"):
        server_tls_from_settings(SmtpSettings())


def test_the_tls_context_from_pem_settings_refuses_anything_older_than_tls_1_2() -> None:
    import ssl

    certificate, key = self_signed_certificate(("smtp.example.test",))
    settings = SmtpSettings.from_environment(
        {"SESAME_SMTP_TLS_CERTIFICATE": certificate.decode(), "SESAME_SMTP_TLS_PRIVATE_KEY": key.decode()}
    )
    context = server_tls_from_settings(settings).context
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2


ACM_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0d4b6c1e-8f3a-4c2d-9e7b-1a2b3c4d5e6f"


def test_an_acm_certificate_and_its_refresh_interval_are_read_from_the_environment() -> None:
    settings = SmtpSettings.from_environment(
        {"SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN": ACM_ARN, "SESAME_SMTP_TLS_REFRESH_SECONDS": "600"}
    )
    assert settings.tls_acm_certificate_arn == ACM_ARN and settings.tls_refresh_seconds == 600.0
    assert settings.has_certificate


def test_the_acm_certificate_is_refreshed_twice_a_day_by_default() -> None:
    assert SmtpSettings(tls_acm_certificate_arn=ACM_ARN).tls_refresh_seconds == 12 * 3600


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:server-certificate/smtp",
        "arn:aws:acm:eu-west-1:123456789012:private-key/abc",
        "arn:aws:acm:eu-west-1:1234:certificate/abc",
        "0d4b6c1e-8f3a-4c2d-9e7b-1a2b3c4d5e6f",
    ],
)
def test_an_arn_that_is_not_an_acm_certificate_is_refused(arn: str) -> None:
    with pytest.raises(ValidationError, match="not an ACM certificate ARN"):
        SmtpSettings.from_environment({"SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN": arn})


def test_acm_certificate_arns_of_other_partitions_are_taken() -> None:
    arn = "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0d4b6c1e"
    assert SmtpSettings(tls_acm_certificate_arn=arn).tls_acm_certificate_arn == arn


@pytest.mark.parametrize(
    "certificate",
    [
        {"SESAME_SMTP_TLS_CERTIFICATE": "cert", "SESAME_SMTP_TLS_PRIVATE_KEY": "key"},
        {"SESAME_SMTP_TLS_CERTIFICATE_FILE": "/c.pem", "SESAME_SMTP_TLS_PRIVATE_KEY_FILE": "/k.pem"},
    ],
    ids=["pem", "files"],
)
def test_an_acm_certificate_is_exclusive_with_a_pem_certificate(certificate: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="ACM certificate ARN or as PEM, not both"):
        SmtpSettings.from_environment({"SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN": ACM_ARN, **certificate})


def test_an_acm_certificate_cannot_be_served_without_an_acm_client() -> None:
    with pytest.raises(ValueError, match="no ACM client"):
        server_tls_from_settings(SmtpSettings(tls_acm_certificate_arn=ACM_ARN))


def test_the_mx_takes_an_acm_certificate_exclusive_with_pem_and_checks_its_arn() -> None:
    from sesame.smtp.mx_settings import MxSettings

    settings = MxSettings.from_environment(
        {"SESAME_MX_TLS_ACM_CERTIFICATE_ARN": ACM_ARN, "SESAME_MX_TLS_REFRESH_SECONDS": "60"}
    )
    assert settings.tls_acm_certificate_arn == ACM_ARN and settings.tls_refresh_seconds == 60.0
    with pytest.raises(ValidationError, match="not both"):
        MxSettings.from_environment(
            {
                "SESAME_MX_TLS_ACM_CERTIFICATE_ARN": ACM_ARN,
                "SESAME_MX_TLS_CERTIFICATE": "cert",
                "SESAME_MX_TLS_PRIVATE_KEY": "key",
            }
        )
    with pytest.raises(ValidationError, match="not an ACM certificate ARN"):
        MxSettings.from_environment({"SESAME_MX_TLS_ACM_CERTIFICATE_ARN": "arn:aws:acm:nowhere"})
