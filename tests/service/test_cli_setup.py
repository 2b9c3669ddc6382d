"""`followthrough status` tells the user what their drafts lack: a name to sign them with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from connectors.sandbox.server import Sandbox
from tests.processes import sandbox_environment
from tests.workflows.world import FAST_AIRTABLE, world


def _followthrough(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_status_says_to_set_the_sender_name_while_it_is_unset(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    sandbox: Sandbox = sandbox_factory(world(), airtable_rate_limit=FAST_AIRTABLE)
    database = f"sqlite:///{tmp_path / 'followthrough.db'}"
    unsigned = sandbox_environment(tmp_path, sandbox, database_url=database, sender_name="")
    assert _followthrough(unsigned, "airtable", "init").returncode == 0
    assert _followthrough(unsigned, "run", "--once").returncode == 0

    told = _followthrough(unsigned, "status")
    signed = _followthrough(sandbox_environment(tmp_path, sandbox, database_url=database), "status")

    assert told.returncode == 0, told.stdout + told.stderr
    said = " ".join(told.stdout.split())
    assert "Sender name: FOLLOWTHROUGH_SENDER_NAME is not set" in said
    assert "set it to the name you sign with" in said
    assert signed.returncode == 0 and "Sender name" not in signed.stdout
