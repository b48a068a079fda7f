"""QuotaService against an in-memory store that applies changes with DynamoDB's conditional
semantics (the store port's fake)."""

from __future__ import annotations

import re
import threading

import pytest

from sesame.domain.accounts import Account
from sesame.domain.errors import Throttling
from sesame.domain.quotas import (
    DAILY_BUCKET_SECONDS,
    DAILY_QUOTA_EXCEEDED,
    DAY_SECONDS,
    MAX_DROPS_PER_WRITE,
    RATE_EXCEEDED,
    QuotaService,
    QuotaUsage,
    UsageChange,
    rate_window,
)

T0 = 1_700_000_000.0  # an even second, 200 s into a 24-hour bucket


class MemoryQuotaStore:
    """Holds each account's counters; ``apply`` checks every condition, then writes, atomically."""

    def __init__(self) -> None:
        self.usage: dict[str, QuotaUsage] = {}
        self.applied = 0
        self.refused = 0
        self.lose_next = 0  # how many coming applies lose to a "concurrent writer"
        self._lock = threading.Lock()

    def load(self, account_id: str) -> QuotaUsage:
        with self._lock:
            return self.usage.get(account_id, QuotaUsage())

    def apply(self, account_id: str, change: UsageChange) -> bool:
        with self._lock:
            if self.lose_next:
                self.lose_next -= 1
                self.refused += 1
                return False
            usage = self.usage.get(account_id, QuotaUsage())
            windows, buckets = dict(usage.rate_windows), dict(usage.daily_buckets)
            ok = all(windows.get(w, 0) <= c for w, c in change.rate_ceilings.items())
            ok = ok and all(buckets.get(b) == held for b, held in change.dropped_buckets.items())
            ok = ok and (change.total_ceiling is None or usage.total <= change.total_ceiling)
            if not ok:
                self.refused += 1
                return False
            for w, units in change.rate_additions.items():
                windows[w] = windows.get(w, 0) + units
            for w in change.stale_windows:
                windows.pop(w, None)
            for b in change.dropped_buckets:
                del buckets[b]
            if change.daily_bucket is not None:
                buckets[change.daily_bucket] = buckets.get(change.daily_bucket, 0) + change.daily_units
            self.usage[account_id] = QuotaUsage(windows, buckets, usage.total + change.total_delta)
            self.applied += 1
            return True


def account(rate: float = 14, daily: float = 50_000, account_id: str = "111111111111") -> Account:
    return Account(
        account_id=account_id,
        sandbox=False,
        sending_enabled=True,
        max_send_rate=rate,
        max_24_hour_send=daily,
        created_at=0.0,
    )


@pytest.fixture
def store() -> MemoryQuotaStore:
    return MemoryQuotaStore()


@pytest.fixture
def quotas(store: MemoryQuotaStore) -> QuotaService:
    return QuotaService(store)


def reserved(quotas: QuotaService, acct: Account, now: float, times: int, units: int = 1) -> int:
    """How many of ``times`` reservations of ``units`` at ``now`` were accepted."""
    accepted = 0
    for _ in range(times):
        try:
            quotas.reserve(acct, rate_units=units, daily_units=units, now=now)
        except Throttling:
            continue
        accepted += 1
    return accepted


def test_one_second_accepts_exactly_the_max_send_rate(quotas: QuotaService) -> None:
    acct = account(rate=14)
    assert reserved(quotas, acct, T0, 20) == 14
    with pytest.raises(Throttling, match=f"^{re.escape(RATE_EXCEEDED)}$"):
        quotas.reserve(acct, rate_units=1, daily_units=1, now=T0 + 0.99)
    assert reserved(quotas, acct, T0 + 1, 20) == 14


def test_the_rate_error_is_ses_throttling_on_both_apis() -> None:
    error = Throttling(RATE_EXCEEDED)
    assert (error.wire_code(1), error.wire_code(2)) == ("Throttling", "TooManyRequestsException")


def test_daily_quota_refuses_the_send_that_would_pass_it_and_counts_nothing_for_it(
    quotas: QuotaService,
) -> None:
    acct = account(rate=100, daily=10)
    quotas.reserve(acct, rate_units=8, daily_units=8, now=T0)
    with pytest.raises(Throttling, match=f"^{re.escape(DAILY_QUOTA_EXCEEDED)}$"):
        quotas.reserve(acct, rate_units=3, daily_units=3, now=T0 + 1)
    assert quotas.sent_last_24_hours(acct.account_id, T0 + 1) == 8
    quotas.reserve(acct, rate_units=2, daily_units=2, now=T0 + 2)
    assert quotas.sent_last_24_hours(acct.account_id, T0 + 2) == 10


def test_a_reservation_counts_at_once_and_simulator_recipients_only_against_the_rate(
    quotas: QuotaService,
) -> None:
    acct = account(rate=5, daily=100)
    quotas.reserve(acct, rate_units=3, daily_units=1, now=T0)
    assert quotas.sent_last_24_hours(acct.account_id, T0) == 1.0
    assert reserved(quotas, acct, T0, 5) == 2  # the window holds 3 already


