"""Sending quotas: the maximum send rate and the rolling 24-hour quota, counted in recipients.

A send reserves its recipients before it is queued, and the reservation counts at once
(GetSendQuota shows it). Reservations are atomic in the store, so concurrent senders in any
number of threads, processes or Lambda functions never together pass either limit:

- Rate: time is cut into windows of one second (longer when the rate is below one per second)
  holding at most ``floor(rate * window)`` recipients. A message with more recipients than one
  window holds takes as many consecutive windows as it needs, all of which must still be empty,
  so it pays for its size by holding back the sends after it (SES: a send may burst past the
  rate, not sustain it).
- 24 hours: recipients are counted in buckets of ``DAILY_BUCKET_SECONDS``; a bucket counts while
  any part of it lies within the last 24 hours, so a recipient counts for 24 hours at least and
  24 hours plus one bucket at most. The fine grain keeps the window rolling; coarser buckets
  would make the store's item smaller, finer ones the count closer to exactly 24 hours.

The store applies a change only when its conditions still hold when it is written (DynamoDB's
conditional update): a window's count may not pass its ceiling, the running total may not pass
the quota, and expired buckets are dropped only if nobody changed them meanwhile. A change that
fails its conditions is re-read and re-planned, so a reservation is refused only when the
limits, read consistently, leave no room.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from sesame.domain.accounts import Account
from sesame.domain.errors import DailyQuotaExceeded, Throttling

RATE_EXCEEDED = "Maximum sending rate exceeded."
DAILY_QUOTA_EXCEEDED = "Daily message quota exceeded."

DAY_SECONDS = 86_400
DAILY_BUCKET_SECONDS = 600
# The store's record of an account outlives its newest bucket by a day: an idle account's
# record then holds nothing that still counts, and expiry may delete it.
RECORD_LIFETIME = DAY_SECONDS + DAILY_BUCKET_SECONDS + DAY_SECONDS
# A message never takes more rate windows than this (50 recipients at one per second fit).
MAX_RATE_WINDOWS = 100
# Expired buckets dropped in one write, which keeps each condition expression small.
MAX_DROPS_PER_WRITE = 40
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class QuotaUsage:
    """An account's counters as stored: rate windows and 24-hour buckets by start second."""

    rate_windows: Mapping[int, int] = field(default_factory=dict)
    daily_buckets: Mapping[int, int] = field(default_factory=dict)
    total: int = 0  # the sum of ``daily_buckets``, kept so one condition can check the quota


@dataclass(frozen=True)
class UsageChange:
    """One atomic change of an account's counters, applied only if its conditions hold."""

    expires_at: int
    # Recipients added to rate windows, and the most each window may hold before the addition.
    rate_additions: Mapping[int, int] = field(default_factory=dict)
    rate_ceilings: Mapping[int, int] = field(default_factory=dict)
    # Past windows, removed without condition: nothing counts them any more.
    stale_windows: tuple[int, ...] = ()
    daily_bucket: int | None = None
    daily_units: int = 0
    # Expired buckets with the count they held when read; removed only if they still hold it.
    dropped_buckets: Mapping[int, int] = field(default_factory=dict)
    # The most ``total`` may be before the change; None: the quota is not checked.
    total_ceiling: int | None = None

    @property
    def total_delta(self) -> int:
        return self.daily_units - sum(self.dropped_buckets.values())


class QuotaStore(Protocol):
    def load(self, account_id: str) -> QuotaUsage:
        """The account's counters, read consistently (empty when it has none)."""
        ...

    def apply(self, account_id: str, change: UsageChange) -> bool:
        """Apply ``change`` atomically if its conditions hold; False when one did not."""
        ...


@dataclass(frozen=True)
class RateWindow:
    seconds: int
    capacity: int


def rate_window(max_send_rate: float) -> RateWindow:
    """The window the rate is enforced over: one second, or at a rate below one per second the
    shortest whole number of seconds that holds one recipient."""
    if max_send_rate >= 1:
        return RateWindow(1, math.floor(max_send_rate))
    if max_send_rate <= 0:
        return RateWindow(1, 0)
    seconds = math.ceil(1 / max_send_rate - 1e-9)
    return RateWindow(seconds, max(1, math.floor(max_send_rate * seconds + 1e-9)))


