"""Spam and virus verdicts from the real daemons: spamd (SpamAssassin's rules, GTUBE) and clamd
(the test signature shipped under tests/support/clamav), spoken to over their TCP protocols,
and what the verdicts become when a daemon is down, hangs or refuses the message."""

from __future__ import annotations

import base64
import time

import pytest

from sesame.adapters.clamd_client import ClamdClient
from sesame.adapters.mail_auth_dns import DnsPythonMailAuth
from sesame.adapters.spamd_client import SpamdClient
from sesame.domain.content_scanning import ScanStatus
from sesame.domain.receiving.verdicts import Verdicts, evaluate_verdicts
from tests.support.scanners import (
    GTUBE,
    TEST_VIRUS,
    TEST_VIRUS_NAME,
    ClamdDaemon,
    HangingListener,
    SpamdDaemon,
    free_port,
)

pytestmark = pytest.mark.integration


def message(body: bytes, *, subject: str = "Quarterly figures") -> bytes:
    return (
        b"Received: from mail.sender.example (mail.sender.example [192.0.2.25])\r\n"
        b" by mx.inbox.example; Sat, 29 Nov 2025 10:00:00 +0000\r\n"
        b"From: Alice <alice@sender.example>\r\n"
        b"To: bob@inbox.example\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"Date: Sat, 29 Nov 2025 10:00:00 +0000\r\n"
        b"Message-ID: <figures-1@sender.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n" + body + b"\r\n"
    )


def with_attachment(content: bytes) -> bytes:
    encoded = base64.encodebytes(content).replace(b"\n", b"\r\n")
    return (
        b"From: Alice <alice@sender.example>\r\n"
        b"To: bob@inbox.example\r\n"
        b"Subject: The report\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n'
        b"\r\n"
        b"--b1\r\n"
        b"Content-Type: text/plain\r\n\r\n"
        b"See the attached report.\r\n"
        b"--b1\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="report.bin"\r\n\r\n' + encoded + b"--b1--\r\n"
    )


HAM = message(b"The figures are attached to the shared drive as usual.\r\nRegards, Alice")


def scanned(
    dns: DnsPythonMailAuth, raw: bytes, *, spamd: str | None, clamd: str | None, scan: bool = True
) -> Verdicts:
    return evaluate_verdicts(
        raw,
        client_ip="192.0.2.25",
        helo="mail.sender.example",
        mail_from="alice@sender.example",
        scan=scan,
        dns=dns,
        spam_scanner=SpamdClient(spamd) if spamd else None,
        virus_scanner=ClamdClient(clamd) if clamd else None,
    )


# --- the clients against the daemons ----------------------------------------------------------


def test_spamd_finds_gtube_spam(spamd: SpamdDaemon) -> None:
    result = SpamdClient(spamd.address).check_spam(message(GTUBE))
    assert result.status == ScanStatus.FOUND
    assert "GTUBE" in result.detail


def test_spamd_passes_an_ordinary_message(spamd: SpamdDaemon) -> None:
    result = SpamdClient(spamd.address).check_spam(HAM)
    assert result.status == ScanStatus.CLEAN
    assert "GTUBE" not in result.detail


def test_clamd_finds_the_test_signature_in_the_body(clamd: ClamdDaemon) -> None:
    result = ClamdClient(clamd.address).find_virus(message(b"payload " + TEST_VIRUS))
    assert (result.status, result.detail) == (ScanStatus.FOUND, TEST_VIRUS_NAME)


def test_clamd_finds_the_test_signature_in_a_base64_attachment(clamd: ClamdDaemon) -> None:
    result = ClamdClient(clamd.address).find_virus(with_attachment(b"\x00\x01" + TEST_VIRUS + b"\x02"))
    assert (result.status, result.detail) == (ScanStatus.FOUND, TEST_VIRUS_NAME)


def test_clamd_passes_a_clean_message_and_a_large_one(clamd: ClamdDaemon) -> None:
    client = ClamdClient(clamd.address)
    assert client.find_virus(HAM).status == ScanStatus.CLEAN
    assert client.find_virus(with_attachment(bytes(range(256)) * 8192)).status == ScanStatus.CLEAN  # 2 MiB


