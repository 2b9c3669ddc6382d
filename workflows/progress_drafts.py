"""A progress update falls due: its draft to the contact, linked from its follow-up.

When `workflows.progress` creates a `Progress update` follow-up it makes the draft due too
(`KIND`, keyed by the follow-up's key). The draft answers, in its thread, the last message
Followthrough drafted to that person (their thank-you, an ask, the last update), and tells
what `workflows.progress_news` gathers. It is written once through the effects ledger and the
follow-up's `Draft` links it.

    schedule_draft(session, followup_key, now, account=...)
    write_update_draft(runtime, followup_key) -> DraftOutcome
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from connectors.airtable.writes import FollowUpWrite, upsert
from connectors.records import DraftRef
from workflows.draft_links import draft_link
from workflows.outbox import PROGRESS_UPDATE, last_draft_to, reply_to, write_draft
from workflows.owed import user_zone_of
from workflows.progress_news import NEWS, gather_news
from workflows.rules.update_letter import update_message
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.followups import get_followup

log = structlog.get_logger(__name__)

KIND = "progress_draft"


@dataclass(frozen=True)
class DraftOutcome:
    """What writing a follow-up's draft did: the draft and its link, or why there is none."""

    draft: DraftRef | None = None
    to: str = ""
    link: str = ""
    subject: str = ""
    body: str = ""
    skipped: str = ""
    waiting: str = ""  # the follow-up's row is not in Airtable yet: try again later


def schedule_draft(session: Session, followup_key: str, now: dt.datetime, *, account: str) -> None:
    """Make the draft of the Progress update `followup_key` due now (once per follow-up)."""
    due.schedule(
        session, KIND, followup_key, now, payload={"followup": followup_key}, account=account
    )


def draft_key(followup_key: str) -> str:
    """The effect key of a follow-up's draft (its Message-ID derives from it)."""
    return f"draft:{followup_key}"


def write_update_draft(runtime: Runtime, followup_key: str) -> DraftOutcome:
    """Write the update's draft once and link it from its follow-up."""
    with runtime.db.read() as session:
        followup = get_followup(session, followup_key, account=runtime.account)
    if followup is None or followup.person_id is None:
        return DraftOutcome(skipped="its follow-up is not in the store")
    if followup.status == "done":
        return DraftOutcome(skipped="the update was marked Done before its draft was written")
    if followup.airtable_record_id is None:
        return DraftOutcome(waiting="its follow-up has no Airtable row yet")
    news = gather_news(runtime, followup.person_id, user_zone_of(runtime))
    if news is None:
        return DraftOutcome(skipped="the contact has no email address to write to")
    key = draft_key(followup_key)
    message = update_message(news.facts, key=key, to=news.email)
    earlier = last_draft_to(runtime, news.email, *news.also)
    if earlier is not None and earlier.key != key:
        message = reply_to(earlier, message)
    ref = write_draft(
        runtime, key, message, purpose=PROGRESS_UPDATE, detail={NEWS: list(news.tokens)}
    )
    link = draft_link(runtime, ref)
    link_draft(runtime, followup_key, link)
    log.info("progress.draft_written", followup=followup_key, news=len(news.tokens))
    return DraftOutcome(ref, news.email, link, message.subject, message.body)


def link_draft(runtime: Runtime, followup_key: str, link: str) -> None:
    """Point the follow-up's `Draft` cell at the draft (upserted on its Key: written once)."""
    upsert(runtime.need_airtable(), [FollowUpWrite(key=followup_key, draft=link)])
