"""Raw messages (SendRawEmail, SMTP): SES's checks, its instructions, and untouched bytes."""

from __future__ import annotations

import dkim
import pytest

from sesame.domain.dkim import generate_rsa_key, private_key_pem, public_key_b64
from sesame.domain.errors import InvalidParameterValue, MessageRejected
from sesame.domain.sending.mime import (
    MAX_V1_MESSAGE_BYTES,
    MAX_V2_MESSAGE_BYTES,
    check_message_size,
    parse_message_tags,
    parse_raw,
)

ACCEPTED_AT = 1_700_000_000.0
MESSAGE_ID = "0100018bcfe56800-4f0c3a52-6b7e-4d1e-9a0b-2c3d4e5f6a7b-000000"
OUR_MESSAGE_ID = f"Message-ID: <{MESSAGE_ID}@email.amazonses.com>\r\n".encode()
OUR_DATE = b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"


def parse(raw: bytes, **overrides: object):
    arguments: dict[str, object] = {
        "message_id": MESSAGE_ID,
        "message_id_domain": "email.amazonses.com",
        "now": ACCEPTED_AT,
    }
    arguments.update(overrides)
    return parse_raw(raw, **arguments)  # type: ignore[arg-type]


def message(*header_lines: str, body: bytes = b"Hello.\r\n") -> bytes:
    return "".join(line + "\r\n" for line in header_lines).encode() + b"\r\n" + body


def rejection(raw: bytes) -> str:
    with pytest.raises(InvalidParameterValue) as caught:
        parse(raw)
    return caught.value.message


def test_message_without_from_is_rejected():
    assert rejection(message("To: a@example.com", "Subject: s")) == "Missing required header 'From'."


def test_message_with_an_empty_from_is_rejected():
    assert rejection(message("From: ", "To: a@example.com")) == "Missing required header 'From'."


def test_message_with_no_headers_at_all_is_rejected():
    assert rejection(b"\r\njust a body\r\n") == "Missing required header 'From'."


def test_invalid_from_address_is_rejected_with_the_ses_message():
    assert rejection(message("From: sender", "To: a@example.com")) == "Missing final '@domain'"


@pytest.mark.parametrize(
    ("first", "second", "shown"),
    [
        ("Subject: a", "Subject: b", "Subject"),
        ("Message-ID: <a@x>", "message-id: <b@x>", "Message-ID"),
        ("DKIM-Signature: v=1; a", "DKIM-Signature: v=1; b", "DKIM-Signature"),
        ("List-Unsubscribe: <a>", "List-Unsubscribe: <b>", "List-Unsubscribe"),
        ("Content-Type: text/plain", "content-type: text/html", "Content-Type"),
    ],
)
def test_repeated_singleton_fields_are_rejected(first, second, shown):
    raw = message("From: s@example.com", "To: a@example.com", first, second)
    assert rejection(raw) == f"Duplicate header '{shown}'."


def test_other_fields_may_repeat():
    raw = message(
        "Received: by a", "Received: by b", "From: s@example.com", "To: a@example.com", "X-Tag: 1", "X-Tag: 2"
    )
    assert parse(raw).data.count(b"Received: ") == 2


def test_field_without_a_name_is_rejected():
    assert rejection(message("From: s@example.com", ": nameless")) == "Empty header names are illegal."


def test_header_line_without_a_colon_is_rejected():
    with pytest.raises(InvalidParameterValue):
        parse(message("From: s@example.com", "this is not a header"))


def test_destinations_come_from_to_cc_and_bcc_when_not_given():
    raw = message(
        "From: s@example.com",
        "To: a@example.com, B <b@example.com>",
        "Cc: c@example.com, A@EXAMPLE.COM",
        "Bcc: hidden@example.org",
    )
    parsed = parse(raw)
    assert parsed.destinations == ("a@example.com", "b@example.com", "c@example.com", "hidden@example.org")
    assert [a.address for a in parsed.bcc] == ["hidden@example.org"]


def test_given_destinations_replace_the_headers_and_are_validated():
    raw = message("From: s@example.com", "To: a@example.com")
    assert parse(raw, destinations=["Other <other@bücher.example>"]).destinations == (
        "other@xn--bcher-kva.example",
    )
    with pytest.raises(InvalidParameterValue):
        parse(raw, destinations=["nobody"])


def test_bcc_and_ses_instruction_headers_are_taken_out_of_the_sent_bytes():
    raw = message(
        "X-SES-CONFIGURATION-SET: marketing",
        "X-SES-MESSAGE-TAGS: campaign=spring, variant=b",
        "X-SES-SOURCE-ARN: arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "X-SES-FROM-ARN: arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "X-SES-RETURN-PATH-ARN: arn:aws:ses:us-east-1:123456789012:identity/bounces.example.com",
        "From: s@example.com",
        "To: a@example.com",
        "Bcc: hidden@example.org",
        "Return-Path: <bounces@example.com>",
    )
    parsed = parse(raw)
    assert parsed.configuration_set == "marketing"
    assert parsed.tags == {"campaign": ["spring"], "variant": ["b"]}
    assert parsed.source_arn == "arn:aws:ses:us-east-1:123456789012:identity/example.com"
    assert parsed.from_arn == "arn:aws:ses:us-east-1:123456789012:identity/example.com"
    assert parsed.return_path_arn == "arn:aws:ses:us-east-1:123456789012:identity/bounces.example.com"
    assert parsed.return_path is not None and parsed.return_path.address == "bounces@example.com"
    assert (
        parsed.data
        == b"From: s@example.com\r\nTo: a@example.com\r\n" + OUR_MESSAGE_ID + OUR_DATE + b"\r\nHello.\r\n"
    )