def bucket_start(now: float) -> int:
    return int(now // DAILY_BUCKET_SECONDS) * DAILY_BUCKET_SECONDS


def counts_today(bucket: int, now: float) -> bool:
    """Whether the bucket starting at ``bucket`` still counts toward the last 24 hours."""
    return bucket + DAILY_BUCKET_SECONDS > now - DAY_SECONDS


@dataclass(frozen=True)
class _Plan:
    """What one reservation needs, independent of the counters it meets."""

    additions: dict[int, int]  # rate window start -> recipients
    ceilings: dict[int, int]
    current_window: int
    daily_units: int
    daily_limit: int | None  # None: unlimited
    bucket: int
    now: float

    def refusal(self, usage: QuotaUsage) -> str | None:
        """The message SES would refuse with, judged on ``usage``; None if there is room."""
        if self.daily_limit is not None and self.daily_units:
            live = sum(v for start, v in usage.daily_buckets.items() if counts_today(start, self.now))
            if live + self.daily_units > self.daily_limit:
                return DAILY_QUOTA_EXCEEDED
        for window, ceiling in self.ceilings.items():
            if usage.rate_windows.get(window, 0) > ceiling:
                return RATE_EXCEEDED
        return None

    def change(self, usage: QuotaUsage) -> UsageChange:
        expired = _expired(usage, self.now)
        dropped = dict(expired[:MAX_DROPS_PER_WRITE])
        ceiling = None
        if self.daily_limit is not None and self.daily_units:
            ceiling = self.daily_limit - self.daily_units + sum(dropped.values())
        return UsageChange(
            expires_at=int(self.now) + RECORD_LIFETIME,
            rate_additions=self.additions,
            rate_ceilings=self.ceilings,
            stale_windows=tuple(w for w in usage.rate_windows if w < self.current_window),
            daily_bucket=self.bucket if self.daily_units else None,
            daily_units=self.daily_units,
            dropped_buckets=dropped,
            total_ceiling=ceiling,
        )


def _expired(usage: QuotaUsage, now: float) -> list[tuple[int, int]]:
    return sorted((start, v) for start, v in usage.daily_buckets.items() if not counts_today(start, now))


class QuotaService:
    def __init__(self, store: QuotaStore, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        self._store = store
        self._max_attempts = max_attempts

    def reserve(self, account: Account, *, rate_units: int, daily_units: int, now: float) -> None:
        """Count ``rate_units`` recipients against the rate and ``daily_units`` of them against
        the 24-hour quota, or raise Throttling and count nothing."""
        if not 0 <= daily_units <= rate_units:
            raise ValueError(f"expected 0 <= daily_units <= rate_units, got {daily_units}, {rate_units}")
        if rate_units == 0:
            return
        plan = _plan(account, rate_units, daily_units, now)
        account_id = account.account_id
        for _ in range(self._max_attempts):
            usage = self._store.load(account_id)
            refusal = plan.refusal(usage)
            if refusal is not None:
                raise DailyQuotaExceeded(refusal) if refusal == DAILY_QUOTA_EXCEEDED else Throttling(refusal)
            if len(_expired(usage, now)) > MAX_DROPS_PER_WRITE:
                # More expired buckets than one write drops (an account back after a quiet
                # day): clear some first, so that the reservation's quota check is exact.
                self._store.apply(account_id, _cleanup_only(plan).change(usage))
                continue
            if self._store.apply(account_id, plan.change(usage)):
                return
        # Every attempt lost to a concurrent change that left room on reading: the account is
        # being sent from as fast as the store takes writes.
        raise Throttling(RATE_EXCEEDED)

    def sent_last_24_hours(self, account_id: str, now: float) -> float:
        usage = self._store.load(account_id)
        return float(sum(v for start, v in usage.daily_buckets.items() if counts_today(start, now)))


def _plan(account: Account, rate_units: int, daily_units: int, now: float) -> _Plan:
    window = rate_window(account.max_send_rate)
    if window.capacity < 1:
        raise Throttling(RATE_EXCEEDED)
    daily_limit = None if account.max_24_hour_send < 0 else math.floor(account.max_24_hour_send)
    if daily_limit is not None and daily_units > daily_limit:
        raise DailyQuotaExceeded(DAILY_QUOTA_EXCEEDED)
    windows_needed = math.ceil(rate_units / window.capacity)
    if windows_needed > MAX_RATE_WINDOWS:
        raise Throttling(RATE_EXCEEDED)
    first = int(now // window.seconds) * window.seconds
    additions: dict[int, int] = {}
    ceilings: dict[int, int] = {}
    remaining = rate_units
    for index in range(windows_needed):
        start = first + index * window.seconds
        units = min(remaining, window.capacity)
        additions[start] = units
        ceilings[start] = window.capacity - units
        remaining -= units
    return _Plan(
        additions=additions,
        ceilings=ceilings,
        current_window=first,
        daily_units=daily_units,
        daily_limit=daily_limit,
        bucket=bucket_start(now),
        now=now,
    )


def _cleanup_only(plan: _Plan) -> _Plan:
    """The same moment's change with nothing reserved: it only drops what has expired."""
    return replace(plan, additions={}, ceilings={}, daily_units=0, daily_limit=None)
