"""The VerificationMailer used until the sending pipeline can deliver verification mail: it logs
the link, which is all local mode and tests need to follow it."""

from __future__ import annotations

import logging

log = logging.getLogger("sesame.verification")


class LoggingVerificationMailer:
    def send_verification(self, account_id: str, address: str, link: str) -> None:
        log.info("verification link for %s: %s", address, link)
