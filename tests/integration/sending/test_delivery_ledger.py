"""The delivery ledger's conditional writes on DynamoDB (moto): who may send, and when."""

from __future__ import annotations

import threading

import pytest

from sesame.adapters.dynamodb_delivery_ledger import DynamoDeliveryLedger
from sesame.domain.sending.model import BounceSubType, BounceType, RecipientResult, ResultKind
from sesame.domain.sending.ports import LedgerState

MID = "0100019000000000-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000"


@pytest.fixture
def ledger(aws_env):
    aws, settings = aws_env
    return DynamoDeliveryLedger(aws.dynamodb, settings.tables.deliveries)


def _result(recipient: str, kind: ResultKind) -> RecipientResult:
    bounced = kind is ResultKind.BOUNCED
    return RecipientResult(
        recipient=recipient,
        kind=kind,
        smtp_response="250 ok" if kind is ResultKind.DELIVERED else "550 5.1.1 no",
        bounce_type=BounceType.PERMANENT if bounced else None,
        bounce_subtype=BounceSubType.NO_EMAIL if bounced else None,
    )


def test_only_one_of_many_concurrent_claims_for_an_attempt_wins(ledger) -> None:
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(ledger.claim(MID, "a@example.com", 1, now=1000.0, lease_seconds=300))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1


def test_a_delivered_recipient_can_never_be_claimed_again(ledger) -> None:
    assert ledger.claim(MID, "a@example.com", 1, now=1000.0, lease_seconds=300)
    assert ledger.record(MID, _result("a@example.com", ResultKind.DELIVERED), 1, now=1001.0)
    assert not ledger.claim(MID, "a@example.com", 1, now=99999.0, lease_seconds=300)
    assert not ledger.claim(MID, "a@example.com", 2, now=99999.0, lease_seconds=300)
    assert ledger.entries(MID, ("a@example.com",))["a@example.com"].state is LedgerState.DELIVERED


def test_a_lapsed_claim_is_taken_over_but_a_live_one_is_not(ledger) -> None:
    assert ledger.claim(MID, "a@example.com", 1, now=1000.0, lease_seconds=300)
    assert not ledger.claim(MID, "a@example.com", 1, now=1200.0, lease_seconds=300)
    assert ledger.claim(MID, "a@example.com", 1, now=1301.0, lease_seconds=300)


def test_a_deferred_recipient_may_be_claimed_only_by_the_next_attempt(ledger) -> None:
    assert ledger.claim(MID, "a@example.com", 1, now=1000.0, lease_seconds=300)
    assert ledger.record(MID, _result("a@example.com", ResultKind.DEFERRED), 1, now=1001.0)
    assert not ledger.claim(MID, "a@example.com", 1, now=5000.0, lease_seconds=300)
    assert not ledger.claim(MID, "a@example.com", 3, now=5000.0, lease_seconds=300)
    assert ledger.claim(MID, "a@example.com", 2, now=5000.0, lease_seconds=300)


def test_an_outcome_is_not_recorded_over_a_claim_that_was_lost(ledger) -> None:
    assert ledger.claim(MID, "a@example.com", 1, now=1000.0, lease_seconds=300)
    assert ledger.record(MID, _result("a@example.com", ResultKind.BOUNCED), 1, now=1001.0)
    assert not ledger.record(MID, _result("a@example.com", ResultKind.DELIVERED), 1, now=1002.0)
    assert ledger.entries(MID, ("a@example.com",))["a@example.com"].state is LedgerState.BOUNCED


def test_retry_queued_is_remembered_for_the_deferred_attempt(ledger) -> None:
    ledger.claim(MID, "a@example.com", 1, now=1000.0, lease_seconds=300)
    ledger.record(MID, _result("a@example.com", ResultKind.DEFERRED), 1, now=1001.0)
    assert not ledger.entries(MID, ("a@example.com",))["a@example.com"].retry_queued
    ledger.mark_retry_queued(MID, "a@example.com", 1)
    assert ledger.entries(MID, ("a@example.com",))["a@example.com"].retry_queued


def test_entries_reads_more_than_one_batch_of_recipients(ledger) -> None:
    recipients = tuple(f"r{i}@example.com" for i in range(130))
    for r in recipients[::2]:
        ledger.claim(MID, r, 1, now=1000.0, lease_seconds=300)
    found = ledger.entries(MID, recipients)
    assert set(found) == set(recipients[::2])
