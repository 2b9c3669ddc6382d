"""The front-door scripts: scripts/test, scripts/demo and .ci/run.

scripts/test and scripts/demo run here against a fake interpreter in a copy of
the repository's scripts, so what they decide (create a venv, install or skip,
hand over to pytest or the demo) is observable without a real install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE_PYTHON = """#!/usr/bin/env bash
echo "python $*" >> "$CALLS"
case "$1 $2" in
  "-m pip") exit "${PIP_STATUS:-0}" ;;
  "-m pytest") echo "pytest ran" ;;
esac
exit 0
"""
FAKE_FOLLOWTHROUGH = """#!/usr/bin/env bash
echo "followthrough $*" >> "$CALLS"
"""
OLD_PYTHON = """#!/usr/bin/env bash
[ "$1" = --version ] && echo "Python 3.9.2" && exit 0
exit 1
"""


def write_executable(path: Path, text: str) -> None:
    """Write a script and make it executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the scripts and pyproject.toml, with a fake .venv."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    write_executable(tmp_path / ".venv/bin/python", FAKE_PYTHON)
    write_executable(tmp_path / ".venv/bin/followthrough", FAKE_FOLLOWTHROUGH)
    return tmp_path


def run(repo: Path, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run one of the copied scripts; fake programs log their calls to calls.log."""
    environment = {**os.environ, "CALLS": str(repo / "calls.log"), **env}
    return subprocess.run(
        [str(repo / "scripts" / script), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
        check=False,
    )


def calls(repo: Path) -> list[str]:
    """The fake programs' calls so far, then forget them."""
    log = repo / "calls.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return [line for line in lines if " -c " not in f"{line} "]


def test_first_test_run_installs_dev_extras_then_runs_pytest_with_the_arguments(repo: Path) -> None:
    result = run(repo, "test", "-q", "tests/helm")
    assert result.returncode == 0, result.stderr
    assert calls(repo) == [
        "python -m pip install --quiet --quiet -e .[dev]",
        "python -m pytest -q tests/helm",
    ]
    assert "pytest ran" in result.stdout


def test_second_run_skips_the_install_until_pyproject_changes(repo: Path) -> None:
    run(repo, "test")
    calls(repo)
    assert calls_after(run(repo, "test"), repo) == ["python -m pytest"]
    with (repo / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new dependency range\n")
    assert calls_after(run(repo, "test"), repo)[0].startswith("python -m pip install")


def test_demo_after_the_test_install_reuses_it_and_passes_its_arguments(repo: Path) -> None:
    run(repo, "test")
    calls(repo)
    assert calls_after(run(repo, "demo", "--serve"), repo) == ["followthrough demo --serve"]


def test_demo_on_a_fresh_venv_installs_without_extras(repo: Path) -> None:
    assert calls_after(run(repo, "demo"), repo) == [
        "python -m pip install --quiet --quiet -e .",
        "followthrough demo",
    ]


def test_a_failed_install_stops_with_a_reason_and_is_retried_next_time(repo: Path) -> None:
    result = run(repo, "test", PIP_STATUS="1")
    assert result.returncode == 3
    assert "installing Followthrough into .venv failed" in result.stderr
    assert calls(repo) == ["python -m pip install --quiet --quiet -e .[dev]"]
    assert calls_after(run(repo, "test"), repo)[0].startswith("python -m pip install")


def test_python_older_than_3_11_is_refused_with_a_clear_message(repo: Path, tmp_path: Path) -> None:
    shutil.rmtree(repo / ".venv")
    old = tmp_path / "old-bin"
    for name in ("python3", "python3.11", "python3.12", "python3.13"):
        write_executable(old / name, OLD_PYTHON)
    result = run(repo, "test", PATH=f"{old}:{os.environ['PATH']}", PYTHON="")
    assert result.returncode == 2
    assert "needs Python 3.11 or newer, and python3 is Python 3.9.2" in result.stderr
    assert not (repo / ".venv").exists()


@pytest.mark.parametrize("script", ["scripts/test", "scripts/demo", ".ci/run"])
def test_front_door_scripts_are_executable_bash(script: str) -> None:
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0


def test_ci_fails_when_pytest_collects_nothing() -> None:
    ci = (ROOT / ".ci/run").read_text()
    assert "set -euo pipefail" in ci
    assert "FOLLOWTHROUGH_REQUIRE_SERVICES=1" in ci
    assert "./scripts/test -q" in ci
    assert "5)" in ci and "exit 1" in ci


def calls_after(result: subprocess.CompletedProcess[str], repo: Path) -> list[str]:
    """The calls a finished, successful run made."""
    assert result.returncode == 0, result.stderr
    return calls(repo)
