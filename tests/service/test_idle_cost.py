"""What an idle account costs in API requests a day, with live push channels and without.

The scheduler and the actors run on a simulated clock (the scheduler's wall clock and the
runtime's domain clock move together), every message they send is run at once, and every
request the sandbox serves is counted (bench.idle.requests_per_day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.message import Message

from bench.idle import requests_per_day
from connectors.sandbox.server import Sandbox
from service.scheduler import Scheduler
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)
from tests.workflows.world import FAST_AIRTABLE, at, fast, world
from workflows.actors import Actors, declare_actors
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, install

START = at(2026, 3, 2, 9)
POLL = dt.timedelta(minutes=5)
SAFETY = dt.timedelta(minutes=60)
TICK = dt.timedelta(minutes=1)  # simulated: the scheduler's own tick is 2 s
PUBLIC_URL = "http://127.0.0.1:9/followthrough"  # nothing answers: an idle account gets no push
BEFORE = 892.0
"""Requests a day an idle account made before the safety interval (measured with this test
and the safety interval equal to POLL_MINUTES: 288 polls of three requests, 24 token
refreshes and 4 checks of the base's tables)."""


class Simulation:
    """An account, its scheduler and its actors on a simulated clock."""

    def __init__(self, runtime: Runtime, sandbox: Sandbox, safety: dt.timedelta) -> None:
        self.runtime, self.sandbox = runtime, sandbox
        self.broker = StubBroker()
        self.actors: Actors = declare_actors(self.broker)
        self.seconds = 0.0
        install(runtime)
        self.scheduler = Scheduler(
            runtime,
            self.actors,
            poll_every=POLL,
            safety_poll_every=safety,
            tick=TICK,
            wall=lambda: 1_800_000_000.0 + self.seconds,
        )

    def run(self, span: dt.timedelta) -> list[tuple[float, str]]:
        """Tick through `span`, running what is sent; each request with when it was made."""
        samples: list[tuple[float, str]] = []
        start = self.seconds
        while self.seconds - start < span.total_seconds():
            self.runtime.clock = Clock.frozen_at(START + dt.timedelta(seconds=self.seconds))
            self.sandbox.reset_requests()
            self.scheduler.tick()
            self._drain()
            samples += [(self.seconds - start, e["route"]) for e in self.sandbox.requests_log()]
            self.seconds += TICK.total_seconds()
        return samples

    def _drain(self) -> None:
        queue = self.broker.queues[self.actors.queue_name]
        while not queue.empty():
            message = Message.decode(queue.get_nowait())
            queue.task_done()
            self.broker.get_actor(message.actor_name).fn(*message.args, **message.kwargs)

    def close(self) -> None:
        self.scheduler.close()
        self.broker.close()


def idle_per_day(
    sandbox_factory: Any, build: RuntimeFactory, *, push: bool, safety: dt.timedelta
) -> float:
    """Requests a day of an account with nothing going on, after its first hour."""
    sandbox = sandbox_factory(world(), airtable_rate_limit=FAST_AIRTABLE)
    options = {"public_url": PUBLIC_URL} if push else {}
    runtime = fast(build(sandbox, now=START, **options), sandbox)
    simulation = Simulation(runtime, sandbox, safety)
    try:
        simulation.run(dt.timedelta(hours=1))  # the first sync, the channels opened
        span = dt.timedelta(hours=12 if push else 6)
        return requests_per_day(
            simulation.run(span), span.total_seconds(), model_token_refreshes=True
        )
    finally:
        simulation.close()


@pytest.mark.parametrize("push", [True, False], ids=["push", "no-push"])
def test_an_idle_account_costs_at_most_100_requests_a_day_with_push_and_no_more_without(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,  # noqa: F811
    push: bool,
) -> None:
    per_day = idle_per_day(sandbox_factory, make_runtime, push=push, safety=SAFETY)
    print(f"idle account, push={push}: {per_day:.0f} requests a day")

    assert per_day <= (100 if push else BEFORE)
