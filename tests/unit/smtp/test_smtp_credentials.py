"""SMTP passwords are derived from secret keys as SES derives them (version 4, per region), and a
login is checked against the account's keys."""

from __future__ import annotations

import base64

import pytest

from sesame.domain.smtp_credentials import SmtpCredentialVerifier, SmtpPrincipal, smtp_password

# Published vectors of the same derivation (terraform-provider-aws's tests of
# ses_smtp_password_v4), which authenticate against SES.
PUBLISHED = [
    ("eu-central-1", "some+secret+key", "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"),
    ("eu-central-1", "another+secret+key", "BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh"),
    ("us-west-1", "some+secret+key", "BH+jbMzper5WwlwUar9E1ySBqHa9whi0GPo+sJ0mVYJj"),
    ("us-west-1", "another+secret+key", "BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF"),
]


@pytest.mark.parametrize(("region", "secret", "expected"), PUBLISHED)
def test_the_password_matches_the_published_derivation(region: str, secret: str, expected: str) -> None:
    assert smtp_password(secret, region) == expected


def test_the_password_is_version_4_and_differs_per_region() -> None:
    password = smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
    raw = base64.b64decode(password)
    assert raw[0] == 0x04 and len(raw) == 33
    assert password != smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eu-west-1")


class FakeKeys:
    def __init__(self) -> None:
        self.keys = {"AKIAEXAMPLE000000001": ("111122223333", "the-secret")}

    def credentials_for(self, access_key_id: str) -> tuple[str, str] | None:
        return self.keys.get(access_key_id)


def test_the_right_password_names_the_key_and_its_account() -> None:
    verifier = SmtpCredentialVerifier(FakeKeys(), "us-east-1")
    password = smtp_password("the-secret", "us-east-1").encode()
    assert verifier.verify(b"AKIAEXAMPLE000000001", password) == SmtpPrincipal(
        account_id="111122223333", access_key_id="AKIAEXAMPLE000000001"
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (b"AKIAEXAMPLE000000001", b"wrong"),
        (b"AKIAEXAMPLE000000001", b"the-secret"),  # the secret itself is not the password
        (b"AKIAUNKNOWN000000001", smtp_password("the-secret", "us-east-1").encode()),
        (b"AKIAEXAMPLE000000001", smtp_password("the-secret", "eu-west-1").encode()),  # other region
        (b"AKIAEXAMPLE000000001", b""),
        (b"\xff\xfe", b"x"),
        (b"AKIAEXAMPLE000000001", "pässword".encode()),
    ],
)
def test_anything_else_names_nobody(username: bytes, password: bytes) -> None:
    assert SmtpCredentialVerifier(FakeKeys(), "us-east-1").verify(username, password) is None
