"""Large accounts: 50,000 events and 50,000 contacts sync page by page in bounded memory.

The sandbox runs in its own process here, so the memory measured is the client's alone: the
growth of this process's peak resident set over the sync (Linux resets the peak on request;
tracemalloc would measure the same thing at four times the run time).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.google.client import GoogleClient
from connectors.policy import RetryPolicy
from connectors.records import Page
from connectors.sandbox.remote import RemoteSandbox
from tests.connectors.google.worlds import WINDOW_START, event, person, world

STATUS_PATH = Path("/proc/self/status")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not STATUS_PATH.exists(), reason="needs Linux /proc to measure memory"),
]

SIZE = 50_000
# About twice one page's worth (measured: ~26 MiB for 2,500 events, ~18 MiB for 1,000 contacts);
# holding every record, let alone every payload, would take more.
EVENTS_BOUND = 48 * 2**20
CONTACTS_BOUND = 32 * 2**20
POLICY = RetryPolicy(timeout=120.0, attempts=3, base_delay=0.01, max_delay=0.1)


@pytest.fixture
def remote(
    tmp_path: Path,
) -> Iterator[Callable[[dict[str, Any]], tuple[RemoteSandbox, GoogleClient]]]:
    started: list[RemoteSandbox] = []

    def start(fixture: dict[str, Any]) -> tuple[RemoteSandbox, GoogleClient]:
        box = RemoteSandbox(fixture, tmp_path)
        started.append(box)
        credentials = tmp_path / "credentials.json"
        credentials.write_text(json.dumps(box.google_credentials))
        return box, GoogleClient(credentials, box.url, POLICY)

    yield start
    for box in started:
        box.stop()


def _status_kib(field: str) -> int:
    line = next(x for x in STATUS_PATH.read_text().splitlines() if x.startswith(f"{field}:"))
    return int(line.split()[1])


def _release_free_memory() -> None:
    """Hand freed memory back to the OS, so that reusing it counts as growth again."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def consume(pages: Iterable[Page[Any]]) -> tuple[set[str], int, str | None, int]:
    """Drain a sync like a consumer keeping only ids: (ids, records, cursor, peak growth bytes)."""
    seen: set[str] = set()
    count, cursor = 0, None
    _release_free_memory()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set to the current
    before = _status_kib("VmRSS")
    for page in pages:
        count += len(page.records)
        seen.update(getattr(r, "id", None) or r.resource_name for r in page.records)
        cursor = page.next_cursor or cursor
    return seen, count, cursor, (_status_kib("VmHWM") - before) * 1024


def test_fifty_thousand_events(remote: Callable[..., tuple[RemoteSandbox, GoogleClient]]) -> None:
    box, client = remote(world(events=[event(i, days=1 + i / 1000) for i in range(SIZE)]))
    started = time.monotonic()

    seen, count, cursor, peak = consume(
        client.calendar.sync("primary", None, window_start=WINDOW_START)
    )

    assert count == len(seen) == SIZE  # every event once, no duplicates
    assert cursor
    assert box.request_counts()["calendar.events.list"] == SIZE // 2500  # maximum page size
    assert peak < EVENTS_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert consume(client.calendar.sync("primary", cursor, window_start=WINDOW_START))[1] == 0
    print(f"50k events: {time.monotonic() - started:.1f} s, peak {peak / 2**20:.1f} MiB")


def test_fifty_thousand_contacts(remote: Callable[..., tuple[RemoteSandbox, GoogleClient]]) -> None:
    box, client = remote(world(contacts=[person(i) for i in range(SIZE)]))
    started = time.monotonic()

    seen, count, cursor, peak = consume(client.contacts.sync(None))

    assert count == len(seen) == SIZE
    assert cursor
    assert box.request_counts()["people.connections.list"] == SIZE // 1000
    assert peak < CONTACTS_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert consume(client.contacts.sync(cursor))[1] == 0
    print(f"50k contacts: {time.monotonic() - started:.1f} s, peak {peak / 2**20:.1f} MiB")
