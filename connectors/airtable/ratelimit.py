"""Throttling Airtable requests to its per-base rate limit (5 requests per second).

A `RateLimiter` is shared by everything that talks to one base: `LocalRateLimiter` by the threads
of one process, `RedisRateLimiter` by every worker process through Redis. Both keep a sliding
window (at most `rate` requests in any `window` seconds, plus a small safety margin for clock
and network jitter) and a penalty block: after a 429 nobody sends to that base until it is over.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from typing import Any

import structlog

log = structlog.get_logger(__name__)

AIRTABLE_RATE = 5
"""Airtable's limit: requests per second per base."""

DEFAULT_MARGIN = 0.1
"""Seconds added to the window so that jitter between us and the server never makes a sixth."""

SHARED_RATE = 4
"""Requests per window a limiter shared by several processes lets through: one under
Airtable's five, as the requests of several workers, hosts apart, reach Airtable with more
jitter than one process's own. With the margin: at most 4 in any 1.1 s (3.6 a second), so a
request held up by most of a second still never makes a sixth."""


class RateLimiter(ABC):
    """At most `rate` requests per `window` seconds per key (a base id), shared by all callers."""

    def __init__(
        self, rate: int = AIRTABLE_RATE, *, window: float = 1.0, margin: float = DEFAULT_MARGIN
    ) -> None:
        if rate < 1 or window <= 0:
            raise ValueError("rate must be at least 1 and window positive")
        self.rate = rate
        self.window = window + margin

    def acquire(self, key: str) -> float:
        """Block until one more request to `key` is allowed; return the seconds spent waiting."""
        waited = 0.0
        while (wait := self._try_acquire(key)) > 0:
            time.sleep(wait)
            waited += wait
        if waited:
            log.debug("airtable.throttled", key=key, waited=round(waited, 3))
        return waited

    @abstractmethod
    def _try_acquire(self, key: str) -> float:
        """Take a slot and return 0, or take nothing and return the seconds to wait first."""

    @abstractmethod
    def block(self, key: str, seconds: float) -> None:
        """Let no request to `key` through for `seconds` (a 429 penalty being waited out)."""


class LocalRateLimiter(RateLimiter):
    """A sliding-window limiter for the threads of one process."""

    def __init__(
        self, rate: int = AIRTABLE_RATE, *, window: float = 1.0, margin: float = DEFAULT_MARGIN
    ) -> None:
        super().__init__(rate, window=window, margin=margin)
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def _try_acquire(self, key: str) -> float:
        with self._lock:
            now = time.monotonic()
            blocked = self._blocked_until.get(key, 0.0) - now
            if blocked > 0:
                return blocked
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) < self.rate:
                sent.append(now)
                return 0.0
            return max(sent[0] + self.window - now, 0.001)

    def block(self, key: str, seconds: float) -> None:
        """Let no request to `key` through for `seconds`."""
        with self._lock:
            until = time.monotonic() + seconds
            self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), until)


# Sliding window in a sorted set scored by the Redis server's clock (one clock for all workers),
# plus a penalty key whose TTL is the time left to wait. Returns 0 (slot taken) or ms to wait.
_ACQUIRE_SCRIPT = """
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return blocked end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
"""

_BLOCK_SCRIPT = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""


class RedisRateLimiter(RateLimiter):
    """A sliding-window limiter shared by every process that uses the same Redis."""

    def __init__(
        self,
        redis_url: str,
        rate: int = SHARED_RATE,
        *,
        window: float = 1.0,
        margin: float = DEFAULT_MARGIN,
        prefix: str = "followthrough:airtable-rate",
    ) -> None:
        import redis

        super().__init__(rate, window=window, margin=margin)
        self._redis: Any = redis.Redis.from_url(redis_url)
        self._acquire = self._redis.register_script(_ACQUIRE_SCRIPT)
        self._block = self._redis.register_script(_BLOCK_SCRIPT)
        self._prefix = prefix
        self._ids = itertools.count()
        self._process = uuid.uuid4().hex

    def _keys(self, key: str) -> tuple[str, str]:
        return f"{self._prefix}:{key}:window", f"{self._prefix}:{key}:penalty"

    def _try_acquire(self, key: str) -> float:
        member = f"{self._process}:{next(self._ids)}"
        window_us = int(self.window * 1_000_000)
        wait_ms = int(self._acquire(keys=self._keys(key), args=[self.rate, window_us, member]))
        return wait_ms / 1000.0

    def block(self, key: str, seconds: float) -> None:
        """Let no request to `key` through for `seconds`, in every process."""
        self._block(keys=[self._keys(key)[1]], args=[max(1, int(seconds * 1000))])

    def close(self) -> None:
        """Release the Redis connection pool."""
        self._redis.close()
