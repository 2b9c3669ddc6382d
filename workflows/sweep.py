"""The sweep: hand out the due work that is due and not done, and run one piece of it.

The sweep is the safety net under every fast path (DESIGN.md, "Reliability model"): a
restart, a lost message or a dead broker delays work by at most one sweep interval plus a
claim's lease, and never loses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from connectors.errors import SkipRecord, UserActionRequired
from workflows import work
from workflows.completion import Outcome, complete
from workflows.progress import progress_done
from workflows.revisions import notes_changed, record_meeting
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.due import DueItem
from workflows.store.status import log_error

log = structlog.get_logger(__name__)

USER_ACTION_RETRY = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Done:
    """One piece of due work finished (or found not yet due), and what it produced."""

    item: DueItem
    result: Any


def _meeting_id(item: DueItem) -> int:
    return int(item.payload["meeting_id"])


HANDLERS: dict[str, Callable[[Runtime, DueItem], Any]] = {
    work.COMPLETE_MEETING: lambda rt, item: complete(rt, _meeting_id(item)),
    work.RECORD_MEETING: lambda rt, item: record_meeting(rt, _meeting_id(item)),
    work.NOTES_CHANGED: lambda rt, item: notes_changed(rt, _meeting_id(item)),
    work.PROGRESS_DONE: lambda rt, item: progress_done(rt, int(item.payload["followup_id"])),
}


def claim(runtime: Runtime, *, limit: int = 100) -> list[DueItem]:
    """Claim the work due now (each item goes to exactly one claimer for a lease)."""
    with runtime.db.transaction() as session:
        return due.claim_due(
            session, runtime.now(), limit=limit, kinds=work.KINDS, account=runtime.account
        )


def find(runtime: Runtime, kind: str, key: str) -> DueItem | None:
    """The due item `kind`/`key` (for an actor that was handed its name)."""
    with runtime.db.read() as session:
        return due.get_due(session, kind, key, account=runtime.account)


def run_item(runtime: Runtime, item: DueItem, *, release_on_failure: bool = True) -> Done:
    """Run one claimed item and record the result; transient failures re-raise for a retry.

    A record that cannot be used is logged and settled (trying again cannot help); an error
    that needs the user leaves the work due again later, visible on the status page.
    """
    if item.done_at is not None:
        return Done(item, None)
    handler = HANDLERS[item.kind]
    try:
        result = handler(runtime, item)
    except SkipRecord as exc:
        _settle(runtime, item, error=str(exc))
        return Done(item, exc)
    except UserActionRequired as exc:
        _give_back(runtime, item, str(exc), runtime.now() + USER_ACTION_RETRY)
        raise
    except Exception as exc:
        if release_on_failure:
            _give_back(runtime, item, f"{type(exc).__name__}: {exc}", None)
        else:
            _note(runtime, item, f"{type(exc).__name__}: {exc}")
        raise
    if isinstance(result, Outcome) and result.status == "not_due" and result.due_at:
        _give_back(runtime, item, None, result.due_at)
    else:
        _settle(runtime, item)
    return Done(item, result)


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
