"""What one sync pass did, for logs, the CLI and the demo."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.records import Skipped


@dataclass
class SyncReport:
    """Counts of one pass of one source, and what it skipped (with reasons)."""

    source: str
    records: int = 0
    pages: int = 0
    full: bool = False
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, object]:
        """The report as structured log fields."""
        return {
            "source": self.source,
            "records": self.records,
            "pages": self.pages,
            "full": self.full,
            "skipped": len(self.skipped),
        }
