"""Large accounts: 50,000 events and 50,000 contacts sync page by page in bounded memory.

The sandbox runs in its own process here, so tracemalloc measures the client alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.google.client import GoogleClient
from connectors.policy import RetryPolicy
from connectors.records import Page
from tests.connectors.google.worlds import WINDOW_START, event, person, world

pytestmark = pytest.mark.slow

SIZE = 50_000
MEMORY_BOUND = 48 * 1024 * 1024  # holding every record and payload would take several times this
POLICY = RetryPolicy(timeout=120.0, attempts=3, base_delay=0.01, max_delay=0.1)


class RemoteSandbox:
    """A sandbox serving a fixture from a child process, reached over HTTP only."""

    def __init__(self, fixture: dict[str, Any], directory: Path) -> None:
        path = directory / "fixture.json"
        path.write_text(json.dumps(fixture))
        command = [
            sys.executable,
            "-m",
            "connectors.sandbox",
            "--fixture",
            str(path),
            "--port",
            "0",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        info = _connection_info(self.process)
        self.url: str = info["url"]
        self.credentials: dict[str, Any] = info["google_credentials"]

    def request_counts(self) -> dict[str, int]:
        """Requests served per route, through the control API."""
        return requests.get(f"{self.url}/_sandbox/request_counts", timeout=10).json()["result"]

    def stop(self) -> None:
        """End the child process."""
        self.process.terminate()
        self.process.wait(timeout=10)


def _connection_info(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        if line.rstrip() == "{" or lines:
            lines.append(line)
        if line.rstrip() == "}":
            return json.loads("".join(lines))  # type: ignore[no-any-return]
    raise RuntimeError("the sandbox process ended before printing its connection info")


@pytest.fixture
def remote(
    tmp_path: Path,
) -> Iterator[Callable[[dict[str, Any]], tuple[RemoteSandbox, GoogleClient]]]:
    started: list[RemoteSandbox] = []

    def start(fixture: dict[str, Any]) -> tuple[RemoteSandbox, GoogleClient]:
        box = RemoteSandbox(fixture, tmp_path)
        started.append(box)
        credentials = tmp_path / "credentials.json"
        credentials.write_text(json.dumps(box.credentials))
        return box, GoogleClient(credentials, box.url, POLICY)

    yield start
    for box in started:
        box.stop()


def consume(pages: Iterable[Page[Any]]) -> tuple[set[str], int, str | None, int]:
    """Drain a sync like a consumer keeping only ids: (ids, records, cursor, peak bytes)."""
    seen: set[str] = set()
    count, cursor = 0, None
    tracemalloc.start()
    try:
        for page in pages:
            count += len(page.records)
            seen.update(getattr(r, "id", None) or r.resource_name for r in page.records)
            cursor = page.next_cursor or cursor
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return seen, count, cursor, peak


def test_fifty_thousand_events(remote: Callable[..., tuple[RemoteSandbox, GoogleClient]]) -> None:
    box, client = remote(world(events=[event(i, days=1 + i / 1000) for i in range(SIZE)]))
    started = time.monotonic()

    seen, count, cursor, peak = consume(
        client.calendar.sync("primary", None, window_start=WINDOW_START)
    )

    assert count == len(seen) == SIZE  # every event once, no duplicates
    assert cursor
    assert box.request_counts()["calendar.events.list"] == SIZE // 2500  # maximum page size
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert consume(client.calendar.sync("primary", cursor, window_start=WINDOW_START))[1] == 0
    print(f"50k events: {time.monotonic() - started:.1f} s, peak {peak / 2**20:.1f} MiB")


def test_fifty_thousand_contacts(remote: Callable[..., tuple[RemoteSandbox, GoogleClient]]) -> None:
    box, client = remote(world(contacts=[person(i) for i in range(SIZE)]))
    started = time.monotonic()

    seen, count, cursor, peak = consume(client.contacts.sync(None))

    assert count == len(seen) == SIZE
    assert cursor
    assert box.request_counts()["people.connections.list"] == SIZE // 1000
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert consume(client.contacts.sync(cursor))[1] == 0
    print(f"50k contacts: {time.monotonic() - started:.1f} s, peak {peak / 2**20:.1f} MiB")
