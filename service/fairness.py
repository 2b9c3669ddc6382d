"""Fairness among accounts in one worker process: no account's bulk work starves another's.

Two limits, both per worker process (issue 16, "Fairness"):

- `AccountLimit`, a middleware: at most ACCOUNT_CONCURRENCY of one account's messages of
  one queue run at once. One over the limit goes back to the end of its queue after a
  moment (half a second to a second: long enough not to spin, short enough that a busy
  account alone loses little) and is skipped here: nothing is lost, no thread waits on it,
  and the other accounts' messages behind it in the queue run meanwhile.
- `FairWorker`, dramatiq's Worker holding fewer messages of the bulk queues (the syncs') than
  it has threads, so a few threads are always left for the work due now, however long the
  syncs take. The rest of a bulk backlog stays in the broker, for other workers to share.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import Middleware, SkipMessage

from workflows.actors import account_of

DEFER_MIN_MS = 500  # a message over its account's limit goes back for this long ...
DEFER_MAX_MS = 1_000  # ... to this long (at random, so that deferred ones spread out)
DEFERRED = "followthrough_deferred"  # set on a delivery this middleware sent back (for logs)


class AccountLimit(Middleware):
    """At most `limit` messages of one account and one queue run at once in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._running: Counter[tuple[str, str]] = Counter()
        self._slots: dict[int, tuple[str, str]] = {}  # id of a delivery -> the slot it holds

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Take a slot for the message's account, or send the message back for later."""
        slot = _slot_of(broker, message)
        if slot is None:
            return
        with self._lock:
            if self._running[slot] < self.limit:
                self._running[slot] += 1
                self._slots[id(message)] = slot
                return
        self._defer(broker, message, account=slot[0])

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        """Give the message's slot back."""
        self._release(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        """Give back the slot of a message another middleware skipped (a deferred one has none)."""
        self._release(message)

    def running(self, account: str) -> int:
        """How many of the account's messages run here now (all queues)."""
        with self._lock:
            return sum(n for (name, _), n in self._running.items() if name == account)

    def _release(self, message: Any) -> None:
        with self._lock:
            slot = self._slots.pop(id(message), None)
            if slot is not None:
                self._running[slot] -= 1
                if not self._running[slot]:
                    del self._running[slot]

    def _defer(self, broker: dramatiq.Broker, message: Any, *, account: str) -> None:
        delay = random.randint(DEFER_MIN_MS, DEFER_MAX_MS)
        broker.enqueue(message.copy(), delay=delay)
        message.options[DEFERRED] = True
        raise SkipMessage(f"account {account} is at its limit of {self.limit} here")


def deferred(message: Any) -> bool:
    """True for a delivery `AccountLimit` sent back for later (its skip is no news)."""
    return bool(message.options.get(DEFERRED, False))


def _slot_of(broker: dramatiq.Broker, message: Any) -> tuple[str, str] | None:
    """The account and queue a message counts against (None: it names no account)."""
    try:
        account = account_of(broker.get_actor(message.actor_name), message.args)
    except dramatiq.errors.ActorNotFound:
        return None
    return None if account is None else (account, q_name(message.queue_name))


def bulk_threads(threads: int) -> int:
    """How many of `threads` may run bulk work at once: all but a quarter (at least one) kept
    for the work due now; one when there is a single thread."""
    return max(1, threads - max(1, threads // 4))


class FairWorker(dramatiq.Worker):
    """A Worker that holds at most `bulk_threads(threads)` messages of the `bulk` queues.

    dramatiq's prefetch limit counts the messages a consumer holds, running ones included;
    a lower limit on the bulk queues' consumers is what keeps threads free for the rest.
    """

    def __init__(
        self,
        broker: dramatiq.Broker,
        *,
        bulk: Iterable[str] = (),
        worker_threads: int,
        **options: Any,
    ) -> None:
        super().__init__(broker, worker_threads=worker_threads, **options)
        self.bulk = {q_name(name) for name in bulk}
        self.bulk_prefetch = bulk_threads(worker_threads)

    def _add_consumer(self, queue_name: str, *, delay: bool = False) -> None:
        # dramatiq gives every queue's consumer the Worker's one prefetch, read here: lower it
        # for a bulk queue's consumer only (not its delay queue's, which holds messages due
        # later, not running ones).
        if delay or q_name(queue_name) not in self.bulk:
            super()._add_consumer(queue_name, delay=delay)
            return
        usual, self.queue_prefetch = self.queue_prefetch, self.bulk_prefetch
        try:
            super()._add_consumer(queue_name)
        finally:
            self.queue_prefetch = usual
