"""Identity names: what counts as an address or a domain, and how they are stored."""

from __future__ import annotations

import pytest

from sesame.domain.errors import InvalidParameterValue
from sesame.domain.identity_model import (
    IdentityType,
    lookup_name,
    normalize_address,
    normalize_domain,
    parent_domains,
    parse_identity,
)


def test_domains_are_lower_cased_without_trailing_dot() -> None:
    assert normalize_domain("Mail.Example.COM.") == "mail.example.com"


def test_internationalized_domains_are_stored_in_ascii() -> None:
    assert normalize_domain("bücher.example") == "xn--bcher-kva.example"


@pytest.mark.parametrize("bad", ["", "localhost", "a..b", "-a.com", "a-.com", "a b.com", "x" * 64 + ".com"])
def test_invalid_domains_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterValue):
        normalize_domain(bad)


def test_addresses_keep_the_local_part_and_lower_case_the_domain() -> None:
    assert normalize_address("Jane.Doe@Example.COM") == "Jane.Doe@example.com"


@pytest.mark.parametrize(
    "bad", ["@example.com", "jane@", "jane", "ja ne@example.com", "x" * 65 + "@example.com"]
)
def test_invalid_addresses_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterValue):
        normalize_address(bad)


def test_parse_identity_tells_addresses_from_domains() -> None:
    assert parse_identity("a@B.com") == ("a@b.com", IdentityType.EMAIL_ADDRESS)
    assert parse_identity("B.com") == ("b.com", IdentityType.DOMAIN)


def test_lookup_name_never_fails_on_syntax() -> None:
    assert lookup_name("Example.com") == "example.com"
    assert lookup_name(" not a domain ") == "not a domain"


def test_parent_domains_stop_above_the_top_level() -> None:
    assert parent_domains("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com"]
    assert parent_domains("example.com") == ["example.com"]
