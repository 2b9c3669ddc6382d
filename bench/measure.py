"""What one workload cost: requests per API, wall time, peak memory, 429 penalties; and floors.

The floor of a workload is what the APIs themselves impose on the work it must do: reads
divided by the largest page each API serves (Calendar 2,500, People 1,000, Airtable 100),
Airtable writes divided by ten rows a request, one request per Gmail draft. Its wall time
in-process is every floor request's latency one after another, Airtable's spaced 1/5 s apart
by its rate limit of five a second. A whole process's floor (issue 17) is its start-up
(`followthrough --help`), plus the longer of Airtable's requests spaced at five a second and
the longest chain of requests that depend on each other (paged reads, then rows linking rows
written before them) at the latency, plus Gmail's per-user quota for the drafts (250 units a
second, 10 units a draft).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUS = Path("/proc/self/status")
PAGE = {"calendar": 2500, "people": 1000, "airtable": 100}
AIRTABLE_ROWS_PER_WRITE = 10
AIRTABLE_RATE = 5.0
GMAIL_UNITS_PER_SECOND = 250
GMAIL_UNITS_PER_DRAFT = 10
APIS = ("calendar", "people", "gmail", "tasks", "oauth", "airtable")


def pages(records: int, api: str) -> int:
    """Requests to read `records` from `api` (an empty read still costs one)."""
    return max(1, math.ceil(records / PAGE[api]))


def writes(rows: int) -> int:
    """Airtable requests to write `rows` rows."""
    return math.ceil(rows / AIRTABLE_ROWS_PER_WRITE)


@dataclass
class Floor:
    """The requests a workload cannot do without, per API, with why."""

    requests: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    chain: int = 0  # the longest chain of requests each waiting for the one before

    def add(self, api: str, count: int, why: str) -> None:
        """Count `count` unavoidable requests to `api`."""
        self.requests[api] = self.requests.get(api, 0) + count
        self.notes.append(f"{api} {count}: {why}")

    def depend(self, count: int, why: str) -> None:
        """Lengthen the longest chain of dependent requests by `count`."""
        self.chain += count
        self.notes.append(f"chain +{count}: {why}")

    def wall(self, latency: float) -> float:
        """Seconds those requests take at least, sent one after another."""
        google = sum(n for api, n in self.requests.items() if api != "airtable")
        return google * latency + self._airtable_paced(latency)

    def process_wall(self, latency: float, startup: float) -> float:
        """Seconds a whole `run --once` process takes at least (the module's docstring)."""
        drafts = self.requests.get("gmail", 0)
        quota = drafts * GMAIL_UNITS_PER_DRAFT / GMAIL_UNITS_PER_SECOND
        return startup + max(self._airtable_paced(latency), self.chain * latency) + quota

    def _airtable_paced(self, latency: float) -> float:
        airtable = self.requests.get("airtable", 0)
        return max(airtable - 1, 0) / AIRTABLE_RATE + latency if airtable else 0.0


@dataclass
class Result:
    """One workload's figures."""

    name: str
    title: str
    wall: float
    cpu: float  # seconds of this process's CPU (the sandbox runs in another)
    requests: dict[str, int]
    penalties: int
    peak_rss: int  # bytes
    floor: Floor
    latency: float
    startup: float | None = None  # a whole process's start-up; None: measured in-process
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Requests to every API."""
        return sum(self.requests.values())

    @property
    def floor_total(self) -> int:
        """Floor requests to every API."""
        return sum(self.floor.requests.values())

    @property
    def wall_floor(self) -> float:
        """The floor's wall time (a whole process's, start-up included, when it was one)."""
        if self.startup is None:
            return self.floor.wall(self.latency)
        return self.floor.process_wall(self.latency, self.startup)


def api_of(route: str) -> str:
    """The API a sandbox route belongs to (`calendar.events.list` -> calendar)."""
    head = route.split(".", 1)[0]
    return head if head in APIS else route


def count_requests(log: list[dict[str, Any]]) -> tuple[dict[str, int], int]:
    """Requests per API (control calls left out), and those refused for going too fast: a 429,
    or Gmail's 403 past the user's quota."""
    served = [e for e in log if not e["route"].startswith("control.")]
    per_api = Counter(api_of(e["route"]) for e in served)
    penalties = sum(1 for e in served if e["status"] == 429 or _over_gmail_quota(e))
    return dict(per_api), penalties


def _over_gmail_quota(entry: dict[str, Any]) -> bool:
    """Gmail answers 403 to a request past the user's quota (the sandbox only for that)."""
    return api_of(entry["route"]) == "gmail" and entry["status"] == 403


def _status_kib(name: str) -> int:
    line = next(x for x in STATUS.read_text().splitlines() if x.startswith(f"{name}:"))
    return int(line.split()[1])


def reset_peak() -> None:
    """Start measuring the peak resident set afresh (freed memory handed back first)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss() -> int:
    """This process's peak resident set since the last reset, in bytes."""
    return _status_kib("VmHWM") * 1024


@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """Seconds elapsed inside the block (read after it)."""
    started = time.monotonic()
    ended: list[float] = []
    yield lambda: (ended[0] if ended else time.monotonic()) - started
    ended.append(time.monotonic())
