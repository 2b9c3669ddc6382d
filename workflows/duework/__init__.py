"""Due work: the database's promise that something will happen (DESIGN.md, "Reliability model").

`dispatch` claims what is due and runs it through the handler its kind registered, recording
the typed outcome each handler answers. One module per kind names it, says how it is
scheduled and registers its handler:

    complete_meeting   a meeting's completion: its rows, thank-you draft and follow-ups
    record_meeting     a meeting's current state (Scheduled, Cancelled) written to Airtable
    notes_changed      a completed meeting's notes edited: the draft regenerated, new promises
    progress_done      a Progress update marked Done: the contact's next update moved

Adding a kind is one new module here, imported below so that its handler is registered.
Each imports what does its work (completion, revisions) only when work of its kind runs, so
that a pass with nothing due imports none of it.
"""

from workflows.duework import complete_meeting, notes_changed, progress_done, record_meeting

__all__ = ["complete_meeting", "notes_changed", "progress_done", "record_meeting"]
