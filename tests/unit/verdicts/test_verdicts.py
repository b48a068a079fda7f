"""The verdicts as a whole: scanning only when asked, scanner faults contained, SES's receipt
fields, and the header fields in SES's shapes, safe from what the client sent."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from sesame.domain.content_scanning import ScanResult, ScanStatus
from sesame.domain.receiving.verdicts import Verdicts, evaluate_verdicts
from tests.unit.verdicts.fake_dns import FakeMailAuthDns

RAW = b"From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


@dataclass
class FakeScanner:
    result: ScanResult = field(default_factory=lambda: ScanResult(ScanStatus.CLEAN))
    calls: int = 0
    explode: bool = False

    def _scan(self, raw: bytes) -> ScanResult:
        self.calls += 1
        if self.explode:
            raise RuntimeError("scanner bug")
        return self.result

    def check_spam(self, raw: bytes) -> ScanResult:
        return self._scan(raw)

    def find_virus(self, raw: bytes) -> ScanResult:
        return self._scan(raw)


def evaluate(
    *,
    scan: bool = True,
    spam: FakeScanner | None = None,
    virus: FakeScanner | None = None,
    dns: FakeMailAuthDns | None = None,
    raw: bytes = RAW,
    helo: str = "mx.example.com",
    mail_from: str = "alice@example.com",
) -> Verdicts:
    return evaluate_verdicts(
        raw,
        client_ip="192.0.2.1",
        helo=helo,
        mail_from=mail_from,
        scan=scan,
        dns=dns or FakeMailAuthDns(),
        spam_scanner=spam,
        virus_scanner=virus,
    )


def test_scan_results_become_verdicts() -> None:
    spam = FakeScanner(ScanResult(ScanStatus.FOUND, "score=9"))
    virus = FakeScanner(ScanResult(ScanStatus.FAILED, "down"))
    result = evaluate(spam=spam, virus=virus)
    assert (result.spam, result.virus) == ("FAIL", "PROCESSING_FAILED")
    skipped = evaluate(spam=FakeScanner(ScanResult(ScanStatus.SKIPPED)), virus=FakeScanner())
    assert (skipped.spam, skipped.virus) == ("GRAY", "PASS")


def test_without_scan_enabled_no_scanner_is_called() -> None:
    spam, virus = FakeScanner(), FakeScanner()
    result = evaluate(scan=False, spam=spam, virus=virus)
    assert (result.spam, result.virus, spam.calls, virus.calls) == ("GRAY", "GRAY", 0, 0)


def test_a_scanner_that_raises_costs_only_its_own_verdict() -> None:
    result = evaluate(spam=FakeScanner(explode=True), virus=FakeScanner())
    assert (result.spam, result.virus, result.spf) == ("PROCESSING_FAILED", "PASS", "GRAY")


def test_receipt_fields_have_ses_shape_and_dmarc_policy_only_on_failure() -> None:
    dns = FakeMailAuthDns()
    dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject")
    failing = evaluate(dns=dns, spam=FakeScanner(), virus=FakeScanner())
    assert failing.receipt_fields() == {
        "spamVerdict": {"status": "PASS"},
        "virusVerdict": {"status": "PASS"},
        "spfVerdict": {"status": "GRAY"},
        "dkimVerdict": {"status": "GRAY"},
        "dmarcVerdict": {"status": "FAIL"},
        "dmarcPolicy": "reject",
    }
    assert "dmarcPolicy" not in evaluate().receipt_fields()


def test_hostile_envelope_values_cannot_break_the_fields() -> None:
    result = evaluate(helo="evil) (x; dkim=pass\r\nX-Injected: 1", mail_from='a";b@example.com')
    for name, value in result.headers:
        unfolded = value.replace("\r\n ", " ")
        assert "\r" not in unfolded and "\n" not in unfolded, name
    received_spf = dict(result.headers)["Received-SPF"]
    assert 'helo="evil) (x; dkim=pass' in received_spf and 'X-Injected: 1";' in received_spf
    assert received_spf.startswith(
        "none (spfCheck: domain of example.com does not designate permitted sender hosts) client-ip="
    )
    assert 'envelope-from="a\\";b@example.com";' in received_spf


def test_stamp_keeps_the_message_line_ending() -> None:
    result = evaluate()
    lf = RAW.replace(b"\r\n", b"\n")
    stamped = result.stamp(lf)
    assert stamped.endswith(lf) and b"\r" not in stamped
    assert result.stamp(RAW).startswith(b"X-SES-Spam-Verdict: GRAY\r\nX-SES-Virus-Verdict: GRAY\r\n")


def test_the_receipt_token_has_ses_shape_and_follows_message_and_verdicts() -> None:
    token = dict(evaluate().headers)["X-SES-RECEIPT"]
    inner = base64.b64decode(base64.b64decode(token))
    assert inner.startswith(bytes(8))
    assert dict(evaluate().headers)["X-SES-RECEIPT"] == token
    assert dict(evaluate(raw=RAW + b"more\r\n").headers)["X-SES-RECEIPT"] != token
    assert dict(evaluate(spam=FakeScanner(ScanResult(ScanStatus.FOUND))).headers)["X-SES-RECEIPT"] != token
