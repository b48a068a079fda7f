"""The message after DATA ends at CRLF.CRLF only; bare CR or LF (the shapes SMTP smuggling uses)
refuse the whole message without ending it early; size and line length are bounded."""

from __future__ import annotations

import asyncio

import pytest

from sesame.smtp.data_reader import DataOutcome, MessageData, read_message_data

SMUGGLED = (
    b"MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@inbox.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n"
)
# The end-of-data look-alikes of the published SMTP smuggling research.
FAKE_ENDS = [
    b"\n.\n",
    b"\n.\r\n",
    b"\r.\r",
    b"\r.\r\n",
    b"\r\n.\r",
    b"\r\n.\n",
]


def read(
    data: bytes, *, max_bytes: int = 10_000, max_line: int = 1001, limit: int = 1001
) -> tuple[MessageData, bytes]:
    """Read ``data`` as a client sends it; also what is left unread in the stream."""

    async def run() -> tuple[MessageData, bytes]:
        reader = asyncio.StreamReader(limit=limit)
        reader.feed_data(data)
        reader.feed_eof()
        result = await read_message_data(reader, max_bytes=max_bytes, max_line=max_line)
        return result, await reader.read()

    return asyncio.run(run())


def test_the_data_ends_at_crlf_dot_crlf_and_dots_are_unstuffed() -> None:
    result, rest = read(b"Subject: s\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n")
    assert result == MessageData(DataOutcome.COMPLETE, b"Subject: s\r\n\r\n.leading dot\r\n")
    assert rest == b"QUIT\r\n"


def test_an_empty_message_ends_at_the_first_dot_line() -> None:
    result, rest = read(b".\r\nNOOP\r\n")
    assert result == MessageData(DataOutcome.COMPLETE, b"")
    assert rest == b"NOOP\r\n"


@pytest.mark.parametrize("fake_end", FAKE_ENDS, ids=repr)
def test_a_smuggling_attempt_is_one_refused_message_read_to_the_real_end(fake_end: bytes) -> None:
    data = b"Subject: first\r\n\r\nfirst" + fake_end + SMUGGLED + b".\r\nNOOP\r\n"
    result, rest = read(data)
    assert result == MessageData(DataOutcome.BARE_LINE_ENDING)
    # The hidden commands were read as data: the next command is the client's real one.
    assert rest == b"NOOP\r\n"


def test_a_bare_line_ending_anywhere_refuses_the_message() -> None:
    assert read(b"Subject: a\nb\r\n\r\nx\r\n.\r\n")[0].outcome is DataOutcome.BARE_LINE_ENDING
    assert read(b"Subject: s\r\n\r\nx\ry\r\n.\r\n")[0].outcome is DataOutcome.BARE_LINE_ENDING


def test_a_dot_line_inside_a_long_line_does_not_end_the_data() -> None:
    data = b"Subject: s\r\n\r\n" + b"a" * 1500 + b"\r\n.\r\nNOOP\r\n"
    result, rest = read(data)
    assert result.outcome is DataOutcome.LINE_TOO_LONG and result.content == b""
    assert rest == b"NOOP\r\n"


def test_a_line_of_1000_octets_with_its_crlf_is_accepted_and_a_longer_one_is_not() -> None:
    longest = b"a" * 998 + b"\r\n"
    assert read(longest + b".\r\n")[0] == MessageData(DataOutcome.COMPLETE, longest)
    assert read(b"a" * 1000 + b"\r\n.\r\n")[0].outcome is DataOutcome.LINE_TOO_LONG


def test_more_data_than_allowed_is_refused_and_read_to_its_end() -> None:
    data = b"Subject: s\r\n\r\n" + b"0123456789\r\n" * 100 + b".\r\nNOOP\r\n"
    result, rest = read(data, max_bytes=500)
    assert result == MessageData(DataOutcome.TOO_LONG)
    assert rest == b"NOOP\r\n"
