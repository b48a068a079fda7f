"""Connections are bounded in all and per address; failed logins from one address are answered
ever later."""

from __future__ import annotations

import pytest

from sesame.smtp.limits import AuthFailureThrottle, ConnectionLimiter


def test_connections_per_address_are_bounded_and_freed_when_closed() -> None:
    limiter = ConnectionLimiter(max_total=10, max_per_address=2)
    assert limiter.admit("192.0.2.1") and limiter.admit("192.0.2.1")
    assert not limiter.admit("192.0.2.1")
    assert limiter.admit("192.0.2.2")
    limiter.release("192.0.2.1")
    assert limiter.admit("192.0.2.1")
    assert limiter.open_connections == 3


def test_connections_in_all_are_bounded() -> None:
    limiter = ConnectionLimiter(max_total=2, max_per_address=5)
    assert limiter.admit("192.0.2.1") and limiter.admit("192.0.2.2")
    assert not limiter.admit("192.0.2.3")
    limiter.release("192.0.2.2")
    assert limiter.admit("192.0.2.3")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_failure_from_an_address_waits_twice_as_long_up_to_the_ceiling() -> None:
    throttle = AuthFailureThrottle(base=0.5, ceiling=3.0, clock=Clock())
    assert [throttle.failed("192.0.2.1") for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert throttle.failed("192.0.2.2") == 0.5  # another address starts afresh


def test_a_success_or_a_quiet_spell_starts_the_delays_again() -> None:
    clock = Clock()
    throttle = AuthFailureThrottle(base=1.0, ceiling=60.0, forget_after=900.0, clock=clock)
    throttle.failed("192.0.2.1")
    throttle.failed("192.0.2.1")
    throttle.succeeded("192.0.2.1")
    assert throttle.failed("192.0.2.1") == 1.0
    clock.now += 901
    assert throttle.failed("192.0.2.1") == 1.0


def test_the_throttle_remembers_a_bounded_number_of_addresses() -> None:
    throttle = AuthFailureThrottle(base=1.0, ceiling=60.0, max_addresses=2, clock=Clock())
    for address in ("192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3"):
        throttle.failed(address)
    # The oldest address was forgotten: its next failure counts as a first one.
    assert throttle.failed("192.0.2.1") == 1.0


@pytest.mark.parametrize("count", [2000])
def test_very_many_failures_keep_a_finite_delay(count: int) -> None:
    throttle = AuthFailureThrottle(base=0.5, ceiling=30.0, clock=Clock())
    delays = [throttle.failed("192.0.2.1") for _ in range(count)]
    assert delays[-1] == 30.0
