"""mail.headers, mail.commonHeaders and mail.headersTruncated as SES events carry them."""

from __future__ import annotations

from sesame.domain.sending.mime import EVENT_HEADERS_LIMIT, headers_for_events

MESSAGE_ID = "0100018bcfe56800-4f0c3a52-6b7e-4d1e-9a0b-2c3d4e5f6a7b-000000"

RAW = (
    b"X-SES-CONFIGURATION-SET: ConfigSet\r\n"
    b'From: "Sender Name" <sender@example.com>\r\n'
    b"To: recipient@example.com,\r\n Other <other@example.com>\r\n"
    b"Cc: =?utf-8?q?J=C3=B6rg?= <joerg@example.com>\r\n"
    b"Subject: =?utf-8?q?Caf=C3=A9?= menu\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n"
    b"\r\n"
    b"Body: this is not a header\r\n"
)


def test_headers_are_listed_in_order_unfolded_and_as_written():
    headers, _, truncated = headers_for_events(RAW)
    assert headers == [
        {"name": "X-SES-CONFIGURATION-SET", "value": "ConfigSet"},
        {"name": "From", "value": '"Sender Name" <sender@example.com>'},
        {"name": "To", "value": "recipient@example.com, Other <other@example.com>"},
        {"name": "Cc", "value": "=?utf-8?q?J=C3=B6rg?= <joerg@example.com>"},
        {"name": "Subject", "value": "=?utf-8?q?Caf=C3=A9?= menu"},
        {"name": "MIME-Version", "value": "1.0"},
        {"name": "Content-Type", "value": "text/plain; charset=UTF-8"},
    ]
    assert truncated is False


def test_common_headers_are_decoded_and_addresses_are_lists():
    _, common, _ = headers_for_events(RAW, message_id=MESSAGE_ID)
    assert common == {
        "from": ["Sender Name <sender@example.com>"],
        "to": ["recipient@example.com", "Other <other@example.com>"],
        "cc": ["Jörg <joerg@example.com>"],
        "messageId": MESSAGE_ID,
        "subject": "Café menu",
    }


def test_common_headers_leave_out_what_the_message_does_not_have():
    _, common, _ = headers_for_events(b"From: a@example.com\r\n\r\nbody")
    assert common == {"from": ["a@example.com"]}


def test_a_message_id_of_its_own_is_reported_as_written():
    raw = (
        b"From: a@example.com\r\nMessage-ID: custom-message-ID\r\n"
        b"Date: Mon, 08 Oct 2018 14:05:45 +0000\r\n\r\n"
    )
    _, common, _ = headers_for_events(raw, message_id=MESSAGE_ID)
    assert common["messageId"] == "custom-message-ID"
    assert common["date"] == "Mon, 08 Oct 2018 14:05:45 +0000"


def test_the_message_id_header_sesame_wrote_is_reported_as_the_bare_id():
    raw = f"From: a@example.com\r\nMessage-ID: <{MESSAGE_ID}@us-east-1.amazonses.com>\r\n\r\n".encode()
    _, common, _ = headers_for_events(raw, message_id=MESSAGE_ID)
    assert common["messageId"] == MESSAGE_ID


def test_reply_to_sender_bcc_and_return_path_are_common_headers():
    raw = (
        b"Return-Path: <bounces@example.com>\r\nFrom: a@example.com\r\nSender: s@example.com\r\n"
        b"Reply-To: r@example.com\r\nBcc: hidden@example.org\r\n\r\n"
    )
    _, common, _ = headers_for_events(raw)
    assert common["returnPath"] == "bounces@example.com"
    assert common["sender"] == ["s@example.com"]
    assert common["replyTo"] == ["r@example.com"]
    assert common["bcc"] == ["hidden@example.org"]


def test_headers_of_10_kb_or_more_are_truncated():
    many = b"".join(f"X-Filler-{i}: {'v' * 100}\r\n".encode() for i in range(200))
    raw = b"From: a@example.com\r\nSubject: kept\r\n" + many + b"\r\nbody"
    headers, common, truncated = headers_for_events(raw)
    assert truncated is True
    assert headers[0] == {"name": "From", "value": "a@example.com"}
    assert 0 < len(headers) < 202
    assert sum(len(h["name"]) + len(h["value"]) for h in headers) < EVENT_HEADERS_LIMIT
    assert common["subject"] == "kept"


def test_line_feed_only_messages_and_stray_lines_are_read_without_error():
    raw = b"From: a@example.com\nnot a header line\nSubject: s\n\nbody\n"
    headers, common, _ = headers_for_events(raw)
    assert [h["name"] for h in headers] == ["From", "Subject"]
    assert common["subject"] == "s"


def test_an_unreadable_address_is_shown_as_written():
    _, common, _ = headers_for_events(b"From: a@example.com\r\nTo: not an address\r\n\r\n")
    assert common["to"] == ["not an address"]
