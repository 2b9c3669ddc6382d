"""What the scale benchmark reads off the running system: our processes' CPU and memory
(from /proc, child processes included), PostgreSQL connections (pg_stat_activity, by the
application name the benchmark gives its processes), Redis commands (INFO commandstats of the
benchmark's own Redis server) and the sandbox's request counts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from connectors.sandbox.remote import RemoteSandbox

TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    """Every process's children, by parent pid."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _tree(pids: list[int]) -> list[int]:
    tree, found, todo = _children(), [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += tree.get(pid, [])
    return found


@dataclass(frozen=True)
class Usage:
    """CPU seconds so far and resident memory now, summed over process trees."""

    cpu: float
    rss: int


def usage(pids: list[int]) -> Usage:
    """The CPU seconds (user + system) and resident bytes of these processes and their children."""
    cpu, rss = 0.0, 0
    for pid in _tree(pids):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError):
            continue
        cpu += (int(stat[11]) + int(stat[12])) / TICKS  # utime, stime
        rss += pages * PAGE_BYTES
    return Usage(cpu, rss)


class Postgres:
    """Connections the benchmark's processes hold (they all carry `application_name`)."""

    def __init__(self, admin_url: str, application_name: str) -> None:
        self.engine = sa.create_engine(admin_url, poolclass=sa.pool.NullPool)
        self.application_name = application_name

    def connections(self) -> int:
        """How many connections our processes hold now."""
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        with self.engine.connect() as conn:
            return int(conn.execute(query, {"name": self.application_name}).scalar_one())

    def close(self) -> None:
        """Release the engine."""
        self.engine.dispose()


class Broker:
    """The benchmark's Redis: commands served, and whether queued work is all done."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)

    def commands(self) -> int:
        """Commands served since the server started (INFO commandstats, every command)."""
        stats: dict[str, Any] = self.client.info("commandstats")
        return sum(int(entry["calls"]) for name, entry in stats.items() if name != "cmdstat_info")

    def pending(self) -> int:
        """Messages enqueued or in a worker's hands, not yet acknowledged (dramatiq's hashes)."""
        keys = list(self.client.scan_iter(match="followthrough:*.msgs"))
        return sum(int(self.client.hlen(key)) for key in keys)

    def flush(self) -> None:
        """Empty the broker's database (between phases, so each starts as a fresh deployment)."""
        self.client.flushdb()

    def close(self) -> None:
        """Close the connection."""
        self.client.close()


@dataclass(frozen=True)
class Reading:
    """One instant's counters (deltas between two readings make a window's figures)."""

    at: float
    requests: int
    cpu: float
    rss: int
    redis_commands: int


def read(box: RemoteSandbox, pids: list[int], broker: Broker) -> Reading:
    """The counters now (Google and Airtable requests served, CPU, memory, Redis commands)."""
    counts = box.request_counts()
    now = usage(pids)
    return Reading(time.time(), sum(counts.values()), now.cpu, now.rss, broker.commands())


def wait_for(check: Any, timeout: float, what: str, every: float = 2.0) -> float:
    """Poll `check` until it holds; the seconds it took. TimeoutError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
