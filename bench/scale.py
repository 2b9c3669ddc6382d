"""Many accounts on one deployment (issue 16): `python -m bench scale [--accounts 1000]`.

One sandbox process serves every account as a tenant of its own (its own Google user,
calendar, contacts, Gmail and Airtable base); PostgreSQL (a fresh schema, dropped after) and
Redis (a server of the benchmark's own when `redis-server` is installed) carry one
`followthrough scheduler`, two `followthrough worker` and one `followthrough web`. The
accounts are added to the accounts book, each base set up as `airtable init` does.

1. Without push (no public URL): once every account has synced, an idle window.
2. With push (a public URL on the web app, so calendar channels open and the sandbox pushes
   to it): every account gets a coffee chat ending at the same minute; an idle window until
   then; then the burst: the time from the meetings' end to each draft in its tenant's Gmail.

Real time throughout; the thank-you grace is 0 minutes, so the drafts fall due at the
meetings' end (the grace only moves the due time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import structlog
from cryptography.fernet import Fernet

from bench.latency import free_port
from bench.scale_probe import Broker, Postgres, read, usage, wait_for
from bench.scale_report import Burst, Figures, Idle, markdown
from bench.scale_stack import Fleet, fresh_schema, own_redis, start_sandbox
from bench.scale_world import add_accounts, add_tenants, burst_meeting, contact_email, init_bases
from connectors.sandbox.remote import RemoteSandbox, RemoteTenant

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SAMPLE_SECONDS = 2.0


class Run:
    """The phases of one run, on a set-up stack."""

    def __init__(
        self,
        box: RemoteSandbox,
        tenants: list[RemoteTenant],
        settings: dict[str, str],
        probes: tuple[Broker, Postgres],
        workdir: Path,
    ) -> None:
        self.box, self.tenants, self.settings, self.workdir = box, tenants, settings, workdir
        self.broker, self.postgres = probes
        self.names = {tenant.name for tenant in tenants}
        self.refused_429 = 0
        self.notes: list[str] = []

    def without_push(self, idle_seconds: float) -> Idle:
        """Phase 1: every account synced by polling only, then an idle window."""
        self.box.call("reset_requests")
        self.broker.flush()
        with self._fleet("without-push", push=False) as fleet:
            self._wait_every_account("calendar.events.list", fleet, "every account's first sync")
            self._settle(fleet)
            idle = self._idle(fleet, idle_seconds)
            self._count_refusals()
        return idle

    def with_push(self, idle_seconds: float) -> tuple[Idle | None, Burst]:
        """Phase 2: push channels open, the meetings added, an idle window, then the burst."""
        self.box.call("reset_requests")
        self.broker.flush()
        with self._fleet("with-push", push=True) as fleet:
            self._wait_every_account("calendar.events.watch", fleet, "every calendar channel")
            lead = 60 + 0.15 * len(self.tenants) + idle_seconds
            burst_at = math.ceil((time.time() + lead) / 60) * 60.0  # a whole minute
            self._add_meetings(burst_at)
            self._settle(fleet)
            window = burst_at - 5 - time.time()
            idle = self._idle(fleet, window) if window >= 30 else None
            if idle is None:
                self.notes.append("No idle window with push: the meetings' syncs took too long.")
            burst = self._burst(fleet, burst_at)
            self._count_refusals()
        return idle, burst

    def _fleet(self, phase: str, *, push: bool) -> Fleet:
        port = free_port()
        settings = {**self.settings, "http_port": str(port)}
        if push:
            settings["public_url"] = f"http://127.0.0.1:{port}"
        return Fleet(self.workdir, phase, settings)

    def _wait_every_account(self, route: str, fleet: Fleet, what: str) -> None:
        def done() -> bool:
            fleet.check()
            served = self.box.call("requests_by_tenant", route=route)
            return self.names <= set(served)

        self._wait(fleet, done, max(600.0, 1.0 * len(self.names)), what)

    def _wait(self, fleet: Fleet, check: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for `check`; past `timeout` go on, with a note in the figures."""
        try:
            took = wait_for(check, timeout, what)
        except TimeoutError as exc:
            self.notes.append(f"{fleet.phase}: {exc}; went on regardless.")
            print(f"{fleet.phase}: {exc}", file=sys.stderr)
            return
        print(f"{fleet.phase}: {what} after {took:.0f} s", file=sys.stderr)

    def _settle(self, fleet: Fleet) -> None:
        """Wait until no message is queued or in a worker's hands, three readings running."""
        quiet = 0

        def settled() -> bool:
            nonlocal quiet
            fleet.check()
            quiet = quiet + 1 if self.broker.pending() == 0 else 0
            return quiet >= 3

        self._wait(fleet, settled, max(120.0, 0.2 * len(self.names)), "the queues to empty")

    def _idle(self, fleet: Fleet, seconds: float) -> Idle:
        started, connections = read(self.box, fleet.pids, self.broker), 0
        while time.time() < started.at + seconds:
            connections = max(connections, self.postgres.connections())
            fleet.check()
            time.sleep(SAMPLE_SECONDS)
        ended = read(self.box, fleet.pids, self.broker)
        print(f"{fleet.phase}: idle window of {ended.at - started.at:.0f} s", file=sys.stderr)
        return Idle(
            seconds=ended.at - started.at,
            requests=ended.requests - started.requests,
            cpu=ended.cpu - started.cpu,
            rss=ended.rss,
            redis_commands=ended.redis_commands - started.redis_commands,
            pg_connections=connections,
            queued=self.broker.pending(),
        )

    def _add_meetings(self, burst_at: float) -> None:
        end = dt.datetime.fromtimestamp(burst_at, dt.UTC)

        def add(indexed: tuple[int, RemoteTenant]) -> None:
            index, tenant = indexed
            tenant.call("add_event", event=burst_meeting(index, end))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(add, enumerate(self.tenants)))
        print(f"meetings added, all ending at {end:%H:%M:%S} UTC", file=sys.stderr)

    def _burst(self, fleet: Fleet, burst_at: float) -> Burst:
        before = self.box.call("status_counts")
        time.sleep(max(0.0, burst_at - time.time()))
        connections, deadline = 0, burst_at + max(300.0, 0.5 * len(self.tenants))
        while time.time() < deadline:
            counts = self.box.call("draft_counts")
            if all(counts.get(name, 0) >= 1 for name in self.names):
                break
            connections = max(connections, self.postgres.connections())
            fleet.check()
            time.sleep(1.0)
        time.sleep(5.0)  # a second draft still in a worker's hands would land meanwhile
        rss = usage(fleet.pids).rss
        after = self.box.call("status_counts")
        refusals = {s: after.get(s, 0) - before.get(s, 0) for s in ("403", "429")}
        return _drafts(self.tenants, burst_at, refusals, connections, rss)

    def _count_refusals(self) -> None:
        self.refused_429 += int(self.box.call("status_counts").get("429", 0))


