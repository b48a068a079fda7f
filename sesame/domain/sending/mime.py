"""The outbound message: built from Simple content, or read from a raw (SendRawEmail / SMTP) one.

Simple content becomes a MIME message the way SES assembles it: From, To, Cc, Reply-To,
Subject, Message-ID and Date headers (Bcc recipients are envelope-only), the text and HTML
bodies (multipart/alternative when both), inline attachments with the HTML in a
multipart/related part, and other attachments in a multipart/mixed one.

A raw message is kept as close to the bytes received as possible, so that a DKIM signature the
customer added still verifies: only the fields SES itself takes out or replaces are touched
(X-SES-* instructions, Bcc, Return-Path, Message-ID and Date), every other field keeps its
original folding, and the body is not re-encoded. SES documents that it overrides any
Message-ID and Date a raw message carries; it also rejects a message that repeats a field that
may appear only once, or that has no From.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.header import Header, decode_header, make_header
from email.message import MIMEPart
from email.utils import format_datetime

from sesame.domain.errors import InvalidParameterValue, MessageRejected
from sesame.domain.sending.addresses import (
    EmailAddress,
    parse_address,
    parse_address_list,
    reject_header_injection,
)
from sesame.domain.sending.content import Attachment, SimpleContent, TextPart
from sesame.domain.sending.message_ids import message_id_header

MAX_V1_MESSAGE_BYTES = 10 * 1024 * 1024  # SendEmail / SendRawEmail / SMTP
MAX_V2_MESSAGE_BYTES = 40 * 1024 * 1024  # SESv2 SendEmail, after base64 decoding
# Events and notifications carry the original headers only up to this size (headersTruncated).
EVENT_HEADERS_LIMIT = 10 * 1024

# Fields SES accepts at most once in a message's header section (its "header fields" page).
SINGLETON_HEADERS = (
    "Accept-Language", "acceptLanguage", "Archived-At", "Auto-Submitted", "Bounces-to", "Comments",
    "Content-Alternative", "Content-Base", "Content-Class", "Content-Description",
    "Content-Disposition", "Content-Duration", "Content-ID", "Content-Language", "Content-Length",
    "Content-Location", "Content-MD5", "Content-Transfer-Encoding", "Content-Type", "Date",
    "Delivered-To", "Disposition-Notification-Options", "Disposition-Notification-To",
    "DKIM-Signature", "DomainKey-Signature", "Errors-To", "From", "Importance", "In-Reply-To",
    "Keywords", "List-Archive", "List-Help", "List-Id", "List-Owner", "List-Post",
    "List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post", "Message-Context", "Message-ID",
    "MIME-Version", "Organization", "Original-From", "Original-Message-ID", "Original-Recipient",
    "Original-Subject", "Precedence", "Priority", "References", "Reply-To", "Return-Path",
    "Return-Receipt-To", "Sender", "Solicitation", "Sensitivity", "Subject", "Thread-Index",
    "Thread-Topic", "User-Agent", "VBR-Info",
)  # fmt: skip
_SINGLETON_NAMES = {name.lower(): name for name in SINGLETON_HEADERS}

# Headers SES sets itself for Simple and Templated content; a custom header may not name them.
RESERVED_CUSTOM_HEADERS = frozenset(
    name.lower()
    for name in (
        "BCC", "CC", "Content-Disposition", "Content-Type", "Date", "From", "Message-ID",
        "MIME-Version", "Reply-To", "Return-Path", "Subject", "To",
    )
)  # fmt: skip
MAX_CUSTOM_HEADER_NAME = 126
MAX_CUSTOM_HEADER_VALUE = 870

# Instructions to SES carried as headers; read, then taken out of the message.
CONFIGURATION_SET_HEADER = "x-ses-configuration-set"
MESSAGE_TAGS_HEADER = "x-ses-message-tags"
SOURCE_ARN_HEADER = "x-ses-source-arn"
FROM_ARN_HEADER = "x-ses-from-arn"
RETURN_PATH_ARN_HEADER = "x-ses-return-path-arn"
_INSTRUCTION_HEADERS = frozenset(
    {
        CONFIGURATION_SET_HEADER,
        MESSAGE_TAGS_HEADER,
        SOURCE_ARN_HEADER,
        FROM_ARN_HEADER,
        RETURN_PATH_ARN_HEADER,
    }
)
_MAX_TAG_LENGTH = 256
_TAG_TEXT = re.compile(r"^[A-Za-z0-9_-]+$")

# Parts are written with CRLF, folded at 78, and never 8-bit: text that is not ASCII or has long
# lines goes quoted-printable or base64, whichever the email package finds shorter.
_POLICY = email_policy.SMTP.clone(cte_type="7bit")
_DEFAULT_CHARSET = "UTF-8"
_FOLD_AT = 78
_TRANSFER_ENCODINGS = {"BASE64": "base64", "QUOTED_PRINTABLE": "quoted-printable", "SEVEN_BIT": "7bit"}


def check_message_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise MessageRejected(f"Message length is more than {limit} bytes long: '{len(data)}'.")


# --- Simple content -----------------------------------------------------------------------------


def build_simple(
    content: SimpleContent,
    *,
    from_address: str | EmailAddress,
    to: Sequence[str | EmailAddress] = (),
    cc: Sequence[str | EmailAddress] = (),
    reply_to: Sequence[str | EmailAddress] = (),
    message_id: str,
    message_id_domain: str,
    now: float,
) -> bytes:
    """The RFC 5322 bytes for Simple content. Bcc recipients are not given: they never appear
    in the headers."""
    validate_custom_headers(content.headers)
    reject_header_injection("Subject", content.subject.data)
    lines = [_address_field("From", [_mailbox(from_address)])]
    for name, addresses in (("To", to), ("Cc", cc), ("Reply-To", reply_to)):
        if addresses:
            lines.append(_address_field(name, [_mailbox(a) for a in addresses]))
    lines.append(_subject_field(content.subject))
    lines.append(f"Message-ID: {message_id_header(message_id, message_id_domain)}\r\n")
    lines.append(f"Date: {_date(now)}\r\n")
    lines.extend(f"{name}: {value}\r\n" for name, value in content.headers)
    lines.append("MIME-Version: 1.0\r\n")
    return "".join(lines).encode("ascii") + _body(content).as_bytes(policy=_POLICY)


def validate_custom_headers(headers: Iterable[tuple[str, str]]) -> None:
    """SESv2 ``Headers``: printable ASCII names (no colon, at most 126 characters) and values
    (at most 870), none of the headers SES sets itself, and no repeat of a singleton field."""
    seen: set[str] = set()
    for name, value in headers:
        if not 0 < len(name) <= MAX_CUSTOM_HEADER_NAME or not all(
            33 <= ord(c) <= 126 and c != ":" for c in name
        ):
            raise InvalidParameterValue(f"Invalid header name <{name}>.")
        reject_header_injection(name, value)
        if len(value) > MAX_CUSTOM_HEADER_VALUE or not all(32 <= ord(c) <= 126 or c == "\t" for c in value):
            raise InvalidParameterValue(f"Invalid value for header <{name}>.")
        lower = name.lower()
        if lower in RESERVED_CUSTOM_HEADERS:
            raise InvalidParameterValue(
                f"Header <{name}> is set by the service and can't be a custom header."
            )
        if lower in _SINGLETON_NAMES and lower in seen:
            raise InvalidParameterValue(f"Duplicate header '{_SINGLETON_NAMES[lower]}'.")
        seen.add(lower)


def _mailbox(address: str | EmailAddress) -> EmailAddress:
    return address if isinstance(address, EmailAddress) else parse_address(address)


def _address_field(name: str, addresses: Sequence[EmailAddress]) -> str:
    """``Name: a, b, c`` folded after a comma once a line would pass 78 characters."""
    items = [_crlf_text(a.header_value()) for a in addresses]
    out = f"{name}: {items[0]}"
    line_length = len(out.rsplit("\r\n", 1)[-1])
    for item in items[1:]:
        first_line = item.split("\r\n", 1)[0]
        if line_length + 2 + len(first_line) > _FOLD_AT:
            out += ",\r\n " + item
        else:
            out += ", " + item
        line_length = len(out.rsplit("\r\n", 1)[-1])
    return out + "\r\n"


def _subject_field(subject: TextPart) -> str:
    charset = "us-ascii" if subject.data.isascii() else (subject.charset or _DEFAULT_CHARSET)
    try:
        encoded = Header(subject.data, charset, header_name="Subject").encode(linesep="\r\n")
    except LookupError:
        raise InvalidParameterValue(f"Unsupported charset <{subject.charset}>.") from None
    except UnicodeError:
        raise InvalidParameterValue(f"The subject can't be encoded in charset <{subject.charset}>.") from None
    return f"Subject: {encoded}\r\n"


def _crlf_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _date(now: float) -> str:
    return format_datetime(datetime.fromtimestamp(now, tz=UTC))


def _body(content: SimpleContent) -> MIMEPart:
    inline = [a for a in content.attachments if _disposition(a) == "inline"]
    attached = [a for a in content.attachments if _disposition(a) == "attachment"]
    text = _text_part(content.text, "plain") if content.text is not None else None
    html = _text_part(content.html, "html") if content.html is not None else None
    if text is None and html is None:
        text = _text_part(TextPart(""), "plain")
    if inline:
        # Inline parts belong with the body that refers to them: the HTML when there is one.
        inline_parts = [_attachment_part(a) for a in inline]
        if html is not None:
            html = _multipart("related", [html, *inline_parts])
        else:
            assert text is not None
            text = _multipart("related", [text, *inline_parts])
    body: MIMEPart | None
    if text is not None and html is not None:
        body = _multipart("alternative", [text, html])
    else:
        body = text if text is not None else html
    assert body is not None
    if attached:
        body = _multipart("mixed", [body, *(_attachment_part(a) for a in attached)])
    return body


def _text_part(part: TextPart, subtype: str) -> MIMEPart:
    charset = part.charset or _DEFAULT_CHARSET
    mime = MIMEPart(policy=_POLICY)
    try:
        mime.set_content(part.data, subtype=subtype, charset=charset)
    except LookupError:
        raise InvalidParameterValue(f"Unsupported charset <{charset}>.") from None
    except UnicodeError:
        raise InvalidParameterValue(f"The {subtype} body can't be encoded in charset <{charset}>.") from None
    return mime


def _multipart(subtype: str, parts: Sequence[MIMEPart]) -> MIMEPart:
    mime = MIMEPart(policy=_POLICY)
    mime["Content-Type"] = f"multipart/{subtype}"
    for part in parts:
        mime.attach(part)
    return mime


def _disposition(attachment: Attachment) -> str:
    disposition = (attachment.disposition or "ATTACHMENT").lower()
    if disposition not in ("attachment", "inline"):
        raise InvalidParameterValue(f"Invalid content disposition <{attachment.disposition}>.")
    return disposition


def _attachment_part(attachment: Attachment) -> MIMEPart:
    reject_header_injection("FileName", attachment.file_name)
    content_type = (
        attachment.content_type
        or mimetypes.guess_type(attachment.file_name, strict=False)[0]
        or "application/octet-stream"
    )
    reject_header_injection("ContentType", content_type)
    maintype, slash, subtype = content_type.split(";", 1)[0].strip().partition("/")
    if not slash or not maintype or not subtype or maintype.lower() == "multipart":
        raise InvalidParameterValue(f"Invalid content type <{content_type}> for <{attachment.file_name}>.")
    encoding = (attachment.transfer_encoding or "BASE64").upper()
    if encoding not in _TRANSFER_ENCODINGS:
        raise InvalidParameterValue(f"Invalid content transfer encoding <{attachment.transfer_encoding}>.")
    cid = None
    if attachment.content_id:
        reject_header_injection("ContentId", attachment.content_id)
        cid = "<" + attachment.content_id.strip().strip("<>") + ">"
    mime = MIMEPart(policy=_POLICY)
    try:
        mime.set_content(
            attachment.raw_content,
            maintype=maintype.lower(),
            subtype=subtype.lower(),
            cte=_TRANSFER_ENCODINGS[encoding],
            disposition=_disposition(attachment),
            filename=attachment.file_name,
            cid=cid,
            params={"name": attachment.file_name},
        )
    except UnicodeError:
        raise InvalidParameterValue(
            f"Attachment <{attachment.file_name}> is not 7-bit data: it needs BASE64 or QUOTED_PRINTABLE."
        ) from None
    if attachment.description:
        reject_header_injection("ContentDescription", attachment.description)
        mime["Content-Description"] = attachment.description
    return mime


# --- raw messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawMessage:
    """A raw message made ready to send, and what SES reads out of it."""

    data: bytes  # the bytes to sign and send
    from_addresses: tuple[EmailAddress, ...]
    to: tuple[EmailAddress, ...]
    cc: tuple[EmailAddress, ...]
    bcc: tuple[EmailAddress, ...]
    reply_to: tuple[EmailAddress, ...]
    # Envelope recipients (ASCII domains): the Destinations given, else To, Cc and Bcc.
    destinations: tuple[str, ...]
    subject: str
    configuration_set: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    # A Return-Path header names where bounces go; recipients see SES's own Return-Path.
    return_path: EmailAddress | None = None
    source_arn: str | None = None
    from_arn: str | None = None
    return_path_arn: str | None = None
    original_message_id: str | None = None  # the Message-ID the customer gave, now replaced

    @property
    def source(self) -> EmailAddress:
        return self.from_addresses[0]


@dataclass(frozen=True)
class _Field:
    name: str
    raw: bytes  # the whole field as received, name through the final CRLF

    @property
    def lower(self) -> str:
        return self.name.lower()

    @property
    def value(self) -> str:
        """Unfolded, surrounding whitespace removed; 8-bit bytes read as UTF-8."""
        text = self.raw.split(b":", 1)[1]
        return re.sub(rb"\r\n(?=[ \t])", b"", text).strip().decode("utf-8", "replace")


def parse_raw(
    raw: bytes,
    *,
    message_id: str,
    message_id_domain: str,
    now: float,
    destinations: Sequence[str] | None = None,
    smtputf8: bool = False,
) -> RawMessage:
    """Check a SendRawEmail / SMTP message and make it ready to send (see the module doc)."""
    data = _crlf_bytes(raw)
    fields, rest = _split_header_section(data, strict=True)
    _reject_duplicates(fields)
    by_name: dict[str, _Field] = {}
    for f in fields:
        by_name.setdefault(f.lower, f)

    from_field = by_name.get("from")
    from_addresses = parse_address_list(from_field.value, smtputf8=smtputf8) if from_field else []
    if not from_addresses:
        raise InvalidParameterValue("Missing required header 'From'.")
    to, cc, bcc, reply_to = (
        tuple(_addresses(fields, name, smtputf8)) for name in ("to", "cc", "bcc", "reply-to")
    )
    if destinations:
        recipients = [parse_address(d, smtputf8=smtputf8).envelope for d in destinations]
    else:
        recipients = [a.envelope for a in (*to, *cc, *bcc)]

    tags: dict[str, list[str]] = {}
    for f in fields:
        if f.lower == MESSAGE_TAGS_HEADER:
            for name, values in parse_message_tags(f.value).items():
                tags.setdefault(name, []).extend(values)
    return_path_field = by_name.get("return-path")
    return_path = (
        parse_address(return_path_field.value, smtputf8=smtputf8)
        if return_path_field and return_path_field.value.strip("<> ")
        else None
    )
    subject_field = by_name.get("subject")
    message_id_field = by_name.get("message-id")

    kept: list[bytes] = []
    new_message_id = f"Message-ID: {message_id_header(message_id, message_id_domain)}\r\n".encode("ascii")
    new_date = f"Date: {_date(now)}\r\n".encode("ascii")
    for f in fields:
        if f.lower in _INSTRUCTION_HEADERS or f.lower in ("bcc", "return-path"):
            continue
        if f.lower == "message-id":
            kept.append(new_message_id)
            new_message_id = b""
        elif f.lower == "date":
            kept.append(new_date)
            new_date = b""
        else:
            kept.append(f.raw)
    kept.extend(line for line in (new_message_id, new_date) if line)

    return RawMessage(
        data=b"".join(kept) + rest,
        from_addresses=tuple(from_addresses),
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        destinations=tuple(_unique(recipients)),
        subject=_decoded(subject_field.value) if subject_field else "",
        configuration_set=_instruction(by_name, CONFIGURATION_SET_HEADER),
        tags=tags,
        return_path=return_path,
        source_arn=_instruction(by_name, SOURCE_ARN_HEADER),
        from_arn=_instruction(by_name, FROM_ARN_HEADER),
        return_path_arn=_instruction(by_name, RETURN_PATH_ARN_HEADER),
        original_message_id=message_id_field.value if message_id_field else None,
    )


def parse_message_tags(value: str) -> dict[str, list[str]]:
    """An X-SES-MESSAGE-TAGS value, ``name1=value1, name2=value2``."""
    tags: dict[str, list[str]] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        name, equals, tag_value = item.partition("=")
        if not equals:
            raise InvalidParameterValue("Expected '=', got 'null'")
        name, tag_value = name.strip(), tag_value.strip()
        _check_tag_text("name", name)
        _check_tag_text("value", tag_value)
        tags.setdefault(name, []).append(tag_value)
    return tags


def _check_tag_text(kind: str, text: str) -> None:
    if len(text) > _MAX_TAG_LENGTH:
        raise InvalidParameterValue(
            f"Invalid tag {kind} <{text}>: it can contain no more than 256 characters."
        )
    if not _TAG_TEXT.match(text):
        raise InvalidParameterValue(
            f"Invalid tag {kind} <{text}>: only alphanumeric ASCII characters, '_', and '-' are allowed."
        )


def _addresses(fields: Sequence[_Field], name: str, smtputf8: bool) -> list[EmailAddress]:
    found: list[EmailAddress] = []
    for f in fields:
        if f.lower == name:
            found.extend(parse_address_list(f.value, smtputf8=smtputf8))
    return found


def _instruction(by_name: dict[str, _Field], name: str) -> str | None:
    found = by_name.get(name)
    if found is None:
        return None
    return found.value or None


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def _reject_duplicates(fields: Sequence[_Field]) -> None:
    seen: set[str] = set()
    for f in fields:
        if f.lower in _SINGLETON_NAMES:
            if f.lower in seen:
                raise InvalidParameterValue(f"Duplicate header '{_SINGLETON_NAMES[f.lower]}'.")
            seen.add(f.lower)


def _crlf_bytes(raw: bytes) -> bytes:
    """Every line ending as CRLF, as SMTP carries it; a message that has only CRLF is returned
    as it is."""
    if raw.count(b"\n") == raw.count(b"\r\n"):
        return raw
    return re.sub(rb"\r?\n", b"\r\n", raw)


_FIELD_NAME = re.compile(rb"^([\x21-\x39\x3b-\x7e]*)[ \t]*:")


def _split_header_section(data: bytes, *, strict: bool) -> tuple[list[_Field], bytes]:
    """The header fields, and the rest (the blank line and the body). Strict: a line that is no
    header field is an error; otherwise it is skipped."""
    if data.startswith(b"\r\n"):
        return [], data
    end = data.find(b"\r\n\r\n")
    if end < 0:
        block, rest = (data if data.endswith(b"\r\n") else data + b"\r\n"), b""
    else:
        block, rest = data[: end + 2], data[end + 2 :]
    fields: list[_Field] = []
    current: list[bytes] = []
    current_name = ""
    for line in block.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t"):
            if current:
                current.append(line + b"\r\n")
            elif strict:
                raise InvalidParameterValue("Empty header names are illegal.")
            continue
        if current:
            fields.append(_Field(current_name, b"".join(current)))
            current = []
        match = _FIELD_NAME.match(line)
        if match is None:
            if strict:
                shown = line[:60].decode("utf-8", "replace")
                raise InvalidParameterValue(
                    f"Invalid header line <{shown}>: a header field needs a name and a colon."
                )
            continue
        if not match.group(1):
            if strict:
                raise InvalidParameterValue("Empty header names are illegal.")
            continue
        current_name = match.group(1).decode("ascii")
        current = [line + b"\r\n"]
    if current:
        fields.append(_Field(current_name, b"".join(current)))
    return fields, rest


def _decoded(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeDecodeError, ValueError):
        return value


# --- headers in events --------------------------------------------------------------------------

CommonHeaders = dict[str, str | list[str]]

# commonHeaders keys for address-list fields, in the order SES lists them.
_COMMON_ADDRESS_FIELDS = (
    ("from", "from"),
    ("sender", "sender"),
    ("reply-to", "replyTo"),
    ("to", "to"),
    ("cc", "cc"),
    ("bcc", "bcc"),
)


def headers_for_events(
    raw: bytes, *, message_id: str | None = None
) -> tuple[list[dict[str, str]], CommonHeaders, bool]:
    """``mail.headers``, ``mail.commonHeaders`` and ``mail.headersTruncated`` for ``raw``.

    ``headers`` lists every field in order with its unfolded value as written (encoded words
    left encoded), up to 10 KB of headers. ``commonHeaders`` has the decoded values of the
    common fields that are present; address fields are lists of ``Name <address>``. Its
    ``messageId`` is the message's own Message-ID when it has one of its own, else
    ``message_id`` (SES's MessageId) when given."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    header_bytes = raw if end < 0 else raw[: end + 2]
    fields, _ = _split_header_section(_crlf_bytes(header_bytes) + b"\r\n", strict=False)

    headers: list[dict[str, str]] = []
    size = 0
    truncated = False
    for f in fields:
        value = f.value
        size += len(f.name) + len(value)
        if size >= EVENT_HEADERS_LIMIT:
            truncated = True
            break
        headers.append({"name": f.name, "value": value})

    by_name: dict[str, _Field] = {}
    for f in fields:
        by_name.setdefault(f.lower, f)
    common: CommonHeaders = {}
    return_path = by_name.get("return-path")
    if return_path is not None:
        common["returnPath"] = return_path.value.strip("<> ")
    for lower, key in _COMMON_ADDRESS_FIELDS:
        values = [value for f in fields if f.lower == lower for value in _common_addresses(f.value)]
        if values:
            common[key] = values
    date = by_name.get("date")
    if date is not None:
        common["date"] = date.value
    own_id = by_name.get("message-id")
    if own_id is not None and not (message_id and own_id.value.startswith(f"<{message_id}@")):
        common["messageId"] = own_id.value
    elif message_id:
        common["messageId"] = message_id
    subject = by_name.get("subject")
    if subject is not None:
        common["subject"] = _decoded(subject.value)
    return headers, common, truncated


def _common_addresses(value: str) -> list[str]:
    try:
        return [str(a) for a in parse_address_list(value, smtputf8=True)]
    except InvalidParameterValue:
        # Events describe what was sent; an address SES could not read is shown as written.
        return [_decoded(value)] if value else []
