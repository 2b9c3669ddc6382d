"""A change feed into the store: read from its cursor, apply each page, commit the cursor with it.

Every sync follows its feed this way (DESIGN.md, "Change feeds"). A page's changes and the
cursor past them are committed in one transaction: a pass that fails half-way resumes at the
first page it did not apply, so no change is skipped, and a page applied again changes
nothing more. A page that brings nothing and leaves the cursor where it was costs no
transaction at all: a pass with nothing changed writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from connectors.records import Page
from workflows.runtime import Runtime
from workflows.store.cursors import get_cursor, set_cursor
from workflows.sync.report import SyncReport

P = TypeVar("P", bound=Page[Any])


def brings_changes(page: Page[Any]) -> bool:
    """True when applying `page` may change the store: it has records or skipped ones, or it
    is a full sync's (whose absences are deletions)."""
    return bool(page.records or page.skipped or page.full_sync)


@dataclass
class Stream:
    """The feed whose cursor is stored as `name` in the runtime's account."""

    runtime: Runtime
    name: str
    _stored: str | None = field(default=None, init=False, repr=False)
    """The cursor as `cursor()` read it: an unchanged cursor is not written again."""

    def cursor(self) -> str | None:
        """Where the feed resumes; None to read it from scratch."""
        with self.runtime.db.read() as session:
            return self.cursor_in(session)

    def cursor_in(self, session: Session) -> str | None:
        """`cursor()`, read in the caller's session (beside what else it reads)."""
        self._stored = get_cursor(session, self.name, account=self.runtime.account)
        return self._stored

    def commit(
        self, next_cursor: str | None, apply: Callable[[Session], None], changes: bool = True
    ) -> None:
        """Apply what was read and store the cursor it ends at (when it does), in one
        transaction; none when there are no `changes` and the cursor stays."""
        if changes or self._moves(next_cursor):
            with self.runtime.db.transaction() as session:
                apply(session)
                self._advance(session, next_cursor)
            self._advanced(next_cursor)

    def follow(
        self,
        pages: Iterable[P],
        apply: Callable[[Session, P], None],
        report: SyncReport,
        changes: Callable[[P], bool] = brings_changes,
    ) -> None:
        """Commit each of `pages` with the cursor it ends at, counting it in `report` once
        committed (a Page carries its cursor on the last page only); a page without
        `changes` whose cursor stays is not applied."""
        for page in pages:
            if changes(page) or self._moves(page.next_cursor):
                with self.runtime.db.transaction() as session:
                    apply(session, page)
                    self._advance(session, page.next_cursor)
                self._advanced(page.next_cursor)
            report.add_page(page)

    def _moves(self, next_cursor: str | None) -> bool:
        return bool(next_cursor) and next_cursor != self._stored

    def _advance(self, session: Session, next_cursor: str | None) -> None:
        if next_cursor and self._moves(next_cursor):
            set_cursor(session, self.name, next_cursor, account=self.runtime.account)

    def _advanced(self, next_cursor: str | None) -> None:
        """Once committed, the cursor stored is `next_cursor` (if it is one)."""
        if next_cursor:
            self._stored = next_cursor
