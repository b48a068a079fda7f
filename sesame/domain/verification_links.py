"""Signed tokens for the "confirm this address" link.

A token is ``<payload>.<mac>``, both base64url without padding: the payload is compact JSON of
(account, address, expiry, and for a custom verification email the template whose redirection
URLs apply), the MAC comes from the MacSigner port (a KMS HMAC key, so no
service holds the key material). Nothing is stored per link: a token proves on its own who
asked for which address and until when.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import quote

from sesame.domain.ports import MacSigner

LINK_LIFETIME = 24 * 3600.0
LINK_PATH = "/verify-email"
# The same HMAC key signs other links (tracking); the purpose prefix keeps a MAC made for one
# kind of link from being accepted as another.
_PURPOSE = b"sesame/verify-email/v1\n"
# Far more than a real token (account, 320-char address, expiry): bounds the work a forged
# token can cause before the MAC check.
_MAX_TOKEN_LENGTH = 2048


class LinkInvalid(Exception):
    """The token is malformed or its signature does not match."""


class LinkExpired(Exception):
    """The token is genuine but past its expiry."""

    def __init__(self, account_id: str, address: str, template: str | None = None) -> None:
        super().__init__(f"verification link for {address} has expired")
        self.account_id = account_id
        self.address = address
        self.template = template


@dataclass(frozen=True)
class LinkClaim:
    account_id: str
    address: str
    expires_at: float
    template: str | None = None  # the custom verification template that sent the link


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    mac: MacSigner, account_id: str, address: str, expires_at: float, *, template: str | None = None
) -> str:
    fields: dict[str, object] = {"a": account_id, "e": address, "x": int(expires_at)}
    if template is not None:
        fields["t"] = template
    payload = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode("utf-8")
    encoded = _b64(payload)
    signature = mac.sign(_PURPOSE + encoded.encode("ascii"))
    return f"{encoded}.{_b64(signature)}"


def link_for(base_url: str, token: str) -> str:
    return f"{base_url}{LINK_PATH}?token={quote(token, safe='')}"


def open_token(mac: MacSigner, token: str, now: float) -> LinkClaim:
    """The claim a genuine, unexpired token makes; raises LinkInvalid or LinkExpired."""
    if not token or len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise LinkInvalid("malformed token")
    encoded, _, signature_text = token.partition(".")
    try:
        signature = _unb64(signature_text)
        encoded.encode("ascii")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise LinkInvalid("malformed token") from None
    if not signature:
        raise LinkInvalid("malformed token")
    # The MAC is checked before the payload is even parsed: nothing from an unsigned token is
    # trusted, not even its shape.
    if not mac.verify(_PURPOSE + encoded.encode("ascii"), signature):
        raise LinkInvalid("signature mismatch")
    try:
        fields = json.loads(_unb64(encoded))
        template = fields.get("t")
        template = None if template is None else str(template)
        claim = LinkClaim(str(fields["a"]), str(fields["e"]), float(fields["x"]), template)
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise LinkInvalid("malformed payload") from None
    if now >= claim.expires_at:
        raise LinkExpired(claim.account_id, claim.address, claim.template)
    return claim