def test_the_24_hour_window_rolls(quotas: QuotaService) -> None:
    acct = account(rate=100, daily=10)
    quotas.reserve(acct, rate_units=10, daily_units=10, now=T0)
    # Still inside 24 hours: refused.
    with pytest.raises(Throttling, match=re.escape(DAILY_QUOTA_EXCEEDED)):
        quotas.reserve(acct, rate_units=1, daily_units=1, now=T0 + DAY_SECONDS - 1)
    # Once the whole bucket has left the last 24 hours, the quota is free again.
    later = T0 + DAY_SECONDS + DAILY_BUCKET_SECONDS
    assert quotas.sent_last_24_hours(acct.account_id, later) == 0
    assert reserved(quotas, acct, later, 12) == 10


def test_a_message_larger_than_one_second_of_rate_holds_back_the_following_seconds(
    quotas: QuotaService,
) -> None:
    acct = account(rate=2)
    quotas.reserve(acct, rate_units=5, daily_units=5, now=T0)  # 2 at T0, 2 at T0+1, 1 at T0+2
    for later in (T0, T0 + 1):
        with pytest.raises(Throttling, match=re.escape(RATE_EXCEEDED)):
            quotas.reserve(acct, rate_units=1, daily_units=1, now=later)
    assert reserved(quotas, acct, T0 + 2, 3) == 1
    assert reserved(quotas, acct, T0 + 3, 3) == 2


def test_a_large_message_needs_every_window_it_takes_to_be_free(quotas: QuotaService) -> None:
    acct = account(rate=2)
    quotas.reserve(acct, rate_units=1, daily_units=1, now=T0)
    with pytest.raises(Throttling, match=re.escape(RATE_EXCEEDED)):
        quotas.reserve(acct, rate_units=4, daily_units=4, now=T0)
    assert quotas.sent_last_24_hours(acct.account_id, T0) == 1


def test_a_rate_below_one_per_second_allows_one_recipient_per_longer_window(quotas: QuotaService) -> None:
    acct = account(rate=0.5)
    assert rate_window(0.5).seconds == 2
    start = T0  # T0 is even, so a two-second window starts there
    assert reserved(quotas, acct, start, 3) == 1
    assert reserved(quotas, acct, start + 1, 3) == 0
    assert reserved(quotas, acct, start + 2, 3) == 1


def test_a_quota_of_minus_one_is_unlimited(quotas: QuotaService) -> None:
    acct = account(rate=1000, daily=-1)
    quotas.reserve(acct, rate_units=900, daily_units=900, now=T0)
    quotas.reserve(acct, rate_units=1000, daily_units=1000, now=T0 + 1)
    assert quotas.sent_last_24_hours(acct.account_id, T0 + 1) == 1900


def test_losing_to_a_concurrent_writer_is_retried(store: MemoryQuotaStore, quotas: QuotaService) -> None:
    store.lose_next = 3
    quotas.reserve(account(), rate_units=1, daily_units=1, now=T0)
    assert store.applied == 1 and store.refused == 3


def test_a_store_that_always_loses_ends_in_throttling_not_a_loop(store: MemoryQuotaStore) -> None:
    store.lose_next = 100
    with pytest.raises(Throttling, match=re.escape(RATE_EXCEEDED)):
        QuotaService(store, max_attempts=4).reserve(account(), rate_units=1, daily_units=1, now=T0)
    assert store.refused == 4 and store.applied == 0


def test_many_expired_buckets_are_dropped_before_an_exact_quota_check(
    store: MemoryQuotaStore, quotas: QuotaService
) -> None:
    acct = account(rate=100, daily=3 * MAX_DROPS_PER_WRITE)
    buckets = 3 * MAX_DROPS_PER_WRITE
    for i in range(buckets):
        quotas.reserve(acct, rate_units=1, daily_units=1, now=T0 + i * DAILY_BUCKET_SECONDS / 4)
    later = T0 + 2 * DAY_SECONDS
    # The whole quota is free again and all of it can be taken at once.
    quotas.reserve(acct, rate_units=100, daily_units=100, now=later)
    usage = store.load(acct.account_id)
    assert usage.total == 100 and list(usage.daily_buckets.values()) == [100]


def test_past_rate_windows_are_removed_by_the_next_reservation(
    store: MemoryQuotaStore, quotas: QuotaService
) -> None:
    acct = account()
    for second in range(5):
        quotas.reserve(acct, rate_units=1, daily_units=1, now=T0 + second)
    assert list(store.load(acct.account_id).rate_windows) == [int(T0) + 4]


def test_accounts_have_separate_counters(quotas: QuotaService) -> None:
    first, second = account(rate=1), account(rate=1, account_id="222222222222")
    quotas.reserve(first, rate_units=1, daily_units=1, now=T0)
    quotas.reserve(second, rate_units=1, daily_units=1, now=T0)
    assert quotas.sent_last_24_hours(second.account_id, T0) == 1


def test_nonsensical_unit_counts_are_a_programming_error(quotas: QuotaService) -> None:
    with pytest.raises(ValueError):
        quotas.reserve(account(), rate_units=1, daily_units=2, now=T0)
    quotas.reserve(account(), rate_units=0, daily_units=0, now=T0)  # nothing to count


@pytest.mark.parametrize(
    ("rate", "seconds", "capacity"),
    [(14, 1, 14), (1, 1, 1), (1.5, 1, 1), (0.5, 2, 1), (0.3, 4, 1), (0.1, 10, 1)],
)
def test_the_rate_window_never_holds_more_than_the_rate_allows(
    rate: float, seconds: int, capacity: int
) -> None:
    window = rate_window(rate)
    assert (window.seconds, window.capacity) == (seconds, capacity)
    assert window.capacity <= max(1, rate * window.seconds)
