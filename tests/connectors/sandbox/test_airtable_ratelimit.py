"""The sandbox's Airtable rate limit on a hand-driven clock: a burst, a penalty, recovery."""

from __future__ import annotations

from connectors.sandbox.airtable_ratelimit import RateLimiter


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_five_a_second_pass_and_the_sixth_starts_a_penalty() -> None:
    clock = Clock()
    limiter = RateLimiter(5, 30, clock=clock)

    assert [limiter.admit() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 29.9
    assert not limiter.admit()  # still penalised, however slow the requests are now
    clock.now += 0.2
    assert limiter.admit()


def test_a_steady_five_a_second_never_trips_the_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(5, 30, clock=clock)
    admitted = []
    for _ in range(50):
        admitted.append(limiter.admit())
        clock.now += 0.2

    assert all(admitted)


def test_reconfiguring_lifts_the_penalty_and_zero_means_no_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock)
    limiter.admit()
    assert not limiter.admit()
    limiter.configure(0, 30)

    assert all(limiter.admit() for _ in range(1000))
