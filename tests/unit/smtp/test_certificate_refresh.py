"""The refresher keeps a serving context on the current certificate: a changed chain is loaded
into the same context, an unchanged one is left alone, and a failure keeps the old one serving."""

from __future__ import annotations

import asyncio
import logging
import ssl

import pytest

from sesame.smtp.certificate_refresh import CertificateRefresher
from sesame.smtp.tls import self_signed_certificate
from sesame.smtp.tls_material import TlsMaterial, configured_server_context
from tests.support.tls_handshake import der_of, presented_certificate


def material(name: str) -> TlsMaterial:
    certificate, key = self_signed_certificate((name,))
    return TlsMaterial(certificate, key)


class Exports:
    """A stand-in for ACM's exports: the material it holds now, or the failure it raises."""

    def __init__(self, current: TlsMaterial) -> None:
        self.current = current
        self.failure: Exception | None = None
        self.calls = 0

    def __call__(self) -> TlsMaterial:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return self.current


def test_a_renewed_certificate_is_loaded_into_the_same_context() -> None:
    first, renewed = material("smtp.example.test"), material("smtp.example.test")
    exports = Exports(first)
    refresher = CertificateRefresher(context=configured_server_context(), fetch=exports)
    context = refresher.context
    assert refresher.refresh()
    assert presented_certificate(context) == der_of(first.certificate_chain)

    exports.current = renewed

    assert refresher.refresh()
    assert refresher.context is context
    assert presented_certificate(context) == der_of(renewed.certificate_chain)


def test_an_unchanged_certificate_is_not_loaded_again() -> None:
    refresher = CertificateRefresher(context=configured_server_context(), fetch=Exports(material("a.test")))
    assert refresher.refresh()
    assert not refresher.refresh()


def test_a_chain_whose_key_does_not_match_is_refused_and_the_old_one_keeps_serving() -> None:
    first = material("smtp.example.test")
    exports = Exports(first)
    refresher = CertificateRefresher(context=configured_server_context(), fetch=exports)
    refresher.refresh()
    exports.current = TlsMaterial(material("other.test").certificate_chain, first.private_key)

    with pytest.raises(ssl.SSLError):
        refresher.refresh()

    assert presented_certificate(refresher.context) == der_of(first.certificate_chain)
    exports.current = material("smtp.example.test")
    assert refresher.refresh()  # the refused chain was not remembered as served


def test_the_running_refresher_retries_after_a_failed_export_and_then_serves_the_renewal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, renewed = material("smtp.example.test"), material("smtp.example.test")
    exports = Exports(first)
    refresher = CertificateRefresher(context=configured_server_context(), fetch=exports, interval=0.02)
    refresher.refresh()
    exports.failure = RuntimeError("ACM did not answer")

    async def run() -> None:
        refresher.start()
        while exports.calls < 3:
            await asyncio.sleep(0.01)
        assert presented_certificate(refresher.context) == der_of(first.certificate_chain)
        exports.current, exports.failure = renewed, None
        for _ in range(200):
            if presented_certificate(refresher.context) == der_of(renewed.certificate_chain):
                break
            await asyncio.sleep(0.01)
        await refresher.stop()

    with caplog.at_level(logging.ERROR, logger="sesame.smtp.certificate_refresh"):
        asyncio.run(run())

    assert presented_certificate(refresher.context) == der_of(renewed.certificate_chain)
    assert any("could not refresh the TLS certificate" in r.getMessage() for r in caplog.records)


def test_a_stopped_refresher_exports_no_more() -> None:
    exports = Exports(material("a.test"))
    refresher = CertificateRefresher(context=configured_server_context(), fetch=exports, interval=0.01)

    async def run() -> None:
        refresher.start()
        await asyncio.sleep(0.05)
        await refresher.stop()
        calls = exports.calls
        await asyncio.sleep(0.05)
        assert exports.calls == calls

    asyncio.run(run())
    assert exports.calls >= 1
