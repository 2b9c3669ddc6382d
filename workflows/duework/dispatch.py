"""The dispatcher: hand out the due work that is due and not done, run it, record its outcome.

The sweep is the safety net under every fast path (DESIGN.md, "Reliability model"): a
restart, a lost message or a dead broker delays work by at most one sweep interval plus a
claim's lease, and never loses it.

Each kind of due work registers its handler from its own module in this package
(`handles` for a batch, `handles_each` for one item at a time); a handler answers each item
with one typed outcome: `Done`, `NotDue(until)`, `Skipped(reason)` or `TryAgain(error)`.
The dispatcher knows those outcomes and no kind's vocabulary.

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
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from connectors.errors import SkipRecord, UserActionRequired
from workflows.facts import get_fact, set_fact
from workflows.runtime import Runtime
from workflows.store import due
from workflows.store.db import Database
from workflows.store.due import DueItem
from workflows.store.status import log_error

log = structlog.get_logger(__name__)

USER_ACTION_RETRY = dt.timedelta(minutes=15)
FINISHED_KEPT_FOR = dt.timedelta(days=30)
"""Finished due work is purged this long after it fell due (on the domain clock)."""
PURGED_ON = "fact:due_work_purged_on"
_PURGED_ON: weakref.WeakKeyDictionary[Database, dict[str, str]] = weakref.WeakKeyDictionary()
"""The day this process last saw each store's accounts purged (purging twice is harmless)."""


@dataclass(frozen=True)
class Done:
    """The work is finished; `result` is what it produced (for logs, the CLI and the demo)."""

    result: Any = None


@dataclass(frozen=True)
class NotDue:
    """The work is not due yet: it runs again at `until`."""

    until: dt.datetime
    result: Any = None


@dataclass(frozen=True)
class Skipped:
    """The work cannot be done and trying again cannot help: settled, `reason` recorded."""

    reason: str
    result: Any = None


@dataclass(frozen=True)
class TryAgain:
    """The work failed for now (`error`): it is due again, and the batch's caller hears why."""

    error: Exception
    result: Any = None


Outcome = Done | NotDue | Skipped | TryAgain
BatchHandler = Callable[[Runtime, Sequence[DueItem]], Sequence[Outcome]]
ItemHandler = Callable[[Runtime, DueItem], Outcome]

_HANDLERS: dict[str, BatchHandler] = {}


@dataclass(frozen=True)
class Ran:
    """One piece of due work run (or found finished already), and its outcome."""

    item: DueItem
    outcome: Outcome

    @property
    def result(self) -> Any:
        """What the work produced (a completion's outcome, a new date, ...), if anything."""
        return self.outcome.result


def handles(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register the handler of `kind`: it takes a batch (Airtable writes are batched across
    it) and answers one outcome per item, in order."""

    def register(handler: BatchHandler) -> BatchHandler:
        if kind in _HANDLERS:
            raise ValueError(f"due work of kind {kind!r} has a handler already")
        _HANDLERS[kind] = handler
        return handler

    return register


def handles_each(kind: str) -> Callable[[ItemHandler], ItemHandler]:
    """Register the handler of `kind` that runs one item at a time."""

    def register(handler: ItemHandler) -> ItemHandler:
        handles(kind)(lambda runtime, items: [handler(runtime, item) for item in items])
        return handler

    return register


def kinds() -> tuple[str, ...]:
    """The kinds of due work a handler is registered for."""
    return tuple(_HANDLERS)


def claim(runtime: Runtime, *, limit: int = 100) -> list[DueItem]:
    """Claim the work due now (each item goes to exactly one claimer for a lease)."""
    with runtime.db.transaction() as session:
        return due.claim_due(
            session,
            runtime.now(),
            limit=limit,
            kinds=kinds(),
            account=runtime.account,
            claim_for=runtime.config.claim_for,
        )


def purge_finished(runtime: Runtime) -> int:
    """Delete the account's work finished and due more than FINISHED_KEPT_FOR ago, at most
    once a (domain) day; otherwise one read. Returns how many rows went."""
    now = runtime.now()
    today = now.date().isoformat()
    seen = _PURGED_ON.setdefault(runtime.db, {})
    if seen.get(runtime.account) == today:
        return 0  # this process saw it done today: not even a read
    with runtime.db.read() as session:
        if get_fact(session, PURGED_ON, account=runtime.account) == today:
            seen[runtime.account] = today
            return 0
    with runtime.db.transaction() as session:
        purged = due.purge_done(session, now - FINISHED_KEPT_FOR, account=runtime.account)
        set_fact(session, PURGED_ON, today, account=runtime.account)
    seen[runtime.account] = today
    log.info("due.purged", count=purged, kept_days=FINISHED_KEPT_FOR.days)
    return purged


def find(runtime: Runtime, kind: str, key: str) -> DueItem | None:
    """The due item `kind`/`key` (for an actor that was handed its name)."""
    with runtime.db.read() as session:
        return due.get_due(session, kind, key, account=runtime.account)


def run_batch(
    runtime: Runtime, items: Sequence[DueItem], *, release_on_failure: bool = True
) -> list[Ran]:
    """Run claimed items of one kind together and record each outcome.

    Work to try again is recorded, then its error re-raised for a retry (the item released
    at once, or, for an actor that dramatiq retries itself, left claimed until its lease
    lapses); the other items are settled. A record that cannot be used is logged and
    settled, since trying again cannot help; an error that needs the user leaves the work
    due again later, visible on the status page.
    """
    todo = [item for item in items if item.done_at is None]
    kinds = {item.kind for item in todo}
    if len(kinds) > 1:
        raise ValueError(f"run_batch takes items of one kind, got {sorted(kinds)}")
    outcomes: dict[str, Outcome] = {}
    if todo:
        outcomes = dict(zip((item.key for item in todo), _outcomes(runtime, todo), strict=True))
        _record(runtime, todo, outcomes, release_on_failure)
    return [Ran(item, outcomes.get(item.key, Done())) for item in items]


def _outcomes(runtime: Runtime, items: list[DueItem]) -> list[Outcome]:
    try:
        outcomes = _HANDLERS[items[0].kind](runtime, items)
    except Exception as exc:  # the whole batch failed: each item is judged by the error
        return [_failed(exc) for _ in items]
    return [_failed(o.error) if isinstance(o, TryAgain) else o for o in outcomes]


def _failed(error: Exception) -> Outcome:
    """A record that cannot be used is skipped; any other failure is tried again."""
    if isinstance(error, SkipRecord):
        return Skipped(str(error), error)
    return TryAgain(error)


def _record(
    runtime: Runtime, items: list[DueItem], outcomes: dict[str, Outcome], release: bool
) -> None:
    first_error: Exception | None = None
    for item in items:
        outcome = outcomes[item.key]
        if isinstance(outcome, NotDue):
            _give_back(runtime, item, None, outcome.until)
        elif isinstance(outcome, Skipped):
            _settle(runtime, item, error=outcome.reason)
        elif isinstance(outcome, TryAgain):
            _try_again(runtime, item, outcome.error, release)
            first_error = first_error or outcome.error
        else:
            _settle(runtime, item)
    if first_error is not None:
        raise first_error


def _try_again(runtime: Runtime, item: DueItem, error: Exception, release: bool) -> None:
    if isinstance(error, UserActionRequired):
        _give_back(runtime, item, str(error), runtime.now() + USER_ACTION_RETRY)
    elif release:
        _give_back(runtime, item, f"{type(error).__name__}: {error}", None)
    else:
        _note(runtime, item, f"{type(error).__name__}: {error}")


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
