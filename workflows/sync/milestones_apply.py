"""The Milestones rows a pass read, into the store; news for the linked contacts made due.

Applied in the pass's transaction (`airtable_apply.apply_read`), so a milestone is stored and
its news made due together, with the cursor that covers it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy.orm import Session

from connectors.airtable.tables import AirtableMilestone
from connectors.records import Page
from workflows.milestones import schedule_news
from workflows.runtime import Runtime
from workflows.store.milestones import MilestoneValues, forget_milestone, save_milestone


def apply_milestones(
    runtime: Runtime,
    session: Session,
    pages: Sequence[Page[AirtableMilestone]],
    destroyed: Sequence[str] = (),
) -> None:
    """Store each milestone read, schedule what is news, forget those deleted."""
    account = runtime.account
    for page in pages:
        for record in page.records:
            values = MilestoneValues(
                record_id=record.record_id,
                what=record.what,
                date=record.date,
                notes=record.notes,
                contact_ids=tuple(record.contact_ids),
            )
            _, news = save_milestone(session, values, now=runtime.now(), account=account)
            if news and values.contact_ids:
                schedule_news(
                    session, record.record_id, _version(values), runtime.now(), account=account
                )
    for record_id in destroyed:
        forget_milestone(session, record_id, account=account)


def _version(values: MilestoneValues) -> str:
    """What makes a milestone news again: its date and its contacts."""
    text = f"{values.date}|{','.join(values.contact_ids)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
