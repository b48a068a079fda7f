"""Ports to the content scanners: a spam classifier and a virus scanner.

Receiving asks both when a receipt rule has ScanEnabled (the spamVerdict and virusVerdict);
sending asks the virus scanner before it accepts a message (SES's outbound content filtering).
A scanner never raises: a daemon that is down, slow or confused answers ``FAILED``, so a message
is never lost to a scanner. Adapters: ``sesame.adapters.spamd_client`` (SpamAssassin's spamd)
and ``sesame.adapters.clamd_client`` (ClamAV's clamd).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ScanStatus(StrEnum):
    CLEAN = "CLEAN"  # scanned: no spam, no virus
    FOUND = "FOUND"  # scanned: spam, or a virus
    SKIPPED = "SKIPPED"  # not scanned on purpose (e.g. larger than the scanner takes)
    FAILED = "FAILED"  # the scanner could not give an answer


@dataclass(frozen=True)
class ScanResult:
    status: ScanStatus
    # What the scanner said: the virus name, the spam score and rules, or why it failed.
    detail: str = ""

    @classmethod
    def failed(cls, why: str) -> ScanResult:
        return cls(ScanStatus.FAILED, why)


class SpamScanner(Protocol):
    def check_spam(self, raw: bytes) -> ScanResult:
        """FOUND when the message is spam; never raises."""
        ...


class VirusScanner(Protocol):
    def find_virus(self, raw: bytes) -> ScanResult:
        """FOUND (with the virus name as detail) when the message carries a virus; never raises."""
        ...
