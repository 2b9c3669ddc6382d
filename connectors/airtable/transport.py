"""The HTTP layer under pyairtable: every request throttled, safe retries, penalties waited out.

pyairtable takes a urllib3 `Retry` as its `retry_strategy`; `AirtableRetry` decides:

- 429 is retried for every method (Airtable refused it, nothing was applied), after Retry-After
  when given, otherwise after the whole penalty (30 s on Airtable) during which the shared rate
  limiter lets no request to the base through;
- 5xx and dropped connections are retried only for idempotent methods (GET, and PATCH/PUT
  upserts keyed on a merge field), so a record create (POST) is never sent twice;
- every retry waits for a rate-limiter slot like a first attempt does (`ThrottledAdapter`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from connectors.airtable.ratelimit import RateLimiter
from connectors.policy import RETRIABLE_STATUSES, RetryPolicy

log = structlog.get_logger(__name__)

AIRTABLE_PENALTY_SECONDS = 30.0
"""How long Airtable refuses a base's requests after its rate limit was exceeded."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


@dataclass
class TransportStats:
    """What the transport did (thread-safe): requests sent, writes among them, retries, 429s."""

    requests: int = 0
    writes: int = 0  # requests that may change the base (every method but GET, HEAD, OPTIONS)
    retries: int = 0
    penalties: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, name: str) -> None:
        """Add one to the counter `name`."""
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)


class AirtableRetry(Retry):
    """A urllib3 retry strategy that honours Airtable's penalty and never repeats a create."""

    def __init__(
        self,
        *args: Any,
        policy: RetryPolicy | None = None,
        penalty_seconds: float = AIRTABLE_PENALTY_SECONDS,
        limiter: RateLimiter | None = None,
        limiter_key: str = "",
        stats: TransportStats | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy or RetryPolicy()
        self.penalty_seconds = penalty_seconds
        self.limiter = limiter
        self.limiter_key = limiter_key
        self.stats = stats or TransportStats()

    @classmethod
    def build(
        cls,
        policy: RetryPolicy,
        *,
        penalty_seconds: float,
        limiter: RateLimiter | None,
        limiter_key: str,
        stats: TransportStats,
    ) -> AirtableRetry:
        """The strategy for one base: `policy.attempts` tries in all, the last error returned."""
        return cls(
            total=policy.attempts - 1,
            redirect=0,
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=RETRIABLE_STATUSES,
            raise_on_status=False,
            respect_retry_after_header=True,
            policy=policy,
            penalty_seconds=penalty_seconds,
            limiter=limiter,
            limiter_key=limiter_key,
            stats=stats,
        )

    def new(self, **kw: Any) -> AirtableRetry:
        """A copy with updated counters that keeps the policy, penalty and limiter."""
        kw.setdefault("policy", self.policy)
        kw.setdefault("penalty_seconds", self.penalty_seconds)
        kw.setdefault("limiter", self.limiter)
        kw.setdefault("limiter_key", self.limiter_key)
        kw.setdefault("stats", self.stats)
        return super().new(**kw)  # type: ignore[return-value]

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """429 for any method (nothing applied); other retriable statuses for idempotent ones."""
        if status_code == 429:
            return True
        return status_code in RETRIABLE_STATUSES and self._is_method_retryable(method)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Wait before the next try: the penalty after a 429, else Retry-After, else backoff."""
        wait = self.wait_seconds(response)
        self.stats.count("retries")
        status = response.status if response is not None else None
        if status == 429:
            self.stats.count("penalties")
            if self.limiter is not None:
                self.limiter.block(self.limiter_key, wait)
        log.warning("airtable.retry", status=status, wait=round(wait, 3), attempt=len(self.history))
        time.sleep(wait)
        self.take_slot()

    def take_slot(self) -> None:
        """Count one request and wait for the rate limiter to let it through."""
        self.stats.count("requests")
        if self.limiter is not None:
            self.limiter.acquire(self.limiter_key)

    def wait_seconds(self, response: BaseHTTPResponse | None) -> float:
        """Seconds before the next try after `response` (None: the connection failed)."""
        retry_after = self.get_retry_after(response) if response is not None else None
        if response is not None and response.status == 429:
            if retry_after is not None:
                return min(retry_after, max(self.penalty_seconds, self.policy.max_retry_after))
            return self.penalty_seconds
        return self.policy.delay(max(len(self.history), 1), retry_after)


class ThrottledAdapter(HTTPAdapter):
    """A requests adapter that takes a rate-limiter slot before each attempt, retries included."""

    def __init__(self, retry: AirtableRetry) -> None:
        super().__init__(max_retries=retry)
        self._retry = retry

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        """Send once a slot is free (retries wait for theirs in `AirtableRetry.sleep`)."""
        if request.method not in READ_METHODS:
            self._retry.stats.count("writes")
        self._retry.take_slot()
        return super().send(request, *args, **kwargs)
