"""Pure parts of outbound delivery: MX ordering, message preparation, client options."""

from __future__ import annotations

import random
import ssl

import pytest

from sesame.adapters.mx_resolver import order_by_preference
from sesame.adapters.smtp_transport import (
    RelayTransport,
    SmtpOptions,
    has_utf8_headers,
    needs_smtputf8,
    normalise_line_endings,
)
from sesame.domain.sending.transport import Envelope


def test_exchangers_are_ordered_by_preference() -> None:
    records = [(20, "b.test"), (5, "c.test"), (10, "a.test")]
    assert order_by_preference(records, random.Random(1)) == [(5, "c.test"), (10, "a.test"), (20, "b.test")]


def test_equal_preferences_come_in_every_order_and_never_before_a_lower_one() -> None:
    records = [(10, "a.test"), (10, "b.test"), (10, "c.test"), (20, "z.test"), (5, "first.test")]
    rng = random.Random(7)
    seen = set()
    for _ in range(200):
        ordered = order_by_preference(records, rng)
        assert ordered[0] == (5, "first.test")
        assert ordered[-1] == (20, "z.test")
        seen.add(tuple(host for _, host in ordered[1:4]))
    assert len(seen) == 6  # all permutations of the three equal hosts


def test_a_host_listed_twice_at_one_preference_is_tried_once() -> None:
    assert order_by_preference([(10, "a.test"), (10, "a.test")], random.Random(0)) == [(10, "a.test")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a\r\nb\r\n", b"a\r\nb\r\n"),
        (b"a\nb\n", b"a\r\nb\r\n"),
        (b"a\rb", b"a\r\nb"),
        (b"a\r\r\nb", b"a\r\n\r\nb"),
        (b"", b""),
    ],
)
def test_line_endings_become_crlf(raw: bytes, expected: bytes) -> None:
    assert normalise_line_endings(raw) == expected


def _envelope(mail_from: str = "a@example.test", *recipients: str) -> Envelope:
    return Envelope("id", mail_from, recipients or ("b@example.test",), b"Subject: x\r\n\r\nbody\r\n")


def test_smtputf8_is_needed_only_for_non_ascii_addresses() -> None:
    assert not needs_smtputf8(_envelope())
    assert needs_smtputf8(_envelope("jörg@example.test"))
    assert needs_smtputf8(_envelope("a@example.test", "b@example.test", "用户@例子.test"))


def test_utf8_headers_are_detected_in_the_header_section_only() -> None:
    assert has_utf8_headers("Subject: Grüße\r\n\r\nbody".encode())
    assert not has_utf8_headers("Subject: hello\r\n\r\nGrüße".encode())


def test_certificates_are_not_verified_unless_configured() -> None:
    context = SmtpOptions().tls_context()
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname
    verifying = SmtpOptions(verify_certificates=True).tls_context()
    assert verifying.verify_mode == ssl.CERT_REQUIRED and verifying.check_hostname


@pytest.mark.parametrize("relay", ["no-port", "host:", ":25", "host:abc"])
def test_relay_must_be_host_and_port(relay: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        RelayTransport(relay)
