"""What `followthrough demo` leaves behind: its store, the sandbox's final state, its credentials.

Apart from the demo (service.demo) so that its account (service.demo.account) can say where they
are without importing the demo that prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATABASE_NAME = "followthrough-demo.db"
DUMP_NAME = "sandbox-state.json"
CREDENTIALS_NAME = "google-credentials.json"


@dataclass(frozen=True)
class DemoFiles:
    """Where the demo leaves what it made."""

    output: Path

    @property
    def database(self) -> Path:
        """The demo's SQLite store."""
        return self.output / DATABASE_NAME

    @property
    def dump(self) -> Path:
        """The sandbox's final state as JSON (drafts, tasks, events, contacts, Airtable)."""
        return self.output / DUMP_NAME

    @property
    def credentials(self) -> Path:
        """The sandbox's Google credentials (mode 0600)."""
        return self.output / CREDENTIALS_NAME

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the demo's store."""
        return f"sqlite:///{self.database.resolve()}"

    def remove_previous_database(self) -> None:
        """A previous demo's store would hold cursors into a world that no longer exists."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            self.database.with_name(self.database.name + suffix).unlink(missing_ok=True)


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read (created 0600 before any byte lands)."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")
