"""The scheduler: decides when work is enqueued, never does it; one replica leads at a time.

Each tick it takes or renews the `scheduler` lease in the database (workflows.scheduling).
A replica without the lease stands by and tries again each tick; the leader:

- enqueues a sweep for each account whose due work's `due_at` has arrived and nobody has
  claimed it (ticks are a couple of seconds apart, and the leader wakes early for work that
  falls due before its next tick, so a meeting's draft follows its end plus grace at once);
- enqueues a sync of every source of every active account every POLL_MINUTES (the sync then
  sweeps, which also creates the day's progress reminders);
- enqueues a renewal of each account's Calendar push channel hourly, when a public URL is set.

Every message names its account. For now all accounts' syncs are sent at the same tick;
spreading them over the interval is the next step (issue 16, item 3).

On stop it gives the lease up, so a standby takes over at its next tick. A leader that
dies without stopping loses the lease when its time-to-live runs out.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid

from service.logging import get_logger
from workflows.actors import Actors
from workflows.runtime import OneRuntime, Runtime, Runtimes
from workflows.scheduling import (
    accounts_with_work_waiting,
    give_up_lease,
    hold_lease,
    seconds_until_due,
)

LEASE_NAME = "scheduler"
LEASE_TTL = dt.timedelta(seconds=30)
TICK = dt.timedelta(seconds=2)
DUE_MARGIN = 0.02  # seconds past a due time to wake at, so that the work is due by then
RENEW_CHANNELS_EVERY = dt.timedelta(hours=1)

log = get_logger("followthrough.scheduler")


def holder_id() -> str:
    """A name for this replica that no other process shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    """One scheduler replica: call `run(stop)` in a thread, or `tick()` step by step."""

    def __init__(
        self,
        runtime: Runtime | Runtimes,
        actors: Actors,
        *,
        poll_every: dt.timedelta,
        tick: dt.timedelta = TICK,
        lease_ttl: dt.timedelta = LEASE_TTL,
        holder: str | None = None,
    ) -> None:
        self.runtimes = OneRuntime(runtime) if isinstance(runtime, Runtime) else runtime
        self.runtime = self.runtimes.default  # the lease is held in the default account's name
        self.actors = actors
        self.holder = holder or holder_id()
        self.leading = False
        self._poll_every = poll_every.total_seconds()
        self._tick = tick.total_seconds()
        self._lease_ttl = lease_ttl
        self._renew_every = RENEW_CHANNELS_EVERY.total_seconds()
        self._next_poll = 0.0
        self._next_renew = 0.0

    def tick(self) -> bool:
        """Take or renew the lease and, when leading, enqueue what is due; True when leading."""
        leading = hold_lease(self.runtime, LEASE_NAME, self.holder, self._lease_ttl)
        if leading != self.leading:
            log.info("scheduler.lease", holder=self.holder, leading=leading)
            self._next_poll = self._next_renew = 0.0  # a new leader polls and renews at once
        self.leading = leading
        if not leading:
            return False
        now, accounts = time.monotonic(), self.runtimes.served()
        if now >= self._next_poll:
            for account in accounts:
                self.actors.sync.send(account)
            self._next_poll = now + self._poll_every
        else:
            waiting = accounts_with_work_waiting(self.runtime)
            for account in (name for name in accounts if name in waiting):
                self.actors.sweep.send(account)
        if self.runtime.config.public_url and now >= self._next_renew:
            for account in accounts:
                self.actors.renew_channels.send(account)
            self._next_renew = now + self._renew_every
        return True

    def _pause(self) -> float:
        """Seconds to the next tick: sooner when the leader has work falling due before it."""
        if not self.leading:
            return self._tick
        try:
            until = seconds_until_due(self.runtime)
        except Exception:  # the database is down: the next tick says so
            return self._tick
        return self._tick if until is None else min(self._tick, max(until, 0.0) + DUE_MARGIN)

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then give the lease up."""
        log.info("scheduler.started", holder=self.holder, poll_seconds=self._poll_every)
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception as exc:  # the database or broker is down: try again next tick
                    log.warning("scheduler.tick_failed", error=type(exc).__name__, reason=str(exc))
                stop.wait(self._pause())
        finally:
            self.close()

    def close(self) -> None:
        """Give the lease up now (a standby takes over without waiting for it to expire)."""
        if not self.leading:
            return
        self.leading = False
        try:
            give_up_lease(self.runtime, LEASE_NAME, self.holder)
        except Exception as exc:  # it expires on its own after the time-to-live
            log.warning("scheduler.release_failed", error=type(exc).__name__, reason=str(exc))
        log.info("scheduler.stopped", holder=self.holder)
