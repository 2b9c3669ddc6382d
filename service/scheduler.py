"""The scheduler: decides when work is enqueued, never does it; one replica leads at a time.

Each tick (2 s) a replica takes or keeps the leadership (workflows.leadership: on PostgreSQL a
session-level advisory lock, which the server releases when the leader's process dies, so a
standby leads within one tick of a SIGKILL; on SQLite a lease). A standby tries again each
tick; the leader:

- enqueues a sweep for each account whose due work's `due_at` has arrived and nobody has
  claimed it (the leader wakes early for work that falls due before its next tick, so a
  meeting's draft follows its end plus grace at once);
- enqueues each account's poll (a sync of every source, which then sweeps) at the account's
  own moment of the interval (workflows.rules.polling), so polls spread evenly over it; when
  last each account was polled is kept in the store, so a new leader goes on with the same
  schedule. The interval is POLL_MINUTES, or SAFETY_POLL_MINUTES for an account whose Calendar
  channel and Airtable webhook are live (its changes are pushed; polling is the safety net);
- with a public URL, enqueues a renewal of the account's Calendar push channel with its poll,
  at most hourly.

Every message names its account. On stop the leader gives the leadership up, so a standby
leads at its next tick.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence

from service.logging import get_logger
from service.settings import Settings
from workflows.actors import Actors
from workflows.leadership import leadership_for
from workflows.rules.polling import next_poll, per_tick, phases
from workflows.runtime import OneRuntime, Runtime, Runtimes
from workflows.scheduling import (
    accounts_with_live_push,
    accounts_with_work_waiting,
    last_polls,
    record_polls,
    seconds_until_due,
)

LEASE_NAME = "scheduler"
LEASE_TTL = dt.timedelta(seconds=30)  # SQLite only: a dead leader's lease lapses after this
TICK = dt.timedelta(seconds=2)
DUE_MARGIN = 0.02  # seconds past a due time to wake at, so that the work is due by then
RENEW_CHANNELS_EVERY = dt.timedelta(hours=1)

log = get_logger("followthrough.scheduler")


def scheduler_for(settings: Settings, runtimes: Runtimes, actors: Actors) -> Scheduler:
    """A scheduler replica polling at the settings' intervals."""
    return Scheduler(
        runtimes,
        actors,
        poll_every=dt.timedelta(minutes=settings.poll_minutes),
        safety_poll_every=dt.timedelta(minutes=settings.safety_poll_minutes),
    )


def holder_id() -> str:
    """A name for this replica that no other process shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    """One scheduler replica: call `run(stop)` in a thread, or `tick()` step by step.

    `wall` is the clock polls are timed by (epoch seconds); tests pass their own.
    """

    def __init__(
        self,
        runtime: Runtime | Runtimes,
        actors: Actors,
        *,
        poll_every: dt.timedelta,
        safety_poll_every: dt.timedelta | None = None,
        tick: dt.timedelta = TICK,
        lease_ttl: dt.timedelta = LEASE_TTL,
        holder: str | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.runtimes = OneRuntime(runtime) if isinstance(runtime, Runtime) else runtime
        self.runtime = self.runtimes.default  # the leadership is held in the default's store
        self.actors = actors
        self.holder = holder or holder_id()
        self.leading = False
        self._leadership = leadership_for(self.runtime, LEASE_NAME, self.holder, lease_ttl)
        self._poll_every = poll_every.total_seconds()
        # Polling is never more frequent with push than without it.
        self._safety_every = max(poll_every, safety_poll_every or poll_every).total_seconds()
        self._tick = tick.total_seconds()
        self._wall = wall
        self._polled: dict[str, float] = {}
        self._renewed: dict[str, float] = {}

    def tick(self) -> bool:
        """Take or keep the leadership and, when leading, enqueue what is due; True when leading."""
        leading = self._leadership.hold()
        if leading != self.leading:
            log.info("scheduler.lease", holder=self.holder, leading=leading)
            if leading:  # go on with each account's schedule where the last leader left it
                self._polled, self._renewed = last_polls(self.runtime), {}
        self.leading = leading
        if not leading:
            return False
        accounts = self.runtimes.served()
        polled = self._poll(accounts)
        waiting = accounts_with_work_waiting(self.runtime)
        for account in accounts:
            if account in waiting and account not in polled:  # a poll sweeps after it
                self.actors.sweep.send(account)
        if self.runtime.config.public_url:
            self._renew(polled)
        return True

    def _poll(self, accounts: Sequence[str]) -> list[str]:
        """Send the polls due now, the most overdue first, at most `per_tick` of them."""
        now, intervals, places = self._wall(), self._intervals(accounts), phases(accounts)
        due = {}
        for name in accounts:
            every = intervals[name]
            at = next_poll(self._polled.get(name), places[name], every, min(self._tick, every / 4))
            if at <= now:
                due[name] = at
        chosen = sorted(due, key=due.__getitem__)[: per_tick(intervals, self._tick)]
        for account in chosen:
            self.actors.sync.send(account)
        record_polls(self.runtime, chosen, now)
        self._polled.update(dict.fromkeys(chosen, now))
        return chosen

    def _intervals(self, accounts: Sequence[str]) -> dict[str, float]:
        """Each account's polling interval: the safety one while its changes are pushed."""
        slower = self._safety_every > self._poll_every
        pushed = accounts_with_live_push(self.runtime) if slower else set()
        return {
            name: self._safety_every if name in pushed else self._poll_every for name in accounts
        }

    def _renew(self, polled: Sequence[str]) -> None:
        """Renew the push channels of accounts just polled, each about hourly (an hourly poll
        may come a tick early)."""
        now, every = self._wall(), 0.9 * RENEW_CHANNELS_EVERY.total_seconds()
        for account in polled:
            if now - self._renewed.get(account, -float("inf")) >= every:
                self.actors.renew_channels.send(account)
                self._renewed[account] = now

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
        """Tick until `stop` is set, then give the leadership up."""
        log.info(
            "scheduler.started",
            holder=self.holder,
            poll_seconds=self._poll_every,
            safety_poll_seconds=self._safety_every,
        )
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
        """Give the leadership up now (a standby leads at its next tick)."""
        was_leading, self.leading = self.leading, False
        try:
            self._leadership.give_up()
        except Exception as exc:  # a lease expires on its own after its time-to-live
            log.warning("scheduler.release_failed", error=type(exc).__name__, reason=str(exc))
        if was_leading:
            log.info("scheduler.stopped", holder=self.holder)
