"""Drafts other than the thank-you (an ask, a nudge, a progress update, a note to an introducer):
each written once, and what later steps need of it kept in the effects ledger.

    ref = write_draft(runtime, key, message, purpose=ASK)   # once per key, found after a loss
    last = last_draft_to(runtime, "ada@analytical.example") # the newest draft's thread, or None
    reply_to(last, message)                                 # the message as a reply in it

The ledger entry (kind `gmail.draft`, external id the draft id) keeps the draft's Message-ID,
thread, subject, recipient (folded) and purpose, so a nudge can follow its ask in the same
thread and an update can answer the last message Followthrough drafted to that person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from connectors.google.gmail import reply_subject
from connectors.records import DraftMessage, DraftRef
from workflows.effects import once
from workflows.rules.emails import fold_email
from workflows.runtime import Runtime
from workflows.store.models import Effect

DRAFT_KIND = "gmail.draft"
ASK = "ask"
NUDGE = "nudge"
PROGRESS_UPDATE = "progress_update"
INTRODUCER = "introducer"
THANK_YOU = "thank_you"


@dataclass(frozen=True)
class DraftSent:
    """A draft Followthrough wrote, as the ledger keeps it."""

    key: str
    draft_id: str
    message_id: str
    thread_id: str | None
    subject: str
    to: str  # folded
    purpose: str
    references: tuple[str, ...] = ()


def write_draft(
    runtime: Runtime,
    key: str,
    message: DraftMessage,
    *,
    purpose: str,
    detail: Mapping[str, Any] | None = None,
) -> DraftRef:
    """The draft in Gmail, once for `key` (found again, never duplicated, after a lost reply);
    `detail` adds what a later step needs to the ledger entry (e.g. the news an update told)."""
    gmail = runtime.need_google().gmail
    with once(runtime, key, DRAFT_KIND) as draft:
        if draft.needed:
            made = gmail.create_draft(message, outcome_unknown=draft.outcome_unknown)
            draft.applied(made.draft_id, {**draft_detail(made, message, purpose), **(detail or {})})
    detail = draft.detail
    return DraftRef(
        draft_id=draft.external_id,
        message_id=detail.get("message_id", message.message_id),
        gmail_message_id=detail.get("gmail_message_id") or None,
        thread_id=detail.get("thread_id") or None,
    )


def last_draft_to(runtime: Runtime, email: str, *also: str) -> DraftSent | None:
    """The newest draft Followthrough wrote to `email` (or to one of `also`, the person's other
    addresses) through `write_draft`, or None."""
    folded = sorted({fold_email(each) for each in (email, *also)})
    with runtime.db.read() as session:
        rows = session.execute(
            sa.select(Effect.key, Effect.external_id, Effect.detail)
            .where(
                Effect.account == runtime.account,
                Effect.kind == DRAFT_KIND,
                Effect.status == "applied",
                Effect.detail["to"].as_string().in_(folded),  # the database reads the JSON
            )
            .order_by(Effect.applied_at.desc(), Effect.id.desc())
        ).all()
    found = (_sent(key, draft_id, detail or {}) for key, draft_id, detail in rows)
    return next((sent for sent in found if sent is not None and sent.to in folded), None)


def reply_to(earlier: DraftSent, message: DraftMessage) -> DraftMessage:
    """`message` as a reply in `earlier`'s thread: its subject, In-Reply-To and References."""
    return replace(
        message,
        subject=reply_subject(earlier.subject),
        thread_id=earlier.thread_id,
        in_reply_to=earlier.message_id,
        references=(*earlier.references, earlier.message_id),
    )


def draft_detail(made: DraftRef, message: DraftMessage, purpose: str) -> dict[str, Any]:
    """What the ledger keeps of a draft Followthrough made, so `last_draft_to` finds it."""
    return {
        "message_id": made.message_id,
        "gmail_message_id": made.gmail_message_id or "",
        "thread_id": made.thread_id or "",
        "subject": message.subject,
        "to": fold_email(message.to),
        "purpose": purpose,
        "references": [
            *message.references,
            *([message.in_reply_to] if message.in_reply_to else []),
        ],
    }


def _sent(key: str, draft_id: str | None, detail: dict[str, Any]) -> DraftSent | None:
    if not draft_id or "purpose" not in detail:
        return None
    return DraftSent(
        key=key,
        draft_id=draft_id,
        message_id=str(detail.get("message_id", "")),
        thread_id=str(detail.get("thread_id") or "") or None,
        subject=str(detail.get("subject", "")),
        to=str(detail.get("to", "")),
        purpose=str(detail["purpose"]),
        references=tuple(str(each) for each in detail.get("references", ())),
    )
