"""End to draft: how long after a meeting's end (plus grace) its thank-you draft exists.

The service runs as a user runs it, `followthrough run` (web app, worker and scheduler in
one process) with a public URL pointing at itself, so the sandbox's calendar pushes reach
it. Meetings in progress are added to the calendar; each one's draft is watched for from
its end. Real time throughout (no frozen clock); the grace period is 0 minutes so that the
run takes a minute, not a quarter of an hour (grace only moves the due time).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.worlds import Sizes, airtable_email, world_fixture
from connectors.airtable.client import AirtableClient
from connectors.airtable.schema import init_schema
from connectors.sandbox.remote import RemoteSandbox
from service.settings import child_environment

REPO = Path(__file__).resolve().parent.parent
MEETINGS = 20
FIRST_END = 15.0  # seconds after the meetings are added that the first one ends
SPACING = 1.0  # seconds between two meetings' ends
P95_TARGET = 1.0  # seconds from a meeting's end to its draft (issue 17)
SIZES = Sizes(google_contacts=0, airtable_contacts=MEETINGS, events=0, history_interviews=0,
              recent_interviews=0)  # fmt: skip


@dataclass(frozen=True)
class Latency:
    """Seconds from each meeting's end (plus grace) to its draft, and the percentiles."""

    seconds: tuple[float, ...]

    def percentile(self, p: float) -> float:
        """The nearest-rank percentile `p` (0-100)."""
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def line(self) -> str:
        """The figure as the README shows it."""
        p50, p95 = self.percentile(50), self.percentile(95)
        mark = "" if p95 <= P95_TARGET else " ✗"
        return (
            f"End to draft, embedded `followthrough run` with calendar push notifications, "
            f"{len(self.seconds)} meetings ending a second apart: p50 {p50:.1f} s, "
            f"p95 {p95:.1f} s{mark} (target p95 ≤ {P95_TARGET:.0f} s; "
            f"max {max(self.seconds):.1f} s)."
        )


def measure(workdir: Path, latency: float) -> Latency:
    """Run the service on a small account and time each new meeting's draft."""
    now = dt.datetime.now(dt.UTC)
    fixture = world_fixture(now, SIZES)
    fixture.pop("now")
    with RemoteSandbox(fixture, workdir, latency=latency) as box:
        init_schema(_airtable(box))  # what `followthrough airtable init` does
        port = free_port()
        service = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "run"],
            cwd=workdir,
            env=_environment(workdir, box, port),
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "run.log").open("wb"),
        )
        try:
            _wait(lambda: box.call("push_log"), 60, "the calendar channel")
            return _time_drafts(box, time.time())
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=60)


def _time_drafts(box: RemoteSandbox, started: float) -> Latency:
    ends: dict[str, float] = {}
    for i in range(MEETINGS):
        end = started + FIRST_END + i * SPACING
        ends[airtable_email(i)] = end
        box.call("add_event", event=_meeting(i, end))
    seen: dict[str, float] = {}
    deadline = started + FIRST_END + MEETINGS * SPACING + 60
    while len(seen) < MEETINGS and time.time() < deadline:
        for draft in box.call("drafts"):
            to = str(draft.get("to", "")).lower()
            for email in ends:
                if email in to and email not in seen:
                    seen[email] = time.time()
        time.sleep(0.05)
    missing = sorted(set(ends) - set(seen))
    if missing:
        raise RuntimeError(f"no draft within a minute for {missing}; see run.log")
    return Latency(tuple(seen[email] - ends[email] for email in ends))


def _meeting(index: int, end: float) -> dict[str, Any]:
    finish = dt.datetime.fromtimestamp(end, dt.UTC)
    start = finish - dt.timedelta(minutes=30)
    return {
        "id": f"lat{index:04d}",
        "summary": f"Coffee chat {index}",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": finish.isoformat()},
        "attendees": [
            {"email": "sam.seeker@work.example", "self": True, "responseStatus": "accepted"},
            {"email": airtable_email(index), "responseStatus": "accepted"},
        ],
    }


def _airtable(box: RemoteSandbox) -> AirtableClient:
    return AirtableClient(box.airtable_token, box.airtable_base_id, endpoint=box.url)


def _environment(workdir: Path, box: RemoteSandbox, port: int) -> dict[str, str]:
    credentials = workdir / "google-run.json"
    credentials.write_text(json.dumps(box.google_credentials))
    credentials.chmod(0o600)
    settings = {
        "database_url": f"sqlite:///{workdir / 'run.db'}",
        "google_credentials_file": str(credentials),
        "google_api_endpoint": box.url,
        "airtable_endpoint": box.url,
        "airtable_token": box.airtable_token,
        "airtable_base_id": box.airtable_base_id,
        "http_port": str(port),
        "public_url": f"http://127.0.0.1:{port}",
        "thank_you_grace_minutes": "0",
        "sender_name": "Sam Seeker",
        "log_format": "json",
    }
    env = child_environment(os.environ, settings)
    env["PYTHONPATH"] = str(REPO)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except requests.RequestException:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}; see run.log")