def _drafts(
    tenants: list[RemoteTenant],
    burst_at: float,
    refusals: dict[str, int],
    connections: int,
    rss: int,
) -> Burst:
    """Each tenant's thank-you drafts for its meeting: how late, and how many."""
    with ThreadPoolExecutor(8) as pool:
        every = list(pool.map(lambda tenant: tenant.call("drafts"), tenants))
    latencies, missing, duplicated = [], [], []
    for index, (tenant, drafts) in enumerate(zip(tenants, every, strict=True)):
        guest = contact_email(index, 1)
        mine = [d for d in drafts if guest in str(d.get("to", "")).lower()]
        if not mine:
            missing.append(tenant.name)
            continue
        if len(mine) > 1:
            duplicated.append(tenant.name)
        latencies.append(min(d["internal_date"] for d in mine) / 1000 - burst_at)
    waited = time.time() - burst_at
    return Burst(
        tuple(latencies), tuple(missing), tuple(duplicated), refusals, connections, rss, waited
    )


def run(args: argparse.Namespace) -> Figures:
    """Set everything up, run both phases, and take the figures."""
    tag, key = f"ftscale_{uuid.uuid4().hex[:8]}", Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory(prefix="followthrough-scale-") as tmp:
        workdir = Path(tmp)
        with (
            own_redis(workdir, args.redis_url) as redis_url,
            fresh_schema(args.postgres_url, tag) as database_url,
            start_sandbox(workdir, args.latency) as box,
        ):
            started = time.monotonic()
            tenants = add_tenants(box, args.accounts, dt.datetime.now(dt.UTC))
            init_bases(tenants)
            add_accounts(database_url, key, tenants)
            setup = time.monotonic() - started
            print(f"{args.accounts} accounts set up in {setup:.0f} s", file=sys.stderr)
            settings = {
                "database_url": database_url, "broker_url": redis_url, "encryption_key": key,
                "google_api_endpoint": box.url, "airtable_endpoint": box.url,
                "thank_you_grace_minutes": "0", "log_format": "json", **dict(args.set),
            }  # fmt: skip
            broker, postgres = Broker(redis_url), Postgres(args.postgres_url, tag)
            try:
                return _phases(Run(box, tenants, settings, (broker, postgres), workdir), args)
            finally:
                broker.close()
                postgres.close()


def _phases(bench: Run, args: argparse.Namespace) -> Figures:
    figures = Figures(args.accounts, _setup(args))
    idle = args.idle_minutes * 60
    if not args.push_only:
        figures.without_push = bench.without_push(idle)
    figures.with_push, figures.burst = bench.with_push(idle)
    figures.refused_429 = bench.refused_429
    figures.sandbox_rss = usage([bench.box.process.pid]).rss
    figures.notes += bench.notes
    return figures


def _setup(args: argparse.Namespace) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    chosen = ", ".join(f"{k}={v}" for k, v in args.set) or "none"
    return (
        f"One sandbox process ({args.latency * 1000:.0f} ms a request; Airtable 5 requests/s "
        "per base), PostgreSQL, Redis, one scheduler, two workers (8 threads each) and the web "
        f"app; idle windows of {args.idle_minutes:g} min; thank-you grace 0 min (the drafts "
        f"fall due at the meetings' end); other settings at their defaults (changed: {chosen}); "
        f"real clock; {os.cpu_count()} CPUs, load average {load} at the start."
    )


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: write NAME=VALUE, e.g. poll_minutes=5")
    return name.strip().lower(), value


def main(argv: list[str] | None = None) -> None:
    """Run the scale benchmark; print (and with --out, write) its figures against the targets."""
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000, help="accounts (sandbox tenants)")
    parser.add_argument("--out", type=Path, help="also write the figures (markdown) here")
    parser.add_argument("--idle-minutes", type=float, default=5.0, help="each idle window")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per request")
    parser.add_argument("--push-only", action="store_true", help="skip the phase without push")
    parser.add_argument(
        "--postgres-url", default=POSTGRES_URL, help="a database to add a schema to"
    )
    parser.add_argument(
        "--redis-url", help="a Redis database to flush and use (default: a server of our own)"
    )
    parser.add_argument(
        "--set", type=_setting, action="append", default=[], metavar="NAME=VALUE",
        help="a FOLLOWTHROUGH_ setting for every process (e.g. account_cache=1000)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    structlog.configure(  # our own clients' lines (airtable init's) stay out of the report
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    figures = run(args)
    table = markdown(figures)
    print(table)
    if args.out:
        args.out.write_text(table)
        print(f"written to {args.out}", file=sys.stderr)
