"""SES's receipt verdicts on one incoming message: SPF, DKIM, DMARC, spam and virus.

``evaluate_verdicts`` runs every check once per message, after it is stored and before the
rules' actions run; the result goes into the notification's ``receipt`` object
(``receipt_fields``) and into the stored message's header (``headers`` / ``stamp``). Nothing
here raises for a property of the message or a failing dependency: DNS trouble is
PROCESSING_FAILED for the check that needed it, and a scanner that is absent (not configured)
gives GRAY while one that fails gives PROCESSING_FAILED, so a message is never lost to a check.

The spam and virus scans run only when the matching rule has ScanEnabled; the spam scan, the
slowest step, runs on its own thread while the rest go on.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sesame.domain.content_scanning import ScanResult, ScanStatus, SpamScanner, VirusScanner
from sesame.domain.receiving.auth_dns import MailAuthDns
from sesame.domain.receiving.dkim_check import DkimOutcome, check_dkim
from sesame.domain.receiving.dmarc_check import DmarcOutcome, check_dmarc
from sesame.domain.receiving.receipt_headers import (
    SES_AUTHSERV_ID,
    authentication_results,
    fold_for,
    receipt_token,
    spf_result_text,
)
from sesame.domain.receiving.spf_check import DEFAULT_QUERY_TIME, SpfOutcome, check_spf
from sesame.domain.receiving.verdict_status import DmarcPolicy, VerdictStatus

log = logging.getLogger(__name__)

NOT_SCANNED = ScanResult(ScanStatus.SKIPPED, "not scanned")


def scan_verdict(result: ScanResult) -> VerdictStatus:
    return {
        ScanStatus.CLEAN: VerdictStatus.PASS,
        ScanStatus.FOUND: VerdictStatus.FAIL,
        ScanStatus.SKIPPED: VerdictStatus.GRAY,
        ScanStatus.FAILED: VerdictStatus.PROCESSING_FAILED,
    }[result.status]


@dataclass(frozen=True)
class Verdicts:
    spf: VerdictStatus
    dkim: VerdictStatus
    dmarc: VerdictStatus
    dmarc_policy: DmarcPolicy | None  # only when DMARC failed
    spam: VerdictStatus
    virus: VerdictStatus
    # The fields to put above the original message, in order; values folded with CRLF.
    headers: tuple[tuple[str, str], ...]
    # What each check found, for logs and for callers that want more than the verdicts.
    spf_check: SpfOutcome
    dkim_check: DkimOutcome
    dmarc_check: DmarcOutcome
    spam_scan: ScanResult
    virus_scan: ScanResult

    def receipt_fields(self) -> dict[str, Any]:
        """The verdict fields of SES's ``receipt`` object (notifications, Lambda events)."""
        fields: dict[str, Any] = {
            "spamVerdict": {"status": self.spam.value},
            "virusVerdict": {"status": self.virus.value},
            "spfVerdict": {"status": self.spf.value},
            "dkimVerdict": {"status": self.dkim.value},
            "dmarcVerdict": {"status": self.dmarc.value},
        }
        if self.dmarc_policy is not None:
            fields["dmarcPolicy"] = self.dmarc_policy.value
        return fields

    def header_block(self, line_ending: bytes = b"\r\n") -> bytes:
        return b"".join(
            name.encode("ascii") + b": " + fold_for(value, line_ending) + line_ending
            for name, value in self.headers
        )

    def stamp(self, raw: bytes) -> bytes:
        """``raw`` with the verdict fields on top, in the message's own line ending."""
        first_line = raw.split(b"\n", 1)[0]
        line_ending = b"\r\n" if first_line.endswith(b"\r") or b"\n" not in raw else b"\n"
        return self.header_block(line_ending) + raw


def _scan(name: str, scan: Callable[[bytes], ScanResult], raw: bytes) -> ScanResult:
    try:
        result = scan(raw)
    except Exception:
        # The port promises not to raise; a scanner that does anyway costs its verdict only.
        log.exception("%s scanner failed", name)
        return ScanResult.failed(f"{name} scanner raised")
    if not isinstance(result, ScanResult):
        return ScanResult.failed(f"{name} scanner gave no result")
    return result


def evaluate_verdicts(
    raw: bytes,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    scan: bool,
    dns: MailAuthDns,
    spam_scanner: SpamScanner | None = None,
    virus_scanner: VirusScanner | None = None,
    authserv_id: str = SES_AUTHSERV_ID,
    spf_query_time: float = DEFAULT_QUERY_TIME,
) -> Verdicts:
    """The verdicts on ``raw`` as received from ``client_ip`` after ``HELO helo`` and
    ``MAIL FROM:<mail_from>`` ("" for the null reverse path). ``scan``: the rule's ScanEnabled."""
    spam_future: concurrent.futures.Future[ScanResult] | None = None
    executor: concurrent.futures.ThreadPoolExecutor | None = None
    if scan and spam_scanner is not None:
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="spam-scan")
        spam_future = executor.submit(_scan, "spam", spam_scanner.check_spam, raw)
    try:
        virus_scan = NOT_SCANNED
        if scan and virus_scanner is not None:
            virus_scan = _scan("virus", virus_scanner.find_virus, raw)
        spf = check_spf(dns, client_ip=client_ip, helo=helo, mail_from=mail_from, query_time=spf_query_time)
        dkim = check_dkim(raw, dns)
        dmarc = check_dmarc(raw, dns, spf=spf, dkim=dkim)
        spam_scan = spam_future.result() if spam_future is not None else NOT_SCANNED
    finally:
        if executor is not None:
            executor.shutdown(wait=True)

    spam, virus = scan_verdict(spam_scan), scan_verdict(virus_scan)
    summary = f"{spf.verdict} {dkim.verdict} {dmarc.verdict} {spam} {virus}"
    headers = (
        ("X-SES-Spam-Verdict", spam.value),
        ("X-SES-Virus-Verdict", virus.value),
        ("Received-SPF", spf_result_text(spf)),
        ("Authentication-Results", authentication_results(spf, dkim, dmarc, authserv_id=authserv_id)),
        ("X-SES-RECEIPT", receipt_token(raw, summary)),
    )
    return Verdicts(
        spf=spf.verdict,
        dkim=dkim.verdict,
        dmarc=dmarc.verdict,
        dmarc_policy=dmarc.failed_policy,
        spam=spam,
        virus=virus,
        headers=headers,
        spf_check=spf,
        dkim_check=dkim,
        dmarc_check=dmarc,
        spam_scan=spam_scan,
        virus_scan=virus_scan,
    )


class VerdictEvaluator:
    """``evaluate_verdicts`` with its dependencies bound, built once per process from the
    settings (``sesame.adapters.verdict_wiring.make_verdict_evaluator``)."""

    def __init__(
        self,
        *,
        dns: MailAuthDns,
        spam_scanner: SpamScanner | None = None,
        virus_scanner: VirusScanner | None = None,
        authserv_id: str = SES_AUTHSERV_ID,
    ) -> None:
        self._dns = dns
        self._spam_scanner = spam_scanner
        self._virus_scanner = virus_scanner
        self._authserv_id = authserv_id

    def evaluate(self, raw: bytes, *, client_ip: str, helo: str, mail_from: str, scan: bool) -> Verdicts:
        return evaluate_verdicts(
            raw,
            client_ip=client_ip,
            helo=helo,
            mail_from=mail_from,
            scan=scan,
            dns=self._dns,
            spam_scanner=self._spam_scanner,
            virus_scanner=self._virus_scanner,
            authserv_id=self._authserv_id,
        )
