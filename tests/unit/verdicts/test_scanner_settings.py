"""Where the scanners are: settings from the environment, and no scanner when none is set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sesame.adapters.clamd_client import ClamdClient
from sesame.adapters.spamd_client import SpamdClient
from sesame.adapters.verdict_wiring import make_spam_scanner, make_virus_scanner
from sesame.settings import Settings


def test_scanner_addresses_come_from_the_environment() -> None:
    settings = Settings.from_environment(
        {"SESAME_SPAMD_ADDRESS": "spamd.internal:783", "SESAME_CLAMD_ADDRESS": "[::1]:3310"}
    )
    assert (settings.spamd_address, settings.clamd_address) == ("spamd.internal:783", "[::1]:3310")
    assert isinstance(make_spam_scanner(settings), SpamdClient)
    assert isinstance(make_virus_scanner(settings), ClamdClient)


def test_without_addresses_there_are_no_scanners() -> None:
    settings = Settings.from_environment({})
    assert make_spam_scanner(settings) is None and make_virus_scanner(settings) is None


@pytest.mark.parametrize("address", ["clamd", "clamd:", "clamd:99999", ":3310"])
def test_a_malformed_address_is_refused_at_start(address: str) -> None:
    with pytest.raises(ValidationError):
        Settings(clamd_address=address)
