"""Email addresses as SES reads them in SendEmail / SendRawEmail parameters and headers.

SES answers a malformed address with ``InvalidParameterValue`` and one short sentence naming
what is wrong ("Missing final '@domain'", "Local address contains control or whitespace",
...); the checks below give the same sentences for the same faults.

A display name may be plain, quoted, or RFC 2047-encoded; it is kept decoded. The domain may be
an internationalized name: it is kept as written and also converted to its ASCII (punycode) form,
which is what the SMTP envelope and the headers of a 7-bit message carry. The local part must be
ASCII unless the message travels with SMTPUTF8 (RFC 6531).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import formataddr

from sesame.domain.errors import InvalidParameterValue

# RFC 5322 atext outside letters and digits.
_ATEXT_SYMBOLS = frozenset("!#$%&'*+-/=?^_`{|}~")
_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)
_LOCAL_ALLOWED = _ASCII_ALNUM | _ATEXT_SYMBOLS | {"."}


@dataclass(frozen=True)
class EmailAddress:
    """One mailbox: ``display_name`` decoded ("" when absent), ``address`` as written."""

    display_name: str
    address: str
    ascii_domain: str

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def envelope(self) -> str:
        """The address for MAIL FROM / RCPT TO: the domain in its ASCII form."""
        return f"{self.local_part}@{self.ascii_domain}"

    def header_value(self, charset: str = "utf-8") -> str:
        """The mailbox as a 7-bit header carries it: display name RFC 2047-encoded when it is
        not ASCII, quoted when it holds specials; the domain in punycode."""
        return formataddr((self.display_name, self.envelope), charset)

    def __str__(self) -> str:
        """``Name <address>`` or the bare address: the form SES uses in event commonHeaders."""
        return f"{self.display_name} <{self.address}>" if self.display_name else self.address


def parse_address(text: str, *, smtputf8: bool = False) -> EmailAddress:
    """Exactly one mailbox, as a Source / Destination / ReplyTo parameter holds it."""
    mailboxes = parse_address_list(text, smtputf8=smtputf8)
    if not mailboxes:
        raise InvalidParameterValue("Empty address")
    if len(mailboxes) > 1:
        raise InvalidParameterValue("Illegal address")
    return mailboxes[0]


def parse_address_list(text: str, *, smtputf8: bool = False) -> list[EmailAddress]:
    """Every mailbox of an address-list header (To, Cc, Bcc, From, Reply-To), groups included.

    Empty members (``a@x.com,,b@x.com``) and empty groups (``undisclosed-recipients:;``) add
    nothing."""
    return [_parse_mailbox(chunk, smtputf8) for chunk in _split_mailboxes(text)]


def reject_header_injection(name: str, value: str) -> None:
    """A header value given as a parameter must stay on its own line: a CR or LF in it would
    start a header (or the body) of the caller's choosing."""
    if "\r" in value or "\n" in value:
        raise InvalidParameterValue(f"Header <{name}> can't contain a carriage return or line feed.")


# --- splitting a list into mailboxes --------------------------------------------------------


def _split_mailboxes(text: str) -> list[str]:
    """Top-level comma-separated members, with group syntax (``name: a, b;``) flattened."""
    items: list[str] = []
    buf: list[str] = []
    comment_depth = 0
    in_quote = in_angle = in_group = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_quote or comment_depth:
            buf.append(c)
            if c == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
                continue
            if in_quote and c == '"':
                in_quote = False
            elif comment_depth and c == "(":
                comment_depth += 1
            elif comment_depth and c == ")":
                comment_depth -= 1
        elif c == '"':
            in_quote = True
            buf.append(c)
        elif c == "(":
            comment_depth = 1
            buf.append(c)
        elif c == ")":
            raise InvalidParameterValue("Missing '('")
        elif c == "<":
            if in_angle:
                raise InvalidParameterValue("Extra route-addr")
            in_angle = True
            buf.append(c)
        elif c == ">":
            if not in_angle:
                raise InvalidParameterValue("Missing '<'")
            in_angle = False
            buf.append(c)
        elif in_angle:
            buf.append(c)
        elif c == ",":
            items.append("".join(buf))
            buf = []
        elif c == ":":
            if in_group:
                raise InvalidParameterValue("Nested group")
            # What stood before the colon is the group's name, not a mailbox.
            in_group = True
            buf = []
        elif c == ";":
            if not in_group:
                raise InvalidParameterValue("Illegal semicolon, not in group")
            in_group = False
            items.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    if in_quote:
        raise InvalidParameterValue("Missing '\"'")
    if comment_depth:
        raise InvalidParameterValue("Missing ')'")
    if in_angle:
        raise InvalidParameterValue("Missing '>'")
    if in_group:
        raise InvalidParameterValue("Missing ';' in group")
    items.append("".join(buf))
    return [item for item in items if _without_comments(item)[0].strip()]


# --- one mailbox ----------------------------------------------------------------------------


