"""Address parsing and validation with SES's error sentences."""

from __future__ import annotations

import pytest

from sesame.domain.errors import InvalidParameterValue
from sesame.domain.sending.addresses import (
    EmailAddress,
    parse_address,
    parse_address_list,
    reject_header_injection,
)


def test_bare_address_has_no_display_name():
    parsed = parse_address("sender@example.com")
    assert parsed == EmailAddress(display_name="", address="sender@example.com", ascii_domain="example.com")
    assert parsed.local_part == "sender"
    assert parsed.envelope == "sender@example.com"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Sender Name <sender@example.com>", "Sender Name"),
        ('"Doe, Jane" <sender@example.com>', "Doe, Jane"),
        ('"Quote \\" inside" <sender@example.com>', 'Quote " inside'),
        ("=?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <sender@example.com>", "Jörg Müller"),
        ("=?iso-8859-1?q?J=F6rg?= <sender@example.com>", "Jörg"),
        ("Jörg Müller <sender@example.com>", "Jörg Müller"),
        ("sender@example.com (Old Style Name)", "Old Style Name"),
        ("  Spaced   Out  <sender@example.com>  ", "Spaced Out"),
    ],
)
def test_display_names_are_decoded(text, name):
    parsed = parse_address(text)
    assert parsed.display_name == name
    assert parsed.address == "sender@example.com"


def test_internationalized_domain_is_kept_and_converted_to_punycode():
    parsed = parse_address("Jörg <joerg@bücher.example>")
    assert parsed.address == "joerg@bücher.example"
    assert parsed.ascii_domain == "xn--bcher-kva.example"
    assert parsed.envelope == "joerg@xn--bcher-kva.example"
    assert parsed.header_value() == "=?utf-8?b?SsO2cmc=?= <joerg@xn--bcher-kva.example>"


def test_str_is_the_form_events_use():
    assert str(parse_address('"Sender Name" <sender@example.com>')) == "Sender Name <sender@example.com>"
    assert str(parse_address("sender@example.com")) == "sender@example.com"


def test_header_value_quotes_names_with_specials():
    assert parse_address('"Doe, Jane" <jane@example.com>').header_value() == '"Doe, Jane" <jane@example.com>'


def test_quoted_local_part_may_hold_an_at_sign_and_spaces():
    parsed = parse_address('"john doe@home"@example.com')
    assert parsed.local_part == '"john doe@home"'
    assert parsed.domain == "example.com"


def test_plus_tags_and_atext_symbols_are_valid_in_the_local_part():
    assert parse_address("a.b+tag!#$%&'*/=?^_`{|}~-@example.com").domain == "example.com"


def test_obsolete_source_route_is_dropped():
    assert parse_address("<@relay.example:user@example.com>").address == "user@example.com"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sender", "Missing final '@domain'"),
        ("Sender Name", "Missing final '@domain'"),
        ("@example.com", "Missing local name"),
        ("sender@", "Missing domain"),
        ("send er@example.com", "Local address contains control or whitespace"),
        ("send\ter@example.com", "Local address contains control or whitespace"),
        # A comma separates addresses: "send" is one of two, and has no domain.
        ("send,er@example.com", "Missing final '@domain'"),
        ("send[er@example.com", "Local address contains illegal character"),
        ("jörg@example.com", "Local address contains illegal character"),
        (".sender@example.com", "Local address starts with dot"),
        ("sender.@example.com", "Local address ends with dot"),
        ("send..er@example.com", "Local address contains dot-dot"),
        ("sender@exa mple.com", "Domain contains control or whitespace"),
        ("sender@example.com%!", "Domain contains illegal character"),
        ("sender@exam_ple.com", "Domain contains illegal character"),
        ("sender@.example.com", "Domain starts with dot"),
        ("sender@example.com.", "Domain ends with dot"),
        ("sender@example..com", "Domain contains dot-dot"),
        ("Name <sender@example.com", "Missing '>'"),
        ("Name sender@example.com>", "Missing '<'"),
        ('"Name <sender@example.com>', "Missing '\"'"),
        ("a@example.com, b@example.com", "Illegal address"),
        ("Name <sender@example.com> trailing", "Illegal address"),
        ("", "Empty address"),
        ("<>", "Empty address"),
    ],
)
def test_invalid_addresses_are_rejected_with_ses_messages(text, message):
    with pytest.raises(InvalidParameterValue) as caught:
        parse_address(text)
    assert caught.value.message == message
    assert caught.value.wire_code(1) == "InvalidParameterValue"


def test_utf8_local_part_is_accepted_with_smtputf8():
    parsed = parse_address("jörg@example.com", smtputf8=True)
    assert parsed.local_part == "jörg"


def test_address_list_reads_every_mailbox_and_flattens_groups():
    parsed = parse_address_list(
        'a@example.com, "Doe, Jane" <jane@example.com>,, Team: b@example.com, c@example.com;, d@example.com'
    )
    assert [a.address for a in parsed] == [
        "a@example.com",
        "jane@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]


def test_empty_group_adds_no_recipient():
    assert parse_address_list("undisclosed-recipients:;") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: b: c@example.com;;", "Nested group"),
        ("a@example.com; b@example.com", "Illegal semicolon, not in group"),
        ("Team: a@example.com", "Missing ';' in group"),
    ],
)
def test_malformed_groups_are_rejected(text, message):
    with pytest.raises(InvalidParameterValue) as caught:
        parse_address_list(text)
    assert caught.value.message == message


@pytest.mark.parametrize("value", ["line\r\nBcc: x@example.com", "line\nfeed", "carriage\rreturn"])
def test_header_values_with_line_breaks_are_rejected(value):
    with pytest.raises(InvalidParameterValue) as caught:
        reject_header_injection("Subject", value)
    assert "Subject" in caught.value.message


def test_header_value_without_line_breaks_passes():
    reject_header_injection("Subject", "A perfectly ordinary subject\twith a tab")
