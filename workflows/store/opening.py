"""Opening the store: a database that cannot be used says why and what to do, in one line.

A path that is a directory, a file this user may not read or write, a file that is not an
SQLite database, a PostgreSQL role or database that does not exist: the user must act
(`StoreUnusable`). A PostgreSQL server that does not answer, or an SQLite file another
process holds locked: try again later (`StoreUnreachable`). Messages name paths, hosts and
users, never a password.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from connectors.errors import RetryLater, UserActionRequired

_POSTGRES_REFUSALS = (
    "role ",
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "pg_hba.conf",
    "permission denied",
)
"""What PostgreSQL says when it answered but will not let this user in: no retry will help."""
_USER_SQLSTATE_PREFIXES = ("28", "3D", "42501")
"""Invalid authorization, unknown database, insufficient privilege (e.g. to create tables)."""


class StoreUnusable(UserActionRequired):
    """The database cannot be used as configured; the message says what to fix."""


class StoreUnreachable(RetryLater):
    """The database did not answer (or is locked by another process): try again later."""


def exists(url: str) -> bool:
    """False when `url` names an SQLite file that is not there yet; True otherwise.

    Looking creates nothing. A PostgreSQL database is taken to exist: its server says.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    return Path(str(parsed.database)).exists()


def describe(url: str) -> str:
    """Where `url` points, for a person (never its password): a file, or a server's database."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    return f"database {parsed.database} on {_server(parsed)}"


def _server(url: sa.URL) -> str:
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}"


def check_sqlite_path(path: Path) -> None:
    """Refuse a path SQLite could not use as a read-write store, before SQLite tries to."""
    if path.is_dir():
        raise StoreUnusable(
            f"the database path {path} is a directory; point the database URL at a file in "
            f"it, e.g. sqlite:///{path / 'followthrough.db'}"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreUnusable(
            f"the database file {path} is read-only or unreadable for this user; let the user "
            "running Followthrough read and write it (chown, chmod, chattr -i), or point the "
            "database URL at another file"
        )
    folder = _nearest_existing(path.parent)
    if not folder.is_dir():
        raise StoreUnusable(
            f"the database path {path} goes through {folder}, which is not a directory; "
            "point the database URL at a file in a directory"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreUnusable(
            f"cannot write in {folder}, where the database file {path.name} and its -wal and "
            "-shm files live; let the user running Followthrough write there, or point the "
            "database URL at a file in another directory"
        )


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


@contextmanager
def opening(url: str) -> Iterator[None]:
    """Turn the driver's failure to open or migrate the store at `url` into one clear error.

    Errors that are not about reaching or opening the database go on unchanged (they are bugs).
    """
    try:
        yield
    except sa.exc.DBAPIError as exc:
        failure = _failure(sa.make_url(url), exc)
        if failure is None:
            raise
        raise failure from None


def _failure(url: sa.URL, error: sa.exc.DBAPIError) -> StoreUnusable | StoreUnreachable | None:
    reason = _reason(error)
    if url.get_backend_name() == "sqlite":
        return _sqlite_failure(Path(str(url.database)), reason)
    return _postgres_failure(url, error, reason)


def _reason(error: sa.exc.DBAPIError) -> str:
    """The driver's own words, first line only, without libpq's "connection ... failed:"."""
    first_line = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    return first_line.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()


def _sqlite_failure(path: Path, reason: str) -> StoreUnusable | StoreUnreachable:
    if "locked" in reason:
        return StoreUnreachable(
            f"the database file {path} is locked by another process ({reason}); try again "
            "when it is done"
        )
    if "not a database" in reason or "malformed" in reason:
        return StoreUnusable(
            f"the database file {path} is not an SQLite database, or is damaged ({reason}); "
            "move it aside (Followthrough then starts a new one) or point the database URL at "
            "the right file"
        )
    if "readonly" in reason or "read-only" in reason:
        return StoreUnusable(
            f"the database file {path} is read-only ({reason}); let the user running "
            "Followthrough write it, or point the database URL at another file"
        )
    return StoreUnusable(
        f"cannot open the database file {path} ({reason}); check that this user can read and "
        "write it and its directory, or point the database URL at another file"
    )


def _postgres_failure(
    url: sa.URL, error: sa.exc.DBAPIError, reason: str
) -> StoreUnusable | StoreUnreachable | None:
    server = _server(url)
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    refused = sqlstate.startswith(_USER_SQLSTATE_PREFIXES) or (
        not sqlstate and any(words in reason for words in _POSTGRES_REFUSALS)
    )
    if refused:
        return StoreUnusable(
            f"{server} refused user {url.username or '(none)'} on database "
            f"{url.database or '(default)'}: {reason}; create that role or database, grant it "
            "what it needs, or fix the user and database in the database URL"
        )
    if isinstance(error, sa.exc.OperationalError):
        return StoreUnreachable(
            f"{server} is not reachable ({reason}); try again when it is up, or fix the host "
            "and port in the database URL"
        )
    return None
