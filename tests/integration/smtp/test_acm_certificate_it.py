"""The submission server serving an ACM exportable certificate (ACM on moto): exported through
the real SDK, presented over real STARTTLS and implicit TLS, and replaced in place when the
certificate behind the ARN is renewed."""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sesame.adapters.acm_certificates import AcmCertificateError, export_tls_material
from sesame.smtp.server import SubmissionServer, build_submission_server
from sesame.smtp.settings import SmtpSettings
from sesame.smtp.tls import server_tls_from_settings
from tests.integration.smtp.conftest import World, insecure_context
from tests.support.tls_handshake import der_of

pytestmark = pytest.mark.integration

HOST_NAME = "smtp.sesame.test"


def request_certificate(acm: Any, *, exportable: bool = True) -> str:
    options = {"Export": "ENABLED" if exportable else "DISABLED"}
    answer = acm.request_certificate(DomainName=HOST_NAME, ValidationMethod="DNS", Options=options)
    return str(answer["CertificateArn"])


def current_certificate(acm: Any, arn: str) -> bytes:
    return str(acm.get_certificate(CertificateArn=arn)["Certificate"]).encode()


class RenewingAcm:
    """The real ACM client, except that the ARN the server uses answers with the certificate
    it is pointed at: how a renewal looks from outside (same ARN, new certificate)."""

    def __init__(self, acm: Any) -> None:
        self._acm = acm
        self.meta = acm.meta
        self.behind: dict[str, str] = {}

    def renew(self, arn: str, renewed: str) -> None:
        self.behind[arn] = renewed

    def export_certificate(self, *, CertificateArn: str, Passphrase: bytes) -> Any:
        arn = self.behind.get(CertificateArn, CertificateArn)
        return self._acm.export_certificate(CertificateArn=arn, Passphrase=Passphrase)


@pytest.fixture
def acm(world: World) -> Any:
    return world.aws.client("acm")


@pytest.fixture
def start_acm_server(world: World) -> Iterator[Callable[..., SubmissionServer]]:
    """A submission server whose certificate is the ACM certificate in its settings."""
    started: list[SubmissionServer] = []

    def start(acm_client: Any, arn: str, **overrides: Any) -> SubmissionServer:
        settings = SmtpSettings(
            host="127.0.0.1",
            submission_port=0,
            smtps_port=0,
            shutdown_grace=5,
            tls_acm_certificate_arn=arn,
            **overrides,
        )
        tls = server_tls_from_settings(settings, lambda arn: export_tls_material(acm_client, arn))
        server = build_submission_server(
            world.services, settings, tls.context, certificate_refresher=tls.refresher
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def starttls_certificate(server: SubmissionServer) -> bytes:
    with smtplib.SMTP("127.0.0.1", server.submission_port, timeout=30) as client:
        client.starttls(context=insecure_context())
        assert isinstance(client.sock, ssl.SSLSocket)
        der = client.sock.getpeercert(binary_form=True)
    assert der is not None
    return der


def implicit_tls_certificate(server: SubmissionServer) -> bytes:
    with smtplib.SMTP_SSL("127.0.0.1", server.smtps_port, timeout=30, context=insecure_context()) as client:
        assert isinstance(client.sock, ssl.SSLSocket)
        der = client.sock.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_the_export_gives_the_certificate_then_its_chain_and_the_matching_unencrypted_key(acm: Any) -> None:
    arn = request_certificate(acm)

    material = export_tls_material(acm, arn)

    assert der_of(material.certificate_chain) == der_of(current_certificate(acm, arn))
    chain = x509.load_pem_x509_certificates(material.certificate_chain)
    assert len(chain) >= 2  # ACM's chain follows the certificate
    key = serialization.load_pem_private_key(material.private_key, password=None)
    assert material.private_key.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key.public_key().public_numbers() == chain[0].public_key().public_numbers()  # type: ignore[union-attr]


def test_a_certificate_created_without_export_is_refused_naming_it_and_the_fix(acm: Any) -> None:
    arn = request_certificate(acm, exportable=False)
    with pytest.raises(AcmCertificateError, match="export enabled") as refused:
        export_tls_material(acm, arn)
    assert arn in str(refused.value)


def test_an_unknown_certificate_is_refused_naming_it_and_the_region(acm: Any) -> None:
    arn = request_certificate(acm).rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(AcmCertificateError, match="no such certificate") as refused:
        export_tls_material(acm, arn)
    assert arn in str(refused.value) and acm.meta.region_name in str(refused.value)


def test_the_server_presents_the_acm_certificate_over_starttls_and_implicit_tls(
    acm: Any, start_acm_server: Callable[..., SubmissionServer]
) -> None:
    arn = request_certificate(acm)

    server = start_acm_server(acm, arn)

    expected = der_of(current_certificate(acm, arn))
    assert starttls_certificate(server) == expected
    assert implicit_tls_certificate(server) == expected


def test_a_renewed_certificate_serves_new_connections_after_the_next_refresh(
    acm: Any, start_acm_server: Callable[..., SubmissionServer]
) -> None:
    arn, renewal = request_certificate(acm), request_certificate(acm)
    renewing = RenewingAcm(acm)
    server = start_acm_server(renewing, arn, tls_refresh_seconds=0.2)
    assert starttls_certificate(server) == der_of(current_certificate(acm, arn))

    renewing.renew(arn, renewal)

    renewed = der_of(current_certificate(acm, renewal))
    deadline = time.monotonic() + 15
    while starttls_certificate(server) != renewed and time.monotonic() < deadline:
        time.sleep(0.1)
    assert starttls_certificate(server) == renewed
    assert implicit_tls_certificate(server) == renewed


def test_a_server_whose_certificate_cannot_be_exported_does_not_start(acm: Any, world: World) -> None:
    arn = request_certificate(acm, exportable=False)
    settings = SmtpSettings(tls_acm_certificate_arn=arn)
    with pytest.raises(AcmCertificateError, match=arn):
        server_tls_from_settings(settings, lambda arn: export_tls_material(acm, arn))
