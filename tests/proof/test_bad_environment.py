"""Hostile environments, met as a user meets them: `followthrough` in a fresh process.

A database URL that cannot work, a credentials file this user may not read, numeric settings
out of range, a machine where nothing is set up yet: each gives one line on stderr naming
the problem and the fix, the documented exit code (3: you must act; 75: try again later),
and never a traceback.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.settings import child_environment
from tests.conftest import POSTGRES_URL, require_server
from tests.processes import free_port
from workflows.migrations import upgrade

REPO = Path(__file__).resolve().parents[2]
COMMANDS = (("run", "--once"), ("status",))
ACCOUNTS = {"airtable_token": "patNotUsed", "airtable_base_id": "appNotUsed"}
GOOGLE = {"token": "t", "refresh_token": "r", "client_id": "c", "client_secret": "s"}


@dataclass
class Machine:
    """A working directory, and the user `followthrough` runs as there (None: this one)."""

    home: Path
    user: pwd.struct_passwd | None = None

    def followthrough(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """`python -m service.cli ARGS` in `home` with only these settings (field names)."""
        env = child_environment(os.environ, settings)
        env["PYTHONPATH"] = str(REPO)
        return subprocess.run(
            [*self._as_user(), sys.executable, "-m", "service.cli", *args],
            cwd=self.home,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def _as_user(self) -> list[str]:
        # setpriv rather than subprocess's user=: the latter cannot exec an interpreter that
        # lives under root's home, where this one may.
        if self.user is None:
            return []
        return [
            "setpriv",
            f"--reuid={self.user.pw_uid}",
            f"--regid={self.user.pw_gid}",
            "--clear-groups",
        ]

    def with_accounts(self) -> dict[str, str]:
        """Settings naming a Google credentials file (written here) and an Airtable base.

        Both APIs are a closed local port: nothing here may reach them anyway.
        """
        (self.home / "google.json").write_text(json.dumps(GOOGLE))
        nowhere = f"http://127.0.0.1:{free_port()}"
        return {
            **ACCOUNTS,
            "google_credentials_file": str(self.home / "google.json"),
            "google_api_endpoint": nowhere,
            "airtable_endpoint": nowhere,
        }


def one_line(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The one line on stderr, after checking the exit code, its words and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("followthrough: "), line
    for word in words:
        assert word in line, (word, line)
    assert result.returncode == code, (result.returncode, line)
    return line


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


@pytest.fixture
def unprivileged() -> Iterator[Machine]:
    """A machine whose user permissions bind: `nobody` in a shared directory when we are root.

    Root reads and writes any file whatever its mode, so a file root may not read exists
    only for another user; that is the user who meets these problems.
    """
    if os.geteuid() != 0:
        home = Path(tempfile.mkdtemp())
        yield Machine(home)
        shutil.rmtree(home, ignore_errors=True)
        return
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no `nobody` user to run as")
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and there is no setpriv to run as `nobody` with")
    home = Path(tempfile.mkdtemp())
    home.chmod(0o777)
    yield Machine(home, user=nobody)
    shutil.rmtree(home, ignore_errors=True)


def run_all(
    machine: Machine, cases: dict[str, dict[str, str]], *args: str
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each case's settings through `followthrough ARGS`, a few processes at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda s: machine.followthrough(*args, **s), cases.values())
        return dict(zip(cases, results, strict=True))


# Numeric settings: each has a documented range; infinite, NaN and huge values are refused.

OUT_OF_RANGE = {
    "poll_minutes=inf": ({"poll_minutes": "inf"}, "FOLLOWTHROUGH_POLL_MINUTES", "0.1 to 1440"),
    "poll_minutes=nan": ({"poll_minutes": "nan"}, "FOLLOWTHROUGH_POLL_MINUTES", "got nan"),
    "update_every_days": (
        {"update_every_days": "99999999999"},
        "FOLLOWTHROUGH_UPDATE_EVERY_DAYS",
        "1 to 3650",
    ),
    "first_sync_days": (
        {"first_sync_days": "1000000000"},
        "FOLLOWTHROUGH_FIRST_SYNC_DAYS",
        "1 to 3650",
    ),
    "history_days": ({"history_days": "1e308"}, "FOLLOWTHROUGH_HISTORY_DAYS", "0 to 3650"),
    "due_claim_seconds": (
        {"due_claim_seconds": "-inf"},
        "FOLLOWTHROUGH_DUE_CLAIM_SECONDS",
        "1 to 86400",
    ),
    "effect_hold_seconds": (
        {"effect_hold_seconds": "1e400"},
        "FOLLOWTHROUGH_EFFECT_HOLD_SECONDS",
        "1 to 86400",
    ),
    "thank_you_grace_minutes": (
        {"thank_you_grace_minutes": "99999999999999"},
        "FOLLOWTHROUGH_THANK_YOU_GRACE_MINUTES",
        "0 to 1440",
    ),
    "now": ({"now": "9999-12-31T23:00+00:00"}, "FOLLOWTHROUGH_NOW", "2000 to 2999"),
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_numeric_settings_out_of_range_are_named_with_their_range(
    machine: Machine, command: tuple[str, ...]
) -> None:
    accounts = machine.with_accounts()
    cases = {name: {**accounts, **settings} for name, (settings, *_) in OUT_OF_RANGE.items()}

    results = run_all(machine, cases, *command)

    for name, (_, variable, words) in OUT_OF_RANGE.items():
        one_line(results[name], 3, variable, words)
    assert not (machine.home / "followthrough.db").exists()


# The database URL.


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_path_that_is_a_directory_is_named(
    machine: Machine, command: tuple[str, ...]
) -> None:
    (machine.home / "data").mkdir()
    url = f"sqlite:///{machine.home / 'data'}"

    result = machine.followthrough(*command, database_url=url, **machine.with_accounts())

    one_line(result, 3, "FOLLOWTHROUGH_DATABASE_URL", "is a directory", "data/followthrough.db")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_file_that_is_not_a_database_is_named_and_left_alone(
    machine: Machine, command: tuple[str, ...]
) -> None:
    notes = machine.home / "notes.db"
    notes.write_text("my notes, not a database\n" * 100)

    result = machine.followthrough(
        *command, database_url=f"sqlite:///{notes}", **machine.with_accounts()
    )

    one_line(result, 3, "FOLLOWTHROUGH_DATABASE_URL", str(notes), "not an SQLite database")
    assert notes.read_text() == "my notes, not a database\n" * 100


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_read_only_database_file_is_named(
    unprivileged: Machine, command: tuple[str, ...]
) -> None:
    # Given a store that exists (made by another user, or made read-only)
    store = unprivileged.home / "followthrough.db"
    upgrade(f"sqlite:///{store}")
    for leftover in unprivileged.home.glob("followthrough.db-*"):
        leftover.unlink()
    store.chmod(0o444)

    result = unprivileged.followthrough(
        *command, database_url=f"sqlite:///{store}", **unprivileged.with_accounts()
    )

    one_line(result, 3, "FOLLOWTHROUGH_DATABASE_URL", str(store), "read-only")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(machine: Machine, url: str) -> None:
    results = [
        machine.followthrough(*command, database_url=url, **machine.with_accounts())
        for command in COMMANDS
    ]

    for result in results:
        one_line(result, 3, "FOLLOWTHROUGH_DATABASE_URL", "in memory", "sqlite:///")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unreachable_postgresql_says_try_again_later(
    machine: Machine, command: tuple[str, ...]
) -> None:
    url = f"postgresql+psycopg://followthrough:secret-pw@127.0.0.1:{free_port()}/followthrough"

    result = machine.followthrough(*command, database_url=url, **machine.with_accounts())

    line = one_line(result, 75, "FOLLOWTHROUGH_DATABASE_URL", "not reachable", "try again")
    assert "secret-pw" not in line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unknown_postgresql_role_is_named(machine: Machine, command: tuple[str, ...]) -> None:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    url = sa.make_url(POSTGRES_URL).set(username="no_such_role_here").render_as_string(False)

    result = machine.followthrough(*command, database_url=url, **machine.with_accounts())

    one_line(result, 3, "FOLLOWTHROUGH_DATABASE_URL", 'role "no_such_role_here" does not exist')


# The Google credentials file.


def test_a_credentials_file_this_user_cannot_read_is_named(unprivileged: Machine) -> None:
    settings = unprivileged.with_accounts()
    credentials = Path(settings["google_credentials_file"])
    credentials.chmod(0o000 if unprivileged.user is None else 0o600)  # (root owns it)

    result = unprivileged.followthrough("run", "--once", **settings)

    one_line(result, 3, str(credentials), "cannot be read", "followthrough auth google")
    assert not (unprivileged.home / "followthrough.db").exists()


def test_a_credentials_path_that_is_a_directory_is_named(machine: Machine) -> None:
    (machine.home / "google").mkdir()
    settings = {**machine.with_accounts(), "google_credentials_file": str(machine.home / "google")}

    result = machine.followthrough("run", "--once", **settings)

    one_line(result, 3, "FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE", "is not a file")


# `status` where nothing is set up yet.


def test_status_with_nothing_set_up_creates_nothing_and_says_what_to_run(machine: Machine) -> None:
    result = machine.followthrough("status")

    line = one_line(result, 3, "nothing is set up yet", "followthrough run")
    assert str(machine.home / "followthrough.db") in line
    assert list(machine.home.iterdir()) == []
    assert result.stdout == ""


def test_status_on_an_empty_postgresql_database_creates_no_tables(
    machine: Machine, postgres_url: str
) -> None:
    result = machine.followthrough("status", database_url=postgres_url)

    one_line(result, 3, "nothing is set up yet", "followthrough run")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []
    finally:
        engine.dispose()


def test_status_on_an_existing_store_shows_it(machine: Machine) -> None:
    upgrade(f"sqlite:///{machine.home / 'followthrough.db'}")

    result = machine.followthrough("status")

    assert result.returncode == 0, result.stderr
    assert "Your week" in result.stdout and "Connectors" in result.stdout
    assert "alembic" not in result.stderr  # no migration chatter, the store is at head
    assert "Traceback" not in result.stderr
