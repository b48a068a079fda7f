"""Sending events counted under SES's CloudWatch metric names."""

from __future__ import annotations

from sesame.domain.sending.event_metrics import metric_counts


def test_events_are_counted_by_ses_metric_name() -> None:
    events = [
        {"eventType": "Send"},
        {"eventType": "Send"},
        {"eventType": "Rendering Failure"},
        {"eventType": "DeliveryDelay"},
        {"eventType": "Complaint"},
    ]
    assert metric_counts(events) == {"Send": 2, "RenderingFailure": 1, "DeliveryDelay": 1, "Complaint": 1}


def test_records_that_are_not_sending_events_are_not_counted() -> None:
    assert metric_counts([{"eventType": "Received"}, {}, {"eventType": None}]) == {}
