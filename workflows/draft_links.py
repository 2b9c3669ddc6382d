"""The Meetings row's `Thank-you Draft` link: it opens the draft's current message, in the
right mailbox.

Gmail's `#drafts?compose=` link names the draft's message, and a draft gets a new message
whenever it is replaced (Followthrough's regeneration, the user's edit in Gmail), so the link
is rewritten then. With a Gmail read scope the mailbox's address is asked once
(users.getProfile) and kept as a fact: the link carries `authuser=<address>`, which opens
that mailbox in a browser signed in to several Google accounts. Without the scope the link
opens the first account the browser signed in to (`/u/0/`).
"""

from __future__ import annotations

import structlog

from connectors.airtable.writes import MeetingWrite, upsert
from connectors.errors import FollowthroughError
from connectors.google.auth import GMAIL_METADATA_SCOPE
from connectors.records import DraftRef
from workflows.facts import MAILBOX_EMAIL, get_fact, set_fact
from workflows.runtime import Runtime
from workflows.store.models import Meeting

log = structlog.get_logger(__name__)


def mailbox_address(runtime: Runtime) -> str | None:
    """The mailbox's address: the fact, else asked of Gmail once (None without a read scope)."""
    with runtime.db.read() as session:
        known = get_fact(session, MAILBOX_EMAIL, account=runtime.account)
    google = runtime.need_google()
    if known or not google.allows(GMAIL_METADATA_SCOPE):
        return known
    try:
        address = google.gmail.profile().email
    except FollowthroughError as exc:  # the link opens the first signed-in mailbox meanwhile
        log.warning("gmail.profile_failed", error=type(exc).__name__)
        return None
    with runtime.db.transaction() as session:
        set_fact(session, MAILBOX_EMAIL, address, account=runtime.account)
    return address


def draft_link(runtime: Runtime, ref: DraftRef) -> str:
    """The link that opens `ref`'s current message in the user's mailbox."""
    address = mailbox_address(runtime)
    return ref.url_for(address) if address else ref.url


def relink(runtime: Runtime, meeting: Meeting, ref: DraftRef) -> None:
    """Point the meeting's `Thank-you Draft` cell, and the store, at `ref`'s current message."""
    link = draft_link(runtime, ref)
    if link == meeting.draft_url:
        return
    upsert(runtime.need_airtable(), [MeetingWrite(event_id=meeting.event_id, thank_you_draft=link)])
    with runtime.db.transaction() as session:
        row = session.get(Meeting, meeting.id)
        if row is not None:
            row.draft_url = link
    log.info("draft.relinked", meeting_id=meeting.id)
