"""What the status page and `followthrough status` show: the week at a glance
(`workflows.week`) and the connectors' health (`workflows.queries.status`), gathered at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from workflows.queries.status import StatusSnapshot, status_snapshot
from workflows.runtime import Runtime
from workflows.week.glance import Week, week
from workflows.week.recent import Funnel, Recent


@dataclass(frozen=True)
class Home(Week):
    """The week, and the health of what feeds it."""

    health: StatusSnapshot

    @classmethod
    def of_health(cls, health: StatusSnapshot, zone: str = "UTC") -> Home:
        """A week with nothing in it beside `health` (a store not read yet, tests)."""
        now = health.generated_at
        empty = Recent(now.date(), Funnel())
        return cls(now, zone, now.date(), (), (), (), (), (), (), empty, health)


def home(runtime: Runtime) -> Home:
    """The account's week (in the user's zone) and its connectors' health, as of now."""
    glance = week(runtime)
    values = {f.name: getattr(glance, f.name) for f in fields(glance)}
    return Home(**values, health=status_snapshot(runtime))