def test_tags_from_several_tag_headers_are_merged():
    raw = message("From: s@example.com", "X-SES-MESSAGE-TAGS: a=1, b=2", "X-SES-MESSAGE-TAGS: a=3")
    assert parse(raw).tags == {"a": ["1", "3"], "b": ["2"]}


def test_tag_without_a_value_is_rejected_as_ses_does():
    with pytest.raises(InvalidParameterValue) as caught:
        parse_message_tags("campaign")
    assert caught.value.message == "Expected '=', got 'null'"


@pytest.mark.parametrize("value", ["event:id=1", "name=a b", "name=x/y", "=value", "name=" + "v" * 257])
def test_tags_with_characters_ses_refuses_are_rejected(value):
    with pytest.raises(InvalidParameterValue):
        parse_message_tags(value)


def test_message_id_and_date_are_replaced_in_place():
    raw = message(
        "From: s@example.com",
        "Message-ID: <custom@example.com>",
        "Date: Mon, 1 Jan 2024 00:00:00 +0000",
        "To: a@example.com",
    )
    parsed = parse(raw)
    assert parsed.original_message_id == "<custom@example.com>"
    assert (
        parsed.data
        == b"From: s@example.com\r\n" + OUR_MESSAGE_ID + OUR_DATE + b"To: a@example.com\r\n\r\nHello.\r\n"
    )


def test_message_id_and_date_are_added_when_missing():
    parsed = parse(message("From: s@example.com", "To: a@example.com"))
    assert parsed.original_message_id is None
    assert parsed.data.endswith(OUR_MESSAGE_ID + OUR_DATE + b"\r\nHello.\r\n")


def test_other_fields_and_the_body_keep_their_exact_bytes():
    folded_to = "To: a@example.com,\r\n\t  b@example.com ,\r\n   c@example.com"
    odd_subject = "Subject:   spaced   =?utf-8?q?caf=C3=A9?=   "
    body = b"--b\r\nContent-Type: text/plain\r\n\r\ncaf\xc3\xa9  \r\n\r\n\r\n--b--\r\n"
    raw = message("From:s@example.com", folded_to, odd_subject, "X-Odd-Case: value", body=body)
    parsed = parse(raw)
    expected_header_bytes = (
        f"From:s@example.com\r\n{folded_to}\r\n{odd_subject}\r\nX-Odd-Case: value\r\n".encode()
    )
    assert parsed.data == expected_header_bytes + OUR_MESSAGE_ID + OUR_DATE + b"\r\n" + body
    assert parsed.subject == "spaced   café"
    assert [a.address for a in parsed.to] == ["a@example.com", "b@example.com", "c@example.com"]


def test_bare_line_feeds_become_crlf():
    raw = b"From: s@example.com\nTo: a@example.com\n\nline one\nline two\n"
    assert parse(raw).data == (
        b"From: s@example.com\r\nTo: a@example.com\r\n"
        + OUR_MESSAGE_ID
        + OUR_DATE
        + b"\r\nline one\r\nline two\r\n"
    )


def test_headers_only_message_is_accepted():
    parsed = parse(b"From: s@example.com\r\nTo: a@example.com\r\n")
    assert parsed.data.startswith(b"From: s@example.com\r\nTo: a@example.com\r\n")


def test_utf8_local_part_needs_smtputf8():
    raw = message("From: s@example.com", "To: jörg@example.com")
    with pytest.raises(InvalidParameterValue):
        parse(raw)
    assert parse(raw, smtputf8=True).destinations == ("jörg@example.com",)


def test_a_customer_dkim_signature_still_verifies_after_ses_changes():
    # Given a message the customer signed over the fields SES leaves alone
    key = generate_rsa_key(1024)
    unsigned = message(
        "From: Sender <s@example.com>",
        "To: a@example.com,\r\n b@example.com",
        "Subject: =?utf-8?q?caf=C3=A9?= time",
        "Message-ID: <customer@example.com>",
        "X-SES-CONFIGURATION-SET: marketing",
        "Bcc: hidden@example.org",
        body=b"Body text  with  spaces\r\n\r\n",
    )
    signature = dkim.sign(
        unsigned,
        b"cust",
        b"example.com",
        private_key_pem(key),
        canonicalize=(b"simple", b"simple"),
        include_headers=[b"from", b"to", b"subject"],
    )
    # When SES takes out its instructions and the Bcc and replaces the Message-ID
    sent = parse(signature + unsigned).data

    # Then the signature verifies, even with simple/simple canonicalization
    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"cust._domainkey.example.com."
        return b"v=DKIM1; k=rsa; p=" + public_key_b64(key).encode()

    assert b"Bcc:" not in sent and b"X-SES-" not in sent
    assert dkim.verify(sent, dnsfunc=dns)


def test_size_limits_are_ses_s():
    assert MAX_V1_MESSAGE_BYTES == 10 * 1024 * 1024
    assert MAX_V2_MESSAGE_BYTES == 40 * 1024 * 1024


def test_message_at_the_limit_passes_and_one_byte_more_is_rejected():
    check_message_size(b"x" * 1000, 1000)
    with pytest.raises(MessageRejected) as caught:
        check_message_size(b"x" * 1001, 1000)
    assert caught.value.message == "Message length is more than 1000 bytes long: '1001'."
