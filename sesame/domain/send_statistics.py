"""Send statistics (v1 GetSendStatistics): delivery attempts, bounces, complaints and rejects of
an account, counted in 15-minute intervals and read back for the last two weeks.

Each count is an atomic increment of its interval's counter, so concurrent workers never lose
one. Intervals are kept a day longer than they are reported (15 days), then expire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

INTERVAL_SECONDS = 15 * 60
REPORTED_SECONDS = 14 * 86_400
RETAINED_SECONDS = 15 * 86_400


@dataclass(frozen=True)
class SendCounts:
    delivery_attempts: int = 0
    bounces: int = 0
    complaints: int = 0
    rejects: int = 0

    def __bool__(self) -> bool:
        return any((self.delivery_attempts, self.bounces, self.complaints, self.rejects))


@dataclass(frozen=True)
class SendDataPoint:
    interval_start: int  # epoch seconds
    counts: SendCounts


class StatisticsStore(Protocol):
    def add(self, account_id: str, interval_start: int, counts: SendCounts, expires_at: int) -> None:
        """Add ``counts`` to the interval's counters atomically."""
        ...

    def since(self, account_id: str, first_interval: int) -> list[SendDataPoint]:
        """The intervals starting at or after ``first_interval``, oldest first."""
        ...


def interval_start(at: float) -> int:
    return int(at // INTERVAL_SECONDS) * INTERVAL_SECONDS


class SendStatistics:
    def __init__(self, store: StatisticsStore, *, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def record(self, account_id: str, counts: SendCounts, *, at: float | None = None) -> None:
        """Count ``counts`` in the interval holding ``at`` (now when not given)."""
        if not counts:
            return
        if min(counts.delivery_attempts, counts.bounces, counts.complaints, counts.rejects) < 0:
            raise ValueError(f"counts are never negative: {counts}")
        start = interval_start(self._clock() if at is None else at)
        self._store.add(account_id, start, counts, start + RETAINED_SECONDS)

    def data_points(self, account_id: str) -> list[SendDataPoint]:
        """The intervals of the last 14 days that saw any activity, oldest first."""
        first = interval_start(self._clock() - REPORTED_SECONDS)
        return [point for point in self._store.since(account_id, first) if point.counts]
