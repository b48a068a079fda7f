"""Signed verification links: genuine ones open, altered or old ones do not."""

from __future__ import annotations

import base64
import json

import pytest

from sesame.domain.verification_links import (
    LinkExpired,
    LinkInvalid,
    issue_token,
    link_for,
    open_token,
)
from tests.unit.identities.fakes import FakeMac

NOW = 1_800_000_000.0


def test_a_genuine_token_names_its_account_address_and_expiry() -> None:
    token = issue_token(FakeMac(), "111111111111", "jane@example.com", NOW + 60)
    claim = open_token(FakeMac(), token, NOW)
    assert (claim.account_id, claim.address, claim.expires_at) == (
        "111111111111",
        "jane@example.com",
        NOW + 60,
    )


def test_addresses_with_odd_characters_survive() -> None:
    address = 'we"ird|name.+tag@example.com'
    token = issue_token(FakeMac(), "1", address, NOW + 60)
    assert open_token(FakeMac(), token, NOW).address == address


def test_an_expired_token_says_so_and_for_whom() -> None:
    token = issue_token(FakeMac(), "1", "jane@example.com", NOW + 60)
    with pytest.raises(LinkExpired) as caught:
        open_token(FakeMac(), token, NOW + 60)
    assert caught.value.address == "jane@example.com"


def test_a_changed_payload_is_refused() -> None:
    token = issue_token(FakeMac(), "111111111111", "jane@example.com", NOW + 60)
    _payload, mac = token.split(".")
    forged = json.dumps({"a": "222222222222", "e": "jane@example.com", "x": int(NOW + 60)})
    forged_b64 = base64.urlsafe_b64encode(forged.encode()).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid):
        open_token(FakeMac(), f"{forged_b64}.{mac}", NOW)


def test_a_changed_signature_is_refused() -> None:
    token = issue_token(FakeMac(), "1", "jane@example.com", NOW + 60)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(LinkInvalid):
        open_token(FakeMac(), flipped, NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a.", ".b", "x" * 5000, "é.é"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(LinkInvalid):
        open_token(FakeMac(), token, NOW)


def test_a_mac_for_another_purpose_does_not_verify() -> None:
    # The same HMAC key signs tracking links: a MAC over the bare payload must not pass.
    mac = FakeMac()
    payload = base64.urlsafe_b64encode(b'{"a":"1","e":"j@example.com","x":9999999999}').rstrip(b"=")
    signature = base64.urlsafe_b64encode(mac.sign(payload)).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid):
        open_token(mac, f"{payload.decode()}.{signature}", NOW)


def test_links_point_at_the_public_base_url() -> None:
    assert link_for("https://api.example", "a.b") == "https://api.example/verify-email?token=a.b"
