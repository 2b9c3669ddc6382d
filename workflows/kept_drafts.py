"""A thank-you draft the user edited in Gmail is theirs: a notes change never overwrites it.

The draft effect's ledger details say what Followthrough last wrote into the draft: its Gmail
message (`gmail_message_id`: every write, ours or the user's, gives the draft a new one) and
the insights and promises the draft or its follow-up's notes carry (`covered`). A draft whose
current message is another one was edited by the user. When the notes change after that, what
they add goes to the Thank-you follow-up's notes (its Airtable `Notes`, and its Google Task
when follow-ups are mirrored there: `workflows.followup_notes`) and the pass's report tells
the user; the promises still become Action items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from connectors.records import DraftRef
from workflows.followup_notes import NotesAdded, add_notes
from workflows.rules.completion import CompletionPlan
from workflows.rules.followups import FollowUpKind
from workflows.runtime import Runtime
from workflows.store import ledger

log = structlog.get_logger(__name__)

MESSAGE = "message_id"  # the RFC 822 Message-ID Followthrough gave it (found again by it)
WRITTEN = "gmail_message_id"  # Gmail's id of the message Followthrough last wrote into it
THREAD = "thread_id"  # the Gmail thread its sending will show in (workflows.store.threads)
COVERED = "covered"  # the insights and promises the draft or its follow-up's notes carry
NOTES_HEADING = "New in the meeting's notes since you edited the draft:"


@dataclass(frozen=True)
class Written:
    """What Followthrough last wrote into a draft, as its ledger entry keeps it."""

    gmail_message_id: str | None = None
    covered: tuple[str, ...] = ()

    def edited(self, current: DraftRef) -> bool:
        """True when the draft's message is no longer the one Followthrough wrote."""
        ours, now = self.gmail_message_id, current.gmail_message_id
        return bool(ours and now and ours != now)


def draft_detail(ref: DraftRef, plan: CompletionPlan) -> dict[str, Any]:
    """What the ledger keeps of a draft Followthrough just wrote: its ids, its thread (Gmail
    may move a replaced draft to a new one: its sending shows there), what it carries."""
    detail: dict[str, Any] = {
        MESSAGE: ref.message_id,
        WRITTEN: ref.gmail_message_id or "",
        COVERED: item_lines(plan),
    }
    if ref.thread_id:
        detail[THREAD] = ref.thread_id
    return detail


def draft_ref(draft_id: str, detail: dict[str, Any], message_id: str) -> DraftRef:
    """The draft as its ledger entry keeps it (`message_id` when the entry has none)."""
    return DraftRef(
        draft_id=draft_id,
        message_id=detail.get(MESSAGE, message_id),
        gmail_message_id=detail.get(WRITTEN) or None,
        thread_id=detail.get(THREAD) or None,
    )


def item_lines(plan: CompletionPlan) -> list[str]:
    """The plan's insights and promises, one line each, as a follow-up's notes list them."""
    facts = plan.draft_facts
    if facts is None:
        return []
    learned = [f"- Learned: {insight}" for insight in facts.insights]
    return learned + [f"- Promised: {promise}" for promise in facts.promises]


def written(runtime: Runtime, key: str) -> Written:
    """What Followthrough last wrote into the draft of effect `key`."""
    with runtime.db.read() as session:
        state = ledger.get_effect(session, key, account=runtime.account)
    detail = (state.detail if state else None) or {}
    return Written(detail.get(WRITTEN) or None, tuple(detail.get(COVERED) or ()))


def record_written(runtime: Runtime, key: str, ref: DraftRef, plan: CompletionPlan) -> None:
    """Remember the message Followthrough just wrote into the draft, what it carries, and its
    thread."""
    with runtime.db.transaction() as session:
        ledger.amend_detail(session, key, draft_detail(ref, plan), account=runtime.account)


def keep_edited(runtime: Runtime, plan: CompletionPlan, before: Written, contact: str) -> str:
    """Leave the user's edited draft alone; hand what the notes add to its follow-up's notes.

    What reached the follow-up's notes counts as covered from then on; what could not reach
    them (no Notes field yet) is told again on the next change, until it can. Returns the
    line that tells the user (it quotes their notes: never logged).
    """
    new = [line for line in item_lines(plan) if line not in before.covered]
    log.info("draft.edit_kept", key=plan.draft_key, new_items=len(new))
    kept = f"kept the thank-you to {contact} as you edited it in Gmail"
    if not new:
        return kept
    thank_you = next((p for p in plan.followups if p.kind is FollowUpKind.THANK_YOU), None)
    added = add_notes(runtime, thank_you.key, [NOTES_HEADING, *new]) if thank_you else NotesAdded()
    if added.anywhere:
        with runtime.db.transaction() as session:
            changes = {COVERED: [*before.covered, *new]}
            ledger.amend_detail(session, plan.draft_key, changes, account=runtime.account)
    return f"{kept}; {_where(added)}: " + "; ".join(line.removeprefix("- ") for line in new)


def _where(added: NotesAdded) -> str:
    took = (("Airtable", added.airtable), ("Google Tasks", added.task))
    places = [name for name, there in took if there]
    if places:
        return "added to its follow-up's notes in " + " and ".join(places)
    return "new in the notes, not in it" + (f" ({added.missing})" if added.missing else "")
