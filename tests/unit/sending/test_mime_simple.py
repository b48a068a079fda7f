"""Simple content becomes a MIME message the way SES assembles it."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from sesame.domain.errors import InvalidParameterValue
from sesame.domain.sending.content import Attachment, SimpleContent, TextPart
from sesame.domain.sending.mime import RESERVED_CUSTOM_HEADERS, build_simple

ACCEPTED_AT = 1_700_000_000.0
MESSAGE_ID = "0100018bcfe56800-4f0c3a52-6b7e-4d1e-9a0b-2c3d4e5f6a7b-000000"


def build(content: SimpleContent, **overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "from_address": "Sender Name <sender@example.com>",
        "to": ["recipient@example.net"],
        "message_id": MESSAGE_ID,
        "message_id_domain": "us-east-1.amazonses.com",
        "now": ACCEPTED_AT,
    }
    arguments.update(overrides)
    return build_simple(content, **arguments)  # type: ignore[arg-type]


def parsed(data: bytes) -> EmailMessage:
    """The message as a receiving mail program reads it (line endings made local)."""
    message = email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def field_lines(data: bytes, name: bytes) -> list[bytes]:
    """The lines of one header field: its first line and its continuation lines."""
    lines = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    start = next(i for i, line in enumerate(lines) if line.lower().startswith(name.lower() + b":"))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return lines[start:end]


def assert_wire_safe(data: bytes) -> None:
    """7-bit, CRLF line endings, no line longer than SMTP allows."""
    assert data.isascii()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_text_message_has_the_headers_ses_sets():
    data = build(
        SimpleContent(subject=TextPart("Hello"), text=TextPart("Hi there.\n")), cc=["cc@example.net"]
    )
    message = parsed(data)
    assert message["From"] == "Sender Name <sender@example.com>"
    assert message["To"] == "recipient@example.net"
    assert message["Cc"] == "cc@example.net"
    assert message["Subject"] == "Hello"
    assert message["Message-ID"] == f"<{MESSAGE_ID}@us-east-1.amazonses.com>"
    assert message["Date"] == "Tue, 14 Nov 2023 22:13:20 +0000"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Hi there.\n"
    assert "Bcc" not in message
    assert_wire_safe(data)


def test_reply_to_addresses_are_listed():
    data = build(
        SimpleContent(subject=TextPart("s"), text=TextPart("t")),
        reply_to=["a@example.com", "B <b@example.com>"],
    )
    assert parsed(data)["Reply-To"] == "a@example.com, B <b@example.com>"


def test_text_and_html_become_multipart_alternative_text_first():
    data = build(SimpleContent(subject=TextPart("s"), text=TextPart("plain"), html=TextPart("<b>rich</b>")))
    message = parsed(data)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[1].get_content().strip() == "<b>rich</b>"


def test_html_only_message_is_a_single_html_part():
    message = parsed(build(SimpleContent(subject=TextPart("s"), html=TextPart("<p>x</p>"))))
    assert message.get_content_type() == "text/html"


def test_non_ascii_subject_is_encoded_in_the_given_charset():
    data = build(SimpleContent(subject=TextPart("Grüße aus Köln", "ISO-8859-1"), text=TextPart("t")))
    assert field_lines(data, b"Subject")[0].startswith(b"Subject: =?iso-8859-1?")
    assert parsed(data)["Subject"] == "Grüße aus Köln"


def test_non_ascii_subject_without_charset_is_utf8():
    data = build(SimpleContent(subject=TextPart("Café ☕"), text=TextPart("t")))
    assert b"=?utf-8?" in data
    assert parsed(data)["Subject"] == "Café ☕"


def test_long_subject_is_folded_and_reads_back_whole():
    subject = "A fairly long subject line " * 6 + "with Ünïcödé at the end"
    data = build(SimpleContent(subject=TextPart(subject), text=TextPart("t")))
    assert len(field_lines(data, b"Subject")) > 1
    assert all(len(line) <= 78 for line in field_lines(data, b"Subject"))
    assert parsed(data)["Subject"] == subject


def test_long_ascii_subject_is_folded_not_encoded():
    subject = " ".join(["word"] * 40)
    data = build(SimpleContent(subject=TextPart(subject), text=TextPart("t")))
    assert b"=?" not in data.split(b"\r\n\r\n")[0]
    assert len(field_lines(data, b"Subject")) > 1
    assert all(len(line) <= 78 for line in field_lines(data, b"Subject"))
    assert parsed(data)["Subject"] == subject


def test_non_ascii_body_is_transfer_encoded_not_8bit():
    text = "Grüße, Jörg — ☕\n" * 3
    message = parsed(data := build(SimpleContent(subject=TextPart("s"), text=TextPart(text))))
    assert message["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    # Encoded text carries MIME's canonical CRLF line breaks.
    assert message.get_content().replace("\r\n", "\n") == text
    assert_wire_safe(data)


def test_long_ascii_lines_are_quoted_printable():
    text = "x" * 300 + "\n"
    message = parsed(data := build(SimpleContent(subject=TextPart("s"), text=TextPart(text))))
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content() == text
    assert all(len(line) <= 78 for line in data.split(b"\r\n\r\n", 1)[1].split(b"\r\n"))


def test_body_charset_is_honoured():
    message = parsed(build(SimpleContent(subject=TextPart("s"), text=TextPart("Grüße", "ISO-8859-1"))))
    assert message.get_content_charset() == "iso-8859-1"
    assert message.get_content().rstrip("\n") == "Grüße"


def test_unknown_charset_is_rejected():
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("s"), text=TextPart("Grüße", "no-such-charset")))
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("Grüße", "no-such-charset"), text=TextPart("t")))


def test_text_that_the_charset_cannot_hold_is_rejected():
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("s"), text=TextPart("☕", "ISO-8859-1")))


def test_subject_with_a_line_break_is_rejected():
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("Hello\r\nBcc: victim@example.com"), text=TextPart("t")))


def test_non_ascii_display_name_and_idn_domain_are_7bit_in_headers():
    data = build(
        SimpleContent(subject=TextPart("s"), text=TextPart("t")), from_address="Jörg <joerg@bücher.example>"
    )
    message = parsed(data)
    assert message["From"].addresses[0].display_name == "Jörg"
    assert message["From"].addresses[0].domain == "xn--bcher-kva.example"
    assert_wire_safe(data)


def test_many_recipients_are_folded_and_all_read_back():
    recipients = [f"Recipient Number {i} <recipient{i}@example.net>" for i in range(50)]
    data = build(SimpleContent(subject=TextPart("s"), text=TextPart("t")), to=recipients)
    assert len(field_lines(data, b"To")) > 1
    assert all(len(line) <= 78 for line in field_lines(data, b"To"))
    assert [a.addr_spec for a in parsed(data)["To"].addresses] == [
        f"recipient{i}@example.net" for i in range(50)
    ]


def test_invalid_recipient_is_rejected_with_the_ses_message():
    with pytest.raises(InvalidParameterValue) as caught:
        build(SimpleContent(subject=TextPart("s"), text=TextPart("t")), to=["not-an-address"])
    assert caught.value.message == "Missing final '@domain'"


def test_custom_headers_are_added():
    content = SimpleContent(
        subject=TextPart("s"),
        text=TextPart("t"),
        headers=(("List-Unsubscribe", "<https://example.com/u?id=1>"), ("X-Campaign", "spring")),
    )
    message = parsed(build(content))
    assert message["List-Unsubscribe"] == "<https://example.com/u?id=1>"
    assert message["X-Campaign"] == "spring"


@pytest.mark.parametrize("name", [*sorted(RESERVED_CUSTOM_HEADERS), "Message-Id", "SUBJECT"])
def test_custom_headers_may_not_replace_those_ses_sets(name):
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("s"), text=TextPart("t"), headers=((name, "x"),)))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Has:Colon", "v"),
        ("X Has Space", "v"),
        ("X-Ünicode", "v"),
        ("X-" + "a" * 125, "v"),
        ("", "v"),
        ("X-Value", "ünicode"),
        ("X-Value", "v" * 871),
        ("X-Value", "line\r\nBcc: victim@example.com"),
    ],
)
def test_malformed_custom_headers_are_rejected(name, value):
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("s"), text=TextPart("t"), headers=((name, value),)))


def test_custom_header_at_the_documented_limits_is_accepted():
    name, value = "X-" + "a" * 124, "v" * 870
    message = parsed(
        build(SimpleContent(subject=TextPart("s"), text=TextPart("t"), headers=((name, value),)))
    )
    assert message[name] == value


def test_repeating_a_singleton_custom_header_is_rejected():
    headers = (("List-Unsubscribe", "<a>"), ("List-Unsubscribe", "<b>"))
    with pytest.raises(InvalidParameterValue) as caught:
        build(SimpleContent(subject=TextPart("s"), text=TextPart("t"), headers=headers))
    assert caught.value.message == "Duplicate header 'List-Unsubscribe'."


def test_repeating_other_custom_headers_is_allowed():
    headers = (("X-Tag", "a"), ("X-Tag", "b"))
    message = parsed(build(SimpleContent(subject=TextPart("s"), text=TextPart("t"), headers=headers)))
    assert message.get_all("X-Tag") == ["a", "b"]


def test_attachments_make_a_multipart_mixed_message():
    pdf = bytes(range(256)) * 4
    content = SimpleContent(
        subject=TextPart("s"),
        text=TextPart("see attached"),
        html=TextPart("<p>see attached</p>"),
        attachments=(Attachment(raw_content=pdf, file_name="report.pdf", description="Monthly report"),),
    )
    message = parsed(data := build(content))
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = list(message.iter_parts())
    assert body.get_content_type() == "multipart/alternative"
    assert attachment.get_content_type() == "application/pdf"  # guessed from the file name
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "report.pdf"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert attachment["Content-Description"] == "Monthly report"
    assert attachment.get_content() == pdf
    assert_wire_safe(data)


def test_inline_attachments_are_related_to_the_html_body():
    content = SimpleContent(
        subject=TextPart("s"),
        text=TextPart("logo"),
        html=TextPart('<img src="cid:logo123">'),
        attachments=(
            Attachment(b"\x89PNG\r\n\x1a\n", "logo.png", disposition="INLINE", content_id="logo123"),
            Attachment(b"a,b\n", "data.csv", content_type="text/csv"),
        ),
    )
    message = parsed(build(content))
    assert message.get_content_type() == "multipart/mixed"
    alternative, csv_part = list(message.iter_parts())
    text, related = list(alternative.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = list(related.iter_parts())
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<logo123>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == b"\x89PNG\r\n\x1a\n"
    assert csv_part.get_content_type() == "text/csv"


def test_inline_attachment_without_html_is_related_to_the_text():
    content = SimpleContent(
        subject=TextPart("s"),
        text=TextPart("logo"),
        attachments=(Attachment(b"GIF89a", "logo.gif", disposition="inline", content_id="<logo>"),),
    )
    message = parsed(build(content))
    assert message.get_content_type() == "multipart/related"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "image/gif"]
    assert list(message.iter_parts())[1]["Content-ID"] == "<logo>"


def test_attachment_transfer_encodings_are_honoured():
    content = SimpleContent(
        subject=TextPart("s"),
        text=TextPart("t"),
        attachments=(
            Attachment(b"plain ascii notes\n", "notes.txt", transfer_encoding="SEVEN_BIT"),
            Attachment("Grüße\n".encode(), "greeting.txt", transfer_encoding="QUOTED_PRINTABLE"),
        ),
    )
    notes, greeting = list(parsed(build(content)).iter_parts())[1:]
    assert notes["Content-Transfer-Encoding"] == "7bit"
    assert greeting["Content-Transfer-Encoding"] == "quoted-printable"
    assert greeting.get_payload(decode=True) == "Grüße\n".encode()


def test_non_ascii_file_names_survive():
    content = SimpleContent(
        subject=TextPart("s"), text=TextPart("t"), attachments=(Attachment(b"x", "Übersicht.pdf"),)
    )
    data = build(content)
    assert list(parsed(data).iter_parts())[1].get_filename() == "Übersicht.pdf"
    assert_wire_safe(data)


@pytest.mark.parametrize(
    "attachment",
    [
        Attachment(b"\xff\xfe", "binary.bin", transfer_encoding="SEVEN_BIT"),
        Attachment(b"x", "x.bin", disposition="SIDEWAYS"),
        Attachment(b"x", "x.bin", transfer_encoding="UUENCODE"),
        Attachment(b"x", "x.bin", content_type="nonsense"),
        Attachment(b"x", "x.bin", content_type="multipart/mixed"),
        Attachment(b"x", "bad\r\nname.bin"),
    ],
)
def test_malformed_attachments_are_rejected(attachment):
    with pytest.raises(InvalidParameterValue):
        build(SimpleContent(subject=TextPart("s"), text=TextPart("t"), attachments=(attachment,)))
