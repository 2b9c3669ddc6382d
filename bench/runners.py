"""Two ways to run a workload's pass, and what each costs the client.

InProcess: `run_once(runtime)` in this process, on the runtime the service would build;
    its CPU is what a pass costs the long-running service.
WholeProcess: `followthrough run --once` as a process of its own, from start to exit, as
    a user's cron job runs it; its start-up is timed as `followthrough --help`.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import peak_rss, reset_peak
from bench.statements import counting
from service.settings import Settings, child_environment
from service.wiring import build_runtime
from workflows.passes import PassReport, run_once
from workflows.rules.clock import Clock
from workflows.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
STARTUP_RUNS = 3
PACKAGES = ("connectors", "workflows", "service")


@dataclass
class Timed:
    """What one pass cost the client."""

    wall: float
    cpu: float  # seconds of the client's CPU (the sandbox runs in another process)
    peak_rss: int  # bytes
    extra: dict[str, Any] = field(default_factory=dict)
    startup: float | None = None  # a whole process's: `followthrough --help` just before


class InProcess:
    """Passes run in this process, as the long-running service runs them."""

    name = "in-process"

    def __init__(self, settings: dict[str, str], profile: Path | None = None) -> None:
        self.runtime: Runtime = build_runtime(Settings(**settings))  # type: ignore[arg-type]
        self.profile = profile

    def setup_pass(self, when: dt.datetime) -> None:
        """A pass that is set-up, not measured."""
        self.runtime.clock = Clock.frozen_at(when)
        run_once(self.runtime)

    def timed_pass(self, name: str, when: dt.datetime) -> Timed:
        """One measured pass at `when`."""
        self.runtime.clock = Clock.frozen_at(when)
        reset_peak()
        profiler = cProfile.Profile() if self.profile else None
        started, cpu = time.monotonic(), time.process_time()
        if profiler:
            profiler.enable()
        with counting(self.runtime.db.engine) as counts:
            report = run_once(self.runtime)
        wall, cpu = time.monotonic() - started, time.process_time() - cpu
        if profiler and self.profile:
            profiler.disable()
            profiler.dump_stats(self.profile / f"{name}.prof")
            (self.profile / f"{name}.sql.txt").write_text(counts.listing())
        sql = {"statements": counts.statements, "transactions": counts.transactions}
        return Timed(wall, cpu, peak_rss(), {**_summary(report), **sql})


class WholeProcess:
    """Each pass is a `followthrough run --once` process; the clock is FOLLOWTHROUGH_NOW."""

    name = "whole process"

    def __init__(
        self, settings: dict[str, str], workdir: Path, profile: Path | None = None
    ) -> None:
        self.env = child_environment(os.environ, settings)
        self.env["PYTHONPATH"] = str(REPO)
        # Compiled once, as an installed package is (pip writes the bytecode on install).
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(workdir / "bytecode")
        self.workdir, self.profile = workdir, profile
        packages = [str(REPO / name) for name in PACKAGES]
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *packages], env=self.env, check=True
        )

    def startup(self) -> float:
        """Seconds `followthrough --help` takes (the best of a few, as the machine is now)."""
        return min(self._run(("--help",)).wall for _ in range(STARTUP_RUNS))

    def setup_pass(self, when: dt.datetime) -> None:
        """A pass that is set-up, not measured."""
        self._run(("run", "--once"), when)

    def timed_pass(self, name: str, when: dt.datetime) -> Timed:
        """One measured `followthrough run --once` at `when`, and the start-up just before it
        (a busy machine slows both alike)."""
        startup = self.startup()
        if not self.profile:
            timed = self._run(("run", "--once"), when, log=self.workdir / f"{name}.log")
        else:  # the import times go to the log, both beside the in-process profile
            out = self.profile / f"{name}-process.prof"
            profile = ("-X", "importtime", "-m", "cProfile", "-o", str(out))
            log = self.profile / f"{name}-process.log"
            timed = self._run(("run", "--once"), when, profile, log)
        timed.startup = startup
        return timed

    def _run(
        self,
        args: tuple[str, ...],
        when: dt.datetime | None = None,
        profile: tuple[str, ...] = (),
        log: Path | None = None,
    ) -> Timed:
        env = dict(self.env, FOLLOWTHROUGH_NOW=when.isoformat()) if when else self.env
        figures = self.workdir / "figures.json"
        command = (sys.executable, *profile, "-m", "service.cli", *args)
        launcher = (sys.executable, "-m", "bench.launch", str(figures))
        log = log or self.workdir / "process.log"
        with log.open("ab") as output:
            code = subprocess.call(
                (*launcher, *command), cwd=self.workdir, env=env, stdout=output, stderr=output
            )
        if code != 0:
            raise RuntimeError(f"`followthrough {' '.join(args)}` exited {code}; see {log}")
        measured = json.loads(figures.read_text())
        return Timed(measured["wall"], measured["cpu"], measured["peak_kib"] * 1024)


def _summary(report: PassReport) -> dict[str, Any]:
    drafts = sum(1 for d in report.done if getattr(d.result, "draft", None) is not None)
    return {"drafts": drafts, "done": len(report.done), "failures": len(report.failures)}
