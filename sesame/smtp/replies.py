"""The replies of the submission server, in SES's words, and the one place where a domain error
becomes an SMTP reply.

SES's SMTP interface documents its replies ("SMTP response codes returned by Amazon SES"); the
ones it documents are used verbatim, without enhanced status codes, as SES sends them.
"""

from __future__ import annotations

from sesame.domain.errors import (
    ConfigurationSetDoesNotExist,
    MessageRejected,
    SesError,
    Throttling,
)

AUTH_SUCCEEDED = "235 Authentication successful"
AUTH_REQUIRED = "530 Authentication required"
STARTTLS_FIRST = "530 Must issue a STARTTLS command first"
AUTH_INVALID = "535 Authentication Credentials Invalid"
AUTH_UNAVAILABLE = "454 Temporary authentication failure"
TOO_MANY_CONNECTIONS = "421 Too many concurrent SMTP connections"
TIMEOUT = "451 Timeout waiting for data from client"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
SERVICE_FAILURE = "451 Temporary service failure"
MESSAGE_TOO_LONG = "552 Message is too long."
# Protocol refusals SES does not document; worded after RFC 5321.
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
LINE_TOO_LONG = "500 5.5.6 Line too long"
BARE_LINE_ENDING = "554 Transaction failed: Message contains a bare CR or LF (lines end with CRLF only)."
START_DATA = "354 End data with <CR><LF>.<CR><LF>"


def accepted(message_id: str) -> str:
    return f"250 Ok {message_id}"


def transaction_failed(text: str) -> str:
    return f"554 Transaction failed: {_one_line(text)}"


def reply_for(error: SesError) -> str:
    """The reply to a send the domain refused."""
    text = _one_line(error.message)
    if isinstance(error, Throttling):
        return f"454 Throttling failure: {text}"
    if isinstance(error, MessageRejected):
        return f"554 Message rejected: {text}"
    if isinstance(error, ConfigurationSetDoesNotExist):
        return f"554 Configuration Set does not exist: {text}"
    if not error.sender_fault:
        return SERVICE_FAILURE
    return transaction_failed(text)


def _one_line(text: str) -> str:
    """A reply is one line of ASCII: line breaks would end it early and start a reply the
    client never asked for."""
    flat = " ".join(text.split())
    return flat.encode("ascii", "backslashreplace").decode("ascii")
