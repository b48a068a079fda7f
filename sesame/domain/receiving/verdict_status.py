"""The values of SES's receipt verdicts."""

from __future__ import annotations

from enum import StrEnum


class VerdictStatus(StrEnum):
    """``status`` of spamVerdict, virusVerdict, spfVerdict, dkimVerdict and dmarcVerdict."""

    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    GRAY = "GRAY"  # no policy, no signature, not scanned, or no confident answer
    PROCESSING_FAILED = "PROCESSING_FAILED"  # the check could not be carried out


class DmarcPolicy(StrEnum):
    """``dmarcPolicy``: what the From domain's owner asks for mail that fails DMARC."""

    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"
