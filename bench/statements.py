"""Count the SQL statements and transactions a pass sends to the store (an SQLAlchemy event
listener on the engine): what a pass costs the database, which a busy machine does not inflate.

    with counting(runtime.db.engine) as counts:
        run_once(runtime)
    counts.statements, counts.transactions, counts.listing()
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass
class Counts:
    """Statements and transactions seen, and each statement's first words."""

    statements: int = 0
    transactions: int = 0
    by_statement: Counter[str] = field(default_factory=Counter)

    def statement(self, text: str) -> None:
        """Count one statement (SQLite's BEGIN is counted as a transaction, not here)."""
        head = " ".join(text.split()[:10])
        if head.upper().startswith("BEGIN"):
            return
        self.statements += 1
        self.by_statement[head] += 1

    def listing(self) -> str:
        """The statements by how often they ran, most first, and the totals."""
        lines = [f"{n:5d}  {head}" for head, n in self.by_statement.most_common()]
        total = f"{self.statements} statements in {self.transactions} transactions"
        return "\n".join([*lines, total, ""])


@contextlib.contextmanager
def counting(engine: Engine) -> Iterator[Counts]:
    """Count what `engine` executes inside the block."""
    counts = Counts()

    def before(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        counts.statement(text)

    def begin(_conn: Any) -> None:
        counts.transactions += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "begin", begin)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "begin", begin)
