"""SMTP credentials: the SMTP user name is the access key id, the password is derived from the
secret access key the way SES derives SMTP passwords.

SES's version 4 password is a SigV4-style signing-key chain over fixed values: HMAC-SHA256 keyed
with ``"AWS4" + secret`` over the date ``"11111111"``, then the region, the service ``"ses"``,
the terminator ``"aws4_request"`` and the message ``"SendRawEmail"``; the version byte 0x04
followed by that digest, base64-encoded. The region is part of the chain, so a password works
in one region only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

PASSWORD_VERSION = 0x04
_DATE = "11111111"
_SERVICE = "ses"
_TERMINATOR = "aws4_request"
_MESSAGE = "SendRawEmail"


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret_access_key: str, region: str) -> str:
    """The SMTP password of a secret access key in ``region``."""
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (_DATE, region, _SERVICE, _TERMINATOR, _MESSAGE):
        key = _sign(key, part)
    return base64.b64encode(bytes([PASSWORD_VERSION]) + key).decode("ascii")


@dataclass(frozen=True)
class SmtpPrincipal:
    """Who an SMTP session authenticated as."""

    account_id: str
    access_key_id: str


class CredentialsLookup(Protocol):
    def credentials_for(self, access_key_id: str) -> tuple[str, str] | None:
        """(account id, secret) of an active access key, or None."""
        ...


class SmtpCredentialVerifier:
    """Checks an SMTP user name and password against the account's access keys."""

    def __init__(self, credentials: CredentialsLookup, region: str) -> None:
        self._credentials = credentials
        self._region = region

    def verify(self, username: bytes, password: bytes) -> SmtpPrincipal | None:
        """The principal the credentials name, or None when they name none (unknown or inactive
        key, wrong password, bytes that cannot be a key id or password)."""
        try:
            access_key_id = username.decode("ascii").strip()
            given = password.decode("ascii").strip()
        except UnicodeDecodeError:
            return None
        if not access_key_id or not given:
            return None
        found = self._credentials.credentials_for(access_key_id)
        if found is None:
            return None
        account_id, secret = found
        expected = smtp_password(secret, self._region)
        if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
            return None
        return SmtpPrincipal(account_id=account_id, access_key_id=access_key_id)
