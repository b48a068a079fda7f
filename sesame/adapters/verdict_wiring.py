"""Builds the receipt verdicts' evaluator from settings: DNS through ``settings.dns_server``,
spamd and clamd at ``settings.spamd_address`` / ``settings.clamd_address`` when configured."""

from __future__ import annotations

from sesame.adapters.clamd_client import DEFAULT_TIMEOUT as CLAMD_TIMEOUT
from sesame.adapters.clamd_client import ClamdClient
from sesame.adapters.mail_auth_dns import DnsPythonMailAuth
from sesame.adapters.spamd_client import SpamdClient
from sesame.domain.receiving.verdicts import VerdictEvaluator
from sesame.settings import Settings

# A send waits for the outbound scan inside the API call or SMTP DATA: it gets less patience
# than the asynchronous receiving side.
OUTBOUND_SCAN_TIMEOUT = 15.0


def make_virus_scanner(settings: Settings, *, timeout: float = CLAMD_TIMEOUT) -> ClamdClient | None:
    return ClamdClient(settings.clamd_address, timeout=timeout) if settings.clamd_address else None


def make_spam_scanner(settings: Settings) -> SpamdClient | None:
    return SpamdClient(settings.spamd_address) if settings.spamd_address else None


def make_verdict_evaluator(settings: Settings, *, cache_dns: bool = False) -> VerdictEvaluator:
    return VerdictEvaluator(
        dns=DnsPythonMailAuth(settings.dns_server, cache=cache_dns),
        spam_scanner=make_spam_scanner(settings),
        virus_scanner=make_virus_scanner(settings),
    )
