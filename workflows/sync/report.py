"""What one sync pass did, for logs, the CLI and the demo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.records import Page, Skipped


@dataclass
class SyncReport:
    """Counts of one pass of one source, and what it skipped (with reasons)."""

    source: str
    records: int = 0
    pages: int = 0
    full: bool = False
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    off: str = ""
    """Why the pass read nothing because the user left its feature off, and what to do; the
    status page shows the source as off with it."""
    progress: Callable[[SyncReport], None] | None = field(default=None, repr=False)

    def add_page(self, page: Page[Any]) -> None:
        """Count one page read and applied, and tell whoever follows the progress."""
        self.pages += 1
        self.records += len(page.records)
        self.full = self.full or page.full_sync
        self.skipped.extend(page.skipped)
        if self.progress is not None:
            self.progress(self)

    def fields(self) -> dict[str, object]:
        """The report as structured log fields."""
        return {
            "source": self.source,
            "records": self.records,
            "pages": self.pages,
            "full": self.full,
            "skipped": len(self.skipped),
        }
