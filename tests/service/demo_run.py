"""One run of `followthrough demo` per test process, shared by the demo and status-page tests.

The demo takes tens of seconds (the Airtable rate limit is kept), so the tests that read
what it left behind share one run, made the way a user makes it: the command in its own
process, in an empty working directory, with no FOLLOWTHROUGH_* setting in its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.demo.files import DATABASE_NAME, DUMP_NAME

REPO = Path(__file__).resolve().parents[2]
KEPT_VARIABLES = ("FOLLOWTHROUGH_REQUIRE_SERVICES",)
TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class DemoRun:
    """What `followthrough demo --output DIR` printed and left behind."""

    returncode: int
    stdout: str
    stderr: str
    workdir: Path
    output: Path

    @property
    def database(self) -> Path:
        """The demo's SQLite store."""
        return self.output / DATABASE_NAME

    def dump(self) -> dict[str, Any]:
        """The sandbox's final state, as the demo dumped it."""
        data: dict[str, Any] = json.loads((self.output / DUMP_NAME).read_text(encoding="utf-8"))
        return data


_runs: list[DemoRun] = []


def demo_run(factory: pytest.TempPathFactory) -> DemoRun:
    """The demo's one run in this process (made on first use)."""
    if not _runs:
        _runs.append(_run(factory.mktemp("demo")))
    return _runs[0]


def _run(base: Path) -> DemoRun:
    workdir = base / "home"
    workdir.mkdir()
    output = base / "out"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FOLLOWTHROUGH_") or name in KEPT_VARIABLES
    }
    # A user's own store named in the environment must stay untouched by the demo.
    env["FOLLOWTHROUGH_DATABASE_URL"] = f"sqlite:///{workdir / 'mine.db'}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "160"  # names stay on one line of the account
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "demo", "--output", str(output)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    return DemoRun(done.returncode, done.stdout, done.stderr, workdir, output)
