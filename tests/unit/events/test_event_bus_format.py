"""Sending events as EventBridge entries, and their grouping into PutEvents requests."""

from __future__ import annotations

import json

import pytest

from sesame.domain.sending.event_bus_format import (
    DETAIL_TYPES,
    MAX_REQUEST_BYTES,
    SOURCE,
    BusEntry,
    NotAnEvent,
    bus_entry,
    request_batches,
)


@pytest.mark.parametrize(
    ("event_type", "detail_type"),
    [
        ("Send", "Email Sent"),
        ("Rendering Failure", "Email Rendering Failed"),
        ("DeliveryDelay", "Email Delivery Delayed"),
        ("Complaint", "Email Complaint Received"),
    ],
)
def test_each_event_type_gets_ses_detail_type(event_type: str, detail_type: str) -> None:
    event = {"eventType": event_type, "mail": {"messageId": "m-1"}}
    entry = bus_entry(event)
    assert entry.detail_type == detail_type
    assert json.loads(entry.detail) == event


def test_every_ses_event_type_has_a_detail_type() -> None:
    assert len(set(DETAIL_TYPES.values())) == len(DETAIL_TYPES) == 10


@pytest.mark.parametrize("record", [{}, {"eventType": "Reboot"}, {"eventType": 7}])
def test_other_records_are_refused(record: dict[str, object]) -> None:
    with pytest.raises(NotAnEvent):
        bus_entry(record)


def test_size_counts_source_detail_type_and_detail_in_utf8() -> None:
    entry = BusEntry("Email Sent", '{"a":"é"}')
    assert entry.size == len(SOURCE) + len("Email Sent") + len('{"a":""}') + 2


def _entry(size: int) -> BusEntry:
    overhead = len(SOURCE) + len("Email Sent")
    return BusEntry("Email Sent", "x" * (size - overhead))


def test_requests_hold_at_most_ten_entries() -> None:
    plan = request_batches([_entry(100)] * 23)
    assert plan.batches == [list(range(10)), list(range(10, 20)), [20, 21, 22]]
    assert plan.oversized == []


def test_requests_stay_under_256_kb() -> None:
    half = MAX_REQUEST_BYTES // 2
    # Two halves make exactly 256 KB, which EventBridge refuses: the total must be less.
    assert request_batches([_entry(half), _entry(half), _entry(1)]).batches == [[0], [1, 2]]
    assert request_batches([_entry(half - 1), _entry(half), _entry(1)]).batches == [[0, 1], [2]]


def test_an_entry_no_request_can_carry_is_set_apart() -> None:
    plan = request_batches([_entry(10), _entry(MAX_REQUEST_BYTES), _entry(10)])
    assert plan.batches == [[0, 2]] and plan.oversized == [1]
