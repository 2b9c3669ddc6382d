"""The sweep: hand out the due work that is due and not done, and run one piece of it.

The sweep is the safety net under every fast path (DESIGN.md, "Reliability model"): a
restart, a lost message or a dead broker delays work by at most one sweep interval plus a
claim's lease, and never loses it.

Finished work is kept for FINISHED_KEPT_FOR after it fell due, then purged, once a day
(`purge_finished`), so the due-work table holds what is pending plus a few weeks of history
however long the service runs. No handler needs a purged row: each looks at the domain
before acting (a completed meeting is settled, a draft's key is in the effects ledger), so a
duplicate message finds nothing to do, and work scheduled again under the same key is judged
afresh. The effects ledger is never purged: it is the exactly-once record, one row per draft,
task or follow-up ever made, growing with what the user did, not with time or passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from connectors.errors import SkipRecord, UserActionRequired
from workflows import work
from workflows.completion import Outcome, complete_many
from workflows.facts import get_fact, set_fact
from workflows.progress import progress_done
from workflows.revisions import notes_changed, record_meetings
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.due import DueItem
from workflows.store.status import log_error

log = structlog.get_logger(__name__)

USER_ACTION_RETRY = dt.timedelta(minutes=15)
FINISHED_KEPT_FOR = dt.timedelta(days=30)
"""Finished due work is purged this long after it fell due (on the domain clock)."""
PURGED_ON = "fact:due_work_purged_on"


@dataclass(frozen=True)
class Done:
    """One piece of due work finished (or found not yet due), and what it produced."""

    item: DueItem
    result: Any


def _meeting_id(item: DueItem) -> int:
    return int(item.payload["meeting_id"])


def _record_meetings(runtime: Runtime, items: Sequence[DueItem]) -> list[Any]:
    written = record_meetings(runtime, [_meeting_id(i) for i in items])
    return [written.get(_meeting_id(i)) for i in items]


def _one_by_one(handler: Callable[[Runtime, DueItem], Any]) -> BatchHandler:
    return lambda runtime, items: [handler(runtime, item) for item in items]


BatchHandler = Callable[[Runtime, Sequence[DueItem]], list[Any]]

HANDLERS: dict[str, BatchHandler] = {
    work.COMPLETE_MEETING: lambda rt, items: complete_many(rt, [_meeting_id(i) for i in items]),
    work.RECORD_MEETING: _record_meetings,
    work.NOTES_CHANGED: _one_by_one(lambda rt, item: notes_changed(rt, _meeting_id(item))),
    work.PROGRESS_DONE: _one_by_one(
        lambda rt, item: progress_done(rt, int(item.payload["followup_id"]))
    ),
}
"""Each kind's handler takes a batch of items (Airtable writes are batched across them)."""


def claim(runtime: Runtime, *, limit: int = 100) -> list[DueItem]:
    """Claim the work due now (each item goes to exactly one claimer for a lease)."""
    with runtime.db.transaction() as session:
        return due.claim_due(
            session,
            runtime.now(),
            limit=limit,
            kinds=work.KINDS,
            account=runtime.account,
            claim_for=runtime.config.claim_for,
        )


def purge_finished(runtime: Runtime) -> int:
    """Delete the account's work finished and due more than FINISHED_KEPT_FOR ago, at most
    once a (domain) day; otherwise one read. Returns how many rows went."""
    now = runtime.now()
    today = now.date().isoformat()
    with runtime.db.read() as session:
        if get_fact(session, PURGED_ON, account=runtime.account) == today:
            return 0
    with runtime.db.transaction() as session:
        purged = due.purge_done(session, now - FINISHED_KEPT_FOR, account=runtime.account)
        set_fact(session, PURGED_ON, today, account=runtime.account)
    log.info("due.purged", count=purged, kept_days=FINISHED_KEPT_FOR.days)
    return purged


def find(runtime: Runtime, kind: str, key: str) -> DueItem | None:
    """The due item `kind`/`key` (for an actor that was handed its name)."""
    with runtime.db.read() as session:
        return due.get_due(session, kind, key, account=runtime.account)


def run_batch(
    runtime: Runtime, items: Sequence[DueItem], *, release_on_failure: bool = True
) -> list[Done]:
    """Run claimed items of one kind together and record each result.

    Transient failures re-raise for a retry (the items released at once, or, for an actor
    that dramatiq retries itself, left claimed until their lease lapses). A record that
    cannot be used is logged and settled, since trying again cannot help; an error that
    needs the user leaves the work due again later, visible on the status page.
    """
    todo = [item for item in items if item.done_at is None]
    kinds = {item.kind for item in todo}
    if len(kinds) > 1:
        raise ValueError(f"run_batch takes items of one kind, got {sorted(kinds)}")
    results: list[Any] = []
    if todo:
        results = _handle(runtime, todo, release_on_failure)
    by_key = {item.key: result for item, result in zip(todo, results, strict=True)}
    return [Done(item, by_key.get(item.key)) for item in items]


def _handle(runtime: Runtime, items: list[DueItem], release_on_failure: bool) -> list[Any]:
    try:
        results = HANDLERS[items[0].kind](runtime, items)
    except SkipRecord as exc:
        for item in items:
            _settle(runtime, item, error=str(exc))
        return [exc for _ in items]
    except UserActionRequired as exc:
        for item in items:
            _give_back(runtime, item, str(exc), runtime.now() + USER_ACTION_RETRY)
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        for item in items:
            if release_on_failure:
                _give_back(runtime, item, error, None)
            else:
                _note(runtime, item, error)
        raise
    for item, result in zip(items, results, strict=True):
        if isinstance(result, Outcome) and result.status == "not_due" and result.due_at:
            _give_back(runtime, item, None, result.due_at)
        elif isinstance(result, Outcome) and result.status == "skipped":
            _settle(runtime, item, error=result.reason)
        else:
            _settle(runtime, item)
    return results


def _settle(runtime: Runtime, item: DueItem, *, error: str | None = None) -> None:
    with runtime.db.transaction() as session:
        due.mark_done(session, item.kind, item.key, account=item.account)
        if error:
            log_error(session, item.kind, error, account=item.account)
    if error:
        log.warning("due.skipped", kind=item.kind, key=item.key, reason=error)


def _give_back(
    runtime: Runtime, item: DueItem, error: str | None, retry_at: dt.datetime | None
) -> None:
    with runtime.db.transaction() as session:
        due.release(
            session, item.kind, item.key, error=error, retry_at=retry_at, account=item.account
        )
        if error:
            log_error(session, item.kind, error, account=item.account)


def _note(runtime: Runtime, item: DueItem, error: str) -> None:
    with runtime.db.transaction() as session:
        log_error(session, item.kind, error, account=item.account)
