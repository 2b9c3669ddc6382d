"""`followthrough sync` shows its progress: a live count in a terminal, log events elsewhere."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from connectors.sandbox.fixture import small_fixture
from tests.service.test_cli import environment, followthrough


def _sandbox_settings(sandbox: Any, tmp_path: Path) -> dict[str, str]:
    credentials = tmp_path / "google.json"
    credentials.write_text(json.dumps(sandbox.google_credentials()))
    credentials.chmod(0o600)
    return {
        "google_api_endpoint": sandbox.url,
        "airtable_endpoint": sandbox.url,
        "airtable_token": sandbox.airtable_token,
        "airtable_base_id": sandbox.airtable_base_id,
        "google_credentials_file": str(credentials),
        "log_format": "json",
        "now": "2026-03-02T11:00:00-05:00",  # the small world's day
    }


def test_outside_a_terminal_each_page_is_a_log_event(tmp_path: Path, sandbox_factory: Any) -> None:
    settings = _sandbox_settings(sandbox_factory(small_fixture()), tmp_path)

    result = followthrough(tmp_path, "sync", "calendar", **settings)

    assert result.returncode == 0, result.stderr
    pages = [json.loads(line) for line in result.stderr.splitlines() if '"sync.page"' in line]
    assert pages and pages[-1]["source"] == "google_calendar" and pages[-1]["records"] > 0
    assert "synced google_calendar" in result.stdout


def test_in_a_terminal_a_live_count_is_shown(tmp_path: Path, sandbox_factory: Any) -> None:
    settings = _sandbox_settings(sandbox_factory(small_fixture()), tmp_path)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "sync", "calendar"],
        cwd=tmp_path,
        env={**environment(tmp_path, **settings), "COLUMNS": "100", "TERM": "xterm"},
        stdin=follower,
        stdout=follower,
        stderr=subprocess.DEVNULL,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    assert process.wait(timeout=30) == 0
    text = output.decode(errors="replace")
    assert "syncing google_calendar" in text and "records" in text
    assert "synced google_calendar" in text
