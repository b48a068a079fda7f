"""What keeps a public submission endpoint usable under abuse: a bound on concurrent connections
(in all and per client address) and a growing delay after failed logins from one address.

Both are kept in the memory of one server process and used from its event loop only.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class ConnectionLimiter:
    def __init__(self, *, max_total: int, max_per_address: int) -> None:
        self._max_total = max_total
        self._max_per_address = max_per_address
        self._open: Counter[str] = Counter()
        self._total = 0

    def admit(self, address: str) -> bool:
        """Count a new connection from ``address`` if both limits allow it."""
        if self._total >= self._max_total or self._open[address] >= self._max_per_address:
            return False
        self._open[address] += 1
        self._total += 1
        return True

    def release(self, address: str) -> None:
        """A connection ``admit`` counted has closed."""
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]
        self._total -= 1

    @property
    def open_connections(self) -> int:
        return self._total


@dataclass
class _Failures:
    count: int
    last: float


class AuthFailureThrottle:
    """Each failed login from an address is answered later than the one before: ``base``
    seconds, doubling up to ``ceiling``. An address that logs in successfully, or stays quiet for
    ``forget_after`` seconds, starts again from ``base``. At most ``max_addresses`` addresses are
    remembered (the least recently failing are forgotten first), so the table stays small
    whatever the number of addresses an attacker uses."""

    def __init__(
        self,
        *,
        base: float,
        ceiling: float,
        forget_after: float = 900.0,
        max_addresses: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base
        self._ceiling = ceiling
        self._forget_after = forget_after
        self._max_addresses = max_addresses
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def failed(self, address: str) -> float:
        """Record a failure; the seconds to wait before answering it."""
        now = self._clock()
        entry = self._failures.pop(address, None)
        if entry is None or now - entry.last > self._forget_after:
            entry = _Failures(count=0, last=now)
        entry.count += 1
        entry.last = now
        self._failures[address] = entry
        while len(self._failures) > self._max_addresses:
            self._failures.popitem(last=False)
        return min(self._ceiling, self._base * 2.0 ** min(entry.count - 1, 32))

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
