"""Gmail's history into the store: which thank-yous were sent, and which were answered.

Off (nothing read) unless the user granted the optional gmail.metadata scope. The cursor is
Gmail's history id: the first pass only notes where the mailbox stands (the profile), and
each later pass reads the history since then (one request when nothing happened) and applies
the messages of the thank-you threads (`workflows.thank_you_mail`) and of the ask and nudge
threads (`workflows.ask_mail`). When Gmail has no history from there any more (it keeps about
a week), each thank-you thread still open, and each ask thread, is read instead. Then every
thank-you unsent 20 hours after its meeting is flagged.
"""

from __future__ import annotations

import structlog

from connectors.errors import NotFound
from connectors.google.auth import GMAIL_METADATA_SCOPE
from connectors.google.client import GoogleClient
from connectors.google.gmail_mailbox import HistoryTooOld, MailChanges, MailEvent
from workflows.ask_mail import apply_ask_mail, ask_threads
from workflows.facts import MAILBOX_EMAIL, set_fact
from workflows.runtime import Runtime
from workflows.store.threads import ThankYouThread, thank_you_threads
from workflows.sync.report import SyncReport
from workflows.sync.stream import Stream
from workflows.thank_you_mail import apply_mail, flag_late

log = structlog.get_logger(__name__)

SOURCE = "gmail"
OFF = (
    "gmail.metadata was not granted: run `followthrough auth google --mail-metadata` "
    "to have sent thank-yous detected"
)


def sync_gmail(runtime: Runtime) -> SyncReport:
    """One pass over the mailbox's history since the stored history id."""
    google = runtime.need_google()
    report = SyncReport(SOURCE, progress=runtime.on_sync_page)
    if not google.allows(GMAIL_METADATA_SCOPE):
        log.info("gmail.off", reason="gmail.metadata access was not granted")
        report.off = OFF
        return report
    stream = Stream(runtime, SOURCE)
    cursor = stream.cursor()
    if cursor is None:  # from now on: what was sent before is the user's to mark Done
        profile = google.gmail.profile()  # its address is the drafts' links' too (draft_links)
        account = runtime.account
        stream.commit(
            profile.history_id,
            lambda session: set_fact(session, MAILBOX_EMAIL, profile.email, account=account),
        )
        report.full = True
        return report
    with runtime.db.read() as session:
        threads = thank_you_threads(session, account=runtime.account)
    asks = ask_threads(runtime)
    changes = _changes(google, cursor, threads, report, [t.thread_id for t in asks])
    report.records = len(changes.events)
    report.notes.extend(apply_mail(runtime, threads, changes.events))
    report.notes.extend(apply_ask_mail(runtime, asks, changes.events))
    stream.commit(changes.history_id, lambda session: None, changes=False)
    with runtime.db.read() as session:
        flag_late(runtime, thank_you_threads(session, account=runtime.account))
    return report


def _changes(
    google: GoogleClient,
    cursor: str,
    threads: list[ThankYouThread],
    report: SyncReport,
    ask_thread_ids: list[str],
) -> MailChanges:
    """The messages since `cursor`, or, when it is too old, those of each open thank-you
    thread and each ask thread."""
    try:
        return google.gmail.changes_since(cursor)
    except HistoryTooOld as exc:
        log.warning("gmail.history_expired", reason=str(exc))
    report.full = True
    history_id = google.gmail.profile().history_id  # taken first: nothing after it is missed
    events: list[MailEvent] = []
    open_ids = [thread.thread_id for thread in threads if thread.followup_open]
    for thread_id in dict.fromkeys([*open_ids, *ask_thread_ids]):
        try:
            events += google.gmail.thread_events(thread_id)
        except NotFound:  # the user deleted the thread: nothing to learn from it
            continue
    return MailChanges(tuple(events), history_id)
