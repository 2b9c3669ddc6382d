"""A Google authorization that expired (a Testing app's 7 days) or was revoked: the other
sources keep syncing, the user is told what to run, and `run --once` exits 3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from connectors.sandbox.server import Sandbox
from tests.processes import sandbox_environment
from tests.workflows.world import FAST_AIRTABLE, airtable_contact, at, guest, meeting, world

ADA = "ada@analytical.example"
TOLD = "Google authorization expired: run `followthrough auth google`"


def _followthrough(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _unwrapped(text: str) -> str:
    """What the terminal showed, without the line breaks rich wraps it with."""
    shown = [line for line in text.splitlines() if not line.lstrip().startswith("{")]  # logs
    return " ".join(" ".join(shown).split())


def test_an_expired_google_authorization_stops_only_google_and_says_what_to_run(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    chat = meeting("evt1", "Coffee chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])
    sandbox: Sandbox = sandbox_factory(
        world(events=[chat], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    env = sandbox_environment(
        tmp_path,
        sandbox,
        database_url=f"sqlite:///{tmp_path / 'followthrough.db'}",
        now=at(2026, 3, 2, 12).isoformat(),
    )
    assert _followthrough(env, "airtable", "init").returncode == 0
    assert _followthrough(env, "run", "--once").returncode == 0

    sandbox.revoke_refresh_token()  # a week later, in Testing mode (or the user revoked it)
    sandbox.airtable.update_record("Contacts", "recAda0000000001", {"Role": "Countess"})
    again = _followthrough(env, "run", "--once")
    status = _followthrough(env, "status")

    assert again.returncode == 3, again.stdout + again.stderr
    assert TOLD in _unwrapped(again.stdout)
    assert "synced airtable: 1 records" in again.stdout  # Airtable kept working
    assert "Traceback" not in again.stdout + again.stderr
    assert TOLD in _unwrapped(status.stdout), status.stdout
