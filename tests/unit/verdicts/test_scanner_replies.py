"""What the spamd and clamd clients make of the daemons' replies, and the zINSTREAM framing."""

from __future__ import annotations

import struct

from sesame.adapters.clamd_client import instream_request, parse_clamd_reply
from sesame.adapters.spamd_client import parse_spamd_reply
from sesame.domain.content_scanning import ScanStatus


def test_a_spam_reply_is_found_with_its_score_and_rules() -> None:
    reply = b"SPAMD/1.1 0 EX_OK\r\nContent-length: 12\r\nSpam: True ; 1003.3 / 5.0\r\n\r\nGTUBE,NO_RCVD"
    result = parse_spamd_reply(reply)
    assert result.status == ScanStatus.FOUND
    assert result.detail == "score=1003.3 required=5.0 rules=GTUBE,NO_RCVD"


def test_a_ham_reply_is_clean() -> None:
    result = parse_spamd_reply(b"SPAMD/1.1 0 EX_OK\r\nSpam: False ; -0.1 / 5.0\r\n\r\n")
    assert (result.status, result.detail) == (ScanStatus.CLEAN, "score=-0.1 required=5.0")


def test_spamd_errors_and_strangers_are_failures() -> None:
    assert parse_spamd_reply(b"SPAMD/1.0 76 Bad header line: x\r\n\r\n").status == ScanStatus.FAILED
    assert parse_spamd_reply(b"HTTP/1.1 400 Bad Request\r\n\r\n").status == ScanStatus.FAILED
    assert parse_spamd_reply(b"SPAMD/1.1 0 EX_OK\r\n\r\n").status == ScanStatus.FAILED
    assert parse_spamd_reply(b"SPAMD/1.1 0 EX_OK\r\nSpam: maybe\r\n\r\n").status == ScanStatus.FAILED
    assert parse_spamd_reply(b"").status == ScanStatus.FAILED


def test_clamd_replies() -> None:
    assert parse_clamd_reply(b"stream: OK\0").status == ScanStatus.CLEAN
    found = parse_clamd_reply(b"stream: Win.Test.EICAR_HDB-1 FOUND\0")
    assert (found.status, found.detail) == (ScanStatus.FOUND, "Win.Test.EICAR_HDB-1")
    limit = parse_clamd_reply(b"INSTREAM size limit exceeded. ERROR\0")
    assert limit.status == ScanStatus.FAILED and "size limit" in limit.detail
    assert parse_clamd_reply(b"stream: Can't allocate memory ERROR\0").status == ScanStatus.FAILED
    assert parse_clamd_reply(b"").status == ScanStatus.FAILED


def test_instream_frames_each_chunk_with_its_length_and_ends_with_zero() -> None:
    pieces = [bytes(piece) for piece in instream_request(b"abcdefghij", chunk_size=4)]
    assert pieces == [
        b"zINSTREAM\0",
        struct.pack("!I", 4), b"abcd",
        struct.pack("!I", 4), b"efgh",
        struct.pack("!I", 2), b"ij",
        struct.pack("!I", 0),
    ]  # fmt: skip
