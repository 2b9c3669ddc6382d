"""Due work `notes_changed`: a completed meeting's Notes edited in Airtable, so its draft is
regenerated while still a draft and new promises become Action items."""

from __future__ import annotations

from workflows.duework.dispatch import Done, Outcome, handles_each
from workflows.runtime import Runtime
from workflows.store.due import DueItem

KIND = "notes_changed"


@handles_each(KIND)
def regenerate(runtime: Runtime, item: DueItem) -> Outcome:
    """Act on the meeting's new notes; the result (a Revision) says what became of its draft."""
    from workflows.revisions import notes_changed  # imported when notes changed, not each pass

    return Done(notes_changed(runtime, int(item.payload["meeting_id"])))