def test_a_message_over_clamds_stream_limit_is_a_failed_scan() -> None:
    with ClamdDaemon(stream_max_length="64K") as small:
        result = ClamdClient(small.address).find_virus(message(b"x" * 200_000))
    assert result.status == ScanStatus.FAILED
    assert "limit" in result.detail.lower()


def test_a_daemon_that_is_down_is_a_failed_scan_at_once() -> None:
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    assert SpamdClient(address).check_spam(HAM).status == ScanStatus.FAILED
    assert ClamdClient(address).find_virus(HAM).status == ScanStatus.FAILED
    assert time.monotonic() - started < 1.0


def test_a_daemon_that_never_answers_is_a_failed_scan_after_the_timeout() -> None:
    with HangingListener() as silent:
        started = time.monotonic()
        assert SpamdClient(silent.address, timeout=0.5).check_spam(HAM).status == ScanStatus.FAILED
        assert ClamdClient(silent.address, timeout=0.5).find_virus(HAM).status == ScanStatus.FAILED
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3.0


def test_spamd_skips_a_message_larger_than_it_takes(spamd: SpamdDaemon) -> None:
    result = SpamdClient(spamd.address, max_size=1000).check_spam(message(GTUBE + b"\r\n" + b"y" * 2000))
    assert result.status == ScanStatus.SKIPPED


# --- the verdicts -----------------------------------------------------------------------------


def test_gtube_gets_a_failing_spam_verdict_and_a_clean_virus_verdict(
    dns: DnsPythonMailAuth, spamd: SpamdDaemon, clamd: ClamdDaemon
) -> None:
    result = scanned(dns, message(GTUBE), spamd=spamd.address, clamd=clamd.address)
    assert (result.spam, result.virus) == ("FAIL", "PASS")
    assert result.receipt_fields()["spamVerdict"] == {"status": "FAIL"}
    assert dict(result.headers)["X-SES-Spam-Verdict"] == "FAIL"
    assert dict(result.headers)["X-SES-Virus-Verdict"] == "PASS"


def test_the_test_signature_gets_a_failing_virus_verdict(
    dns: DnsPythonMailAuth, spamd: SpamdDaemon, clamd: ClamdDaemon
) -> None:
    result = scanned(dns, with_attachment(TEST_VIRUS), spamd=spamd.address, clamd=clamd.address)
    assert result.virus == "FAIL"
    assert result.virus_scan.detail == TEST_VIRUS_NAME
    assert result.receipt_fields()["virusVerdict"] == {"status": "FAIL"}
    assert dict(result.headers)["X-SES-Virus-Verdict"] == "FAIL"


def test_a_clean_message_passes_both_scans(
    dns: DnsPythonMailAuth, spamd: SpamdDaemon, clamd: ClamdDaemon
) -> None:
    result = scanned(dns, HAM, spamd=spamd.address, clamd=clamd.address)
    assert (result.spam, result.virus) == ("PASS", "PASS")


def test_without_scan_enabled_the_scanners_are_not_asked(dns: DnsPythonMailAuth) -> None:
    with HangingListener() as silent:
        started = time.monotonic()
        result = scanned(dns, message(GTUBE), spamd=silent.address, clamd=silent.address, scan=False)
    assert (result.spam, result.virus) == ("GRAY", "GRAY")
    assert time.monotonic() - started < 1.0


def test_scanners_that_are_not_configured_give_gray(dns: DnsPythonMailAuth) -> None:
    result = scanned(dns, message(GTUBE), spamd=None, clamd=None)
    assert (result.spam, result.virus) == ("GRAY", "GRAY")


def test_daemons_that_are_down_give_processing_failed_and_the_rest_still_evaluates(
    dns: DnsPythonMailAuth,
) -> None:
    down = f"127.0.0.1:{free_port()}"
    result = scanned(dns, message(GTUBE), spamd=down, clamd=down)
    assert (result.spam, result.virus) == ("PROCESSING_FAILED", "PROCESSING_FAILED")
    assert dict(result.headers)["X-SES-Spam-Verdict"] == "PROCESSING_FAILED"
    assert result.spf == "GRAY"  # no SPF record published: evaluated all the same
