"""The rate limiter keeps each base under its limit, across threads and processes (Redis)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from connectors.airtable.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter


def burst(limiters: list[RateLimiter], key: str, per_thread: int) -> list[float]:
    """Times at which each of len(limiters) threads got its slots."""
    stamps: list[float] = []
    lock = threading.Lock()

    def run(limiter: RateLimiter) -> None:
        for _ in range(per_thread):
            limiter.acquire(key)
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=run, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(stamps)


def most_in_any_window(stamps: list[float], window: float) -> int:
    return max(sum(1 for t in stamps[i:] if t - start < window) for i, start in enumerate(stamps))


def test_threads_sharing_a_local_limiter_never_exceed_the_rate() -> None:
    limiter = LocalRateLimiter(rate=10, window=0.2)
    stamps = burst([limiter] * 4, "appA", per_thread=10)
    assert len(stamps) == 40
    assert most_in_any_window(stamps, 0.2) <= 10
    assert stamps[-1] - stamps[0] >= 3 * 0.2  # 40 slots at 10 per window take 4 windows


def test_each_base_has_its_own_budget() -> None:
    limiter = LocalRateLimiter(rate=5, window=10.0)
    for _ in range(5):
        limiter.acquire("appA")
    started = time.monotonic()
    assert limiter.acquire("appB") == 0.0
    assert time.monotonic() - started < 0.1


def test_a_penalty_block_holds_every_caller_back() -> None:
    limiter = LocalRateLimiter(rate=100)
    limiter.block("appA", 0.3)
    started = time.monotonic()
    limiter.acquire("appA")
    assert time.monotonic() - started >= 0.28


def test_a_shorter_penalty_never_shortens_a_longer_one() -> None:
    # Given a long 429 penalty, then a shorter one reported by another request
    limiter = LocalRateLimiter(rate=100)
    limiter.block("appA", 0.4)
    limiter.block("appA", 0.05)
    # When the next request asks for a slot
    started = time.monotonic()
    limiter.acquire("appA")
    # Then it still waits out the longer penalty
    assert time.monotonic() - started >= 0.35


@pytest.mark.services
def test_workers_sharing_redis_never_exceed_the_rate_together(redis_url: str) -> None:
    workers: list[RateLimiter] = [
        RedisRateLimiter(redis_url, rate=10, window=0.2) for _ in range(3)
    ]
    stamps = burst(workers, "appShared", per_thread=10)
    assert len(stamps) == 30
    assert most_in_any_window(stamps, 0.2) <= 10
    assert stamps[-1] - stamps[0] >= 2 * 0.2


@pytest.mark.services
def test_a_penalty_seen_by_one_worker_holds_back_the_others(redis_url: str) -> None:
    first, second = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    first.block("appShared", 0.3)
    started = time.monotonic()
    second.acquire("appShared")
    assert time.monotonic() - started >= 0.25
    for limiter in (first, second):
        limiter.close()


@pytest.mark.services
def test_a_shorter_penalty_from_another_worker_never_shortens_a_longer_one(
    redis_url: str,
) -> None:
    # Given one worker waiting out a long penalty, and another reporting a shorter one
    first, second = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    first.block("appShared", 0.4)
    second.block("appShared", 0.05)
    # When either asks for a slot
    started = time.monotonic()
    first.acquire("appShared")
    # Then the longer penalty still holds
    assert time.monotonic() - started >= 0.35
    for limiter in (first, second):
        limiter.close()


def test_a_limiter_refuses_a_meaningless_rate() -> None:
    make: Callable[[], RateLimiter] = lambda: LocalRateLimiter(rate=0)  # noqa: E731
    with pytest.raises(ValueError):
        make()
