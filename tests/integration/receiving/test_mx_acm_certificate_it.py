"""The MX serving an ACM exportable certificate (ACM on moto), renewed in place while it runs."""

from __future__ import annotations

import smtplib
import ssl
import time

import pytest

from sesame.adapters.acm_certificates import export_tls_material
from sesame.adapters.receiving_wiring import make_acceptance, make_mx_policy
from sesame.smtp.mx import MxServer
from sesame.smtp.mx_settings import MxSettings
from tests.integration.receiving.conftest import World
from tests.support.tls_handshake import der_of

pytestmark = pytest.mark.integration


def presented(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.starttls(context=context)
        assert isinstance(client.sock, ssl.SSLSocket)
        der = client.sock.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_the_mx_presents_its_acm_certificate_and_then_the_renewed_one(world: World) -> None:
    acm = world.aws.client("acm")
    arn, renewal = (
        acm.request_certificate(DomainName="mx.sesame.test", Options={"Export": "ENABLED"})["CertificateArn"]
        for _ in range(2)
    )
    behind = {arn: arn}  # the ARN the server uses -> the certificate ACM holds for it now
    settings = MxSettings(host="127.0.0.1", port=0, tls_acm_certificate_arn=arn, tls_refresh_seconds=0.2)
    tls = settings.server_tls("mx.sesame.test", lambda served: export_tls_material(acm, behind[served]))
    server = MxServer(
        host="127.0.0.1",
        port=0,
        policy=make_mx_policy(world.settings, world.aws, identities=world.services.identities),
        acceptance=make_acceptance(world.settings, world.aws),
        tls_context=tls.context,
        certificate_refresher=tls.refresher,
        host_name="mx.sesame.test",
    )
    server.start()
    try:
        assert presented(server.port) == der_of(
            acm.get_certificate(CertificateArn=arn)["Certificate"].encode()
        )

        behind[arn] = renewal

        renewed = der_of(acm.get_certificate(CertificateArn=renewal)["Certificate"].encode())
        deadline = time.monotonic() + 15
        while presented(server.port) != renewed and time.monotonic() < deadline:
            time.sleep(0.1)
        assert presented(server.port) == renewed
    finally:
        server.stop()
