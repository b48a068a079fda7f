"""MessageIds in SES's format and the Message-ID header built from them."""

from __future__ import annotations

import re

from sesame.domain.sending.message_ids import (
    is_message_id,
    message_id_header,
    message_id_time,
    new_message_id,
)

SES_SHAPE = re.compile(
    r"^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-000000$"
)


def test_message_id_has_ses_shape_with_a_uuid4():
    message_id = new_message_id(1_700_000_000.123)
    assert SES_SHAPE.match(message_id)
    assert message_id.startswith("0100018bcfe56")
    assert is_message_id(message_id)


def test_message_id_carries_the_acceptance_time_in_milliseconds():
    assert message_id_time(new_message_id(1_700_000_000.123)) == 1_700_000_000.123


def test_message_ids_sort_by_acceptance_time():
    times = [1_600_000_000.0, 1_600_000_000.001, 1_700_000_000.5, 2_000_000_000.0]
    ids = [new_message_id(t) for t in reversed(times)]
    assert [message_id_time(i) for i in sorted(ids)] == times


def test_message_ids_are_unique_for_the_same_millisecond():
    assert len({new_message_id(1_700_000_000.0) for _ in range(100)}) == 100


def test_message_id_header_wraps_the_id_with_the_given_domain():
    assert (
        message_id_header("0100abc-000000", "us-east-1.amazonses.com")
        == "<0100abc-000000@us-east-1.amazonses.com>"
    )


def test_foreign_ids_have_no_time():
    assert message_id_time("not-an-id") is None
    assert not is_message_id("<custom@example.com>")
