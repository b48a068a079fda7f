"""The submission server's settings come from SESAME_SMTP_* variables, validated at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls import context_from_settings, self_signed_certificate


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
        context_from_settings(SmtpSettings())


def test_the_tls_context_from_pem_settings_refuses_anything_older_than_tls_1_2() -> None:
    import ssl

    certificate, key = self_signed_certificate(("smtp.example.test",))
    settings = SmtpSettings.from_environment(
        {"SESAME_SMTP_TLS_CERTIFICATE": certificate.decode(), "SESAME_SMTP_TLS_PRIVATE_KEY": key.decode()}
    )
    context = context_from_settings(settings)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
