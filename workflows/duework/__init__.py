"""Due work: the database's promise that something will happen (DESIGN.md, "Reliability model").

`dispatch` claims what is due and runs it through the handler its kind registered, recording
the typed outcome each handler answers. One module per kind names it, says how it is
scheduled and registers its handler:

    complete_meeting   a meeting's completion: its rows, thank-you draft and follow-ups
    record_meeting     a meeting's current state (Scheduled, Cancelled) written to Airtable
    notes_changed      a completed meeting's notes edited: the draft regenerated, new promises
    progress_done      a Progress update marked Done: the contact's next update moved
    draft_ask          a contact's Draft Ask ticked: the ask drafted, the box cleared
    nudge              an ask unanswered for a while: one nudge drafted in its thread
    write_brief        an upcoming meeting's brief in its Meetings row, and a Prepare follow-up
    reschedule         a cancelled meeting not replaced within a day: a Reschedule follow-up
    progress_draft     a Progress update made: its draft written to the contact and linked
    milestone_news     a milestone linked to contacts: their next updates brought forward
    thank_introducer   a meeting with someone introduced completed: the introducer thanked
    weekly_digest      the week at a glance drafted in Gmail to the user, once per ISO week

Adding a kind is one new module here, imported below so that its handler is registered.
Each imports what does its work (completion, revisions) only when work of its kind runs, so
that a pass with nothing due imports none of it.
"""

from workflows.duework import (
    ask,
    complete_meeting,
    digest,
    milestone_news,
    notes_changed,
    nudge,
    progress_done,
    progress_draft,
    record_meeting,
    reschedule,
    thank_introducer,
    write_brief,
)

__all__ = [
    "ask",
    "complete_meeting",
    "digest",
    "milestone_news",
    "notes_changed",
    "nudge",
    "progress_done",
    "progress_draft",
    "record_meeting",
    "reschedule",
    "thank_introducer",
    "write_brief",
]