def _parse_mailbox(chunk: str, smtputf8: bool) -> EmailAddress:
    text, comments = _without_comments(chunk)
    angle = _find_unquoted(text, "<")
    if angle >= 0:
        close = text.index(">", angle)
        if text[close + 1 :].strip():
            raise InvalidParameterValue("Illegal address")
        display = _decode_display_name(text[:angle])
        spec = text[angle + 1 : close].strip()
        # Obsolete source route (<@relay1,@relay2:user@example.com>): the route is dropped.
        if spec.startswith("@") and ":" in spec:
            spec = spec[spec.index(":") + 1 :].strip()
    else:
        spec = text.strip()
        # Old style "user@example.com (Name)": the comment is the only name there is.
        display = _decode_display_name(" ".join(comments))
    local, domain, ascii_domain = _check_addr_spec(spec, smtputf8)
    return EmailAddress(display_name=display, address=f"{local}@{domain}", ascii_domain=ascii_domain)


def _without_comments(text: str) -> tuple[str, list[str]]:
    """``text`` with (comments) replaced by a space, and the comments' contents."""
    out: list[str] = []
    comments: list[str] = []
    current: list[str] = []
    depth = 0
    in_quote = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if depth:
            if c == "\\" and i + 1 < n:
                current.append(text[i + 1])
                i += 2
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    comments.append("".join(current).strip())
                    current = []
                    out.append(" ")
                    i += 1
                    continue
            current.append(c)
        elif in_quote:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_quote = False
        elif c == '"':
            in_quote = True
            out.append(c)
        elif c == "(":
            depth = 1
        else:
            out.append(c)
        i += 1
    return "".join(out), comments


def _find_unquoted(text: str, wanted: str) -> int:
    in_quote = False
    i = 0
    while i < len(text):
        c = text[i]
        if in_quote and c == "\\":
            i += 2
            continue
        if c == '"':
            in_quote = not in_quote
        elif c == wanted and not in_quote:
            return i
        i += 1
    return -1


def _decode_display_name(raw: str) -> str:
    """Quoted-strings unquoted, whitespace runs collapsed, RFC 2047 encoded words decoded."""
    text = raw.strip()
    chars: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                chars.append(text[i])
                i += 1
        else:
            chars.append(c)
        i += 1
    joined = " ".join("".join(chars).split())
    if "=?" not in joined:
        return joined
    try:
        return str(make_header(decode_header(joined)))
    except (LookupError, UnicodeDecodeError, ValueError):
        # An encoded word in an unknown charset: shown as written rather than failing the send.
        return joined


def _check_addr_spec(spec: str, smtputf8: bool) -> tuple[str, str, str]:
    if not spec:
        raise InvalidParameterValue("Empty address")
    at = _last_unquoted_at(spec)
    if at < 0:
        raise InvalidParameterValue("Missing final '@domain'")
    local, domain = spec[:at], spec[at + 1 :]
    if not local:
        raise InvalidParameterValue("Missing local name")
    if not domain:
        raise InvalidParameterValue("Missing domain")
    _check_local(local, smtputf8)
    return local, domain, _ascii_domain(domain)


def _last_unquoted_at(spec: str) -> int:
    found = -1
    in_quote = False
    i = 0
    while i < len(spec):
        c = spec[i]
        if in_quote and c == "\\":
            i += 2
            continue
        if c == '"':
            in_quote = not in_quote
        elif c == "@" and not in_quote:
            found = i
        i += 1
    return found


def _check_local(local: str, smtputf8: bool) -> None:
    if len(local) >= 2 and local[0] == '"' and local[-1] == '"':
        inner = local[1:-1]
        if "\r" in inner or "\n" in inner:
            raise InvalidParameterValue("Quoted local address contains newline or CR")
        if not smtputf8 and not inner.isascii():
            raise InvalidParameterValue("Local address contains illegal character")
        return
    for c in local:
        if ord(c) <= 32 or ord(c) == 127 or c.isspace():
            raise InvalidParameterValue("Local address contains control or whitespace")
    for c in local:
        if c in _LOCAL_ALLOWED or (smtputf8 and ord(c) > 127):
            continue
        raise InvalidParameterValue("Local address contains illegal character")
    if local.startswith("."):
        raise InvalidParameterValue("Local address starts with dot")
    if local.endswith("."):
        raise InvalidParameterValue("Local address ends with dot")
    if ".." in local:
        raise InvalidParameterValue("Local address contains dot-dot")


def _ascii_domain(domain: str) -> str:
    if domain.startswith("[") and domain.endswith("]"):
        return domain  # an address literal, [192.0.2.1]: no name to convert
    for c in domain:
        if ord(c) <= 32 or ord(c) == 127 or c.isspace():
            raise InvalidParameterValue("Domain contains control or whitespace")
    for c in domain:
        if not (c in _ASCII_ALNUM or c in "-." or (ord(c) > 127 and c.isalnum())):
            raise InvalidParameterValue("Domain contains illegal character")
    if domain.startswith("."):
        raise InvalidParameterValue("Domain starts with dot")
    if domain.endswith("."):
        raise InvalidParameterValue("Domain ends with dot")
    if ".." in domain:
        raise InvalidParameterValue("Domain contains dot-dot")
    if domain.isascii():
        return domain
    try:
        return ".".join(
            label if label.isascii() else label.encode("idna").decode("ascii") for label in domain.split(".")
        )
    except UnicodeError:
        raise InvalidParameterValue("Domain contains illegal character") from None
