"""A change feed into the store: read from its cursor, apply each page, commit the cursor with it.

Every sync follows its feed this way (DESIGN.md, "Change feeds"). A page's changes and the
cursor past them are committed in one transaction: a pass that fails half-way resumes at the
first page it did not apply, so no change is skipped, and a page applied again changes
nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from connectors.records import Page
from workflows.runtime import Runtime
from workflows.store.cursors import get_cursor, set_cursor
from workflows.sync.report import SyncReport

P = TypeVar("P", bound=Page[Any])


@dataclass(frozen=True)
class Stream:
    """The feed whose cursor is stored as `name` in the runtime's account."""

    runtime: Runtime
    name: str

    def cursor(self) -> str | None:
        """Where the feed resumes; None to read it from scratch."""
        with self.runtime.db.read() as session:
            return get_cursor(session, self.name, account=self.runtime.account)

    def commit(self, next_cursor: str | None, apply: Callable[[Session], None]) -> None:
        """Apply what was read and store the cursor it ends at (when it does), in one
        transaction."""
        with self.runtime.db.transaction() as session:
            apply(session)
            self._advance(session, next_cursor)

    def follow(
        self, pages: Iterable[P], apply: Callable[[Session, P], None], report: SyncReport
    ) -> None:
        """Commit each of `pages` with the cursor it ends at, counting it in `report` once
        committed (a Page carries its cursor on the last page only)."""
        for page in pages:
            with self.runtime.db.transaction() as session:
                apply(session, page)
                self._advance(session, page.next_cursor)
            report.add_page(page)

    def _advance(self, session: Session, next_cursor: str | None) -> None:
        if next_cursor:
            set_cursor(session, self.name, next_cursor, account=self.runtime.account)
