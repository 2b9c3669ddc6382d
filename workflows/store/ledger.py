"""The effects ledger: every external effect is recorded before and after its call.

    with effect(db, key, "gmail.draft") as draft:
        if draft.needed:
            draft.applied(create_draft(outcome_unknown=draft.outcome_unknown).id)

or, step by step (what `effect` does):

    with db.transaction() as s:
        state = begin_effect(s, key, "gmail.draft")    # commit BEFORE calling the API
    if state.action == "skip":       done already: use state.external_id
    if state.action == "wait":       another worker is on it: retry later (RetryLater)
    if state.action == "reconcile":  an earlier attempt's outcome is unknown: look it up first
    if state.action == "run":        call the API, then in a new transaction:
        finish_effect(s, key, external_id=...)     # or fail_effect(s, key, error, ...)

An attempt holds the key for `hold` (wall clock); a holder that crashed leaves the row
pending, and once the hold lapses the next caller gets "reconcile". A key is applied once:
`finish_effect` only moves a row that is not applied yet. Choose `hold` longer than one
attempt can take (the connector's worst case with its own retries): a live attempt that
outlasts its hold could be reconciled before its write lands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
import structlog
from sqlalchemy.orm import Session

from connectors.errors import AmbiguousWrite, FollowthroughError, RetryLater
from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.db import Database
from workflows.store.models import Effect
from workflows.store.sql import changed, insert_ignore

log = structlog.get_logger(__name__)

Action = Literal["run", "reconcile", "wait", "skip"]
DEFAULT_HOLD = dt.timedelta(minutes=5)
_MAX_ERROR = 2000


@dataclass(frozen=True)
class EffectState:
    """A ledger entry as of one moment, and what the caller should do about it (`action`)."""

    key: str
    kind: str
    status: str  # pending | applied | failed
    action: Action
    external_id: str | None = None
    detail: dict[str, Any] | None = None
    attempts: int = 0
    last_error: str | None = None

    @property
    def applied(self) -> bool:
        """True when the effect exists outside (its external id is known)."""
        return self.status == "applied"


def begin_effect(
    session: Session,
    key: str,
    kind: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    hold: dt.timedelta = DEFAULT_HOLD,
    wall_now: dt.datetime | None = None,
) -> EffectState:
    """Claim `key` for one attempt (recorded pending), or say why not; commit before the call."""
    now = wall_now or utcnow()
    fresh = {
        "account": account,
        "key": key,
        "kind": kind,
        "status": "pending",
        "attempts": 1,
        "started_at": now,
        "claimed_until": now + hold,
    }
    if insert_ignore(session, Effect, fresh, ["account", "key"]):
        return _state(_load(session, account, key), "run")
    if _take_over(session, account, key, now, hold, Effect.status == "failed"):
        return _state(_load(session, account, key), "run")
    lapsed = sa.and_(Effect.status == "pending", _lapsed(now))
    if _take_over(session, account, key, now, hold, lapsed):
        log.warning("ledger.outcome_unknown", key=key, kind=kind, account=account)
        return _state(_load(session, account, key), "reconcile")
    return describe(_load(session, account, key), now)


def finish_effect(
    session: Session,
    key: str,
    *,
    external_id: str,
    detail: dict[str, Any] | None = None,
    account: str = DEFAULT_ACCOUNT,
    wall_now: dt.datetime | None = None,
) -> EffectState:
    """Record that the effect exists outside, with its id; a second finish changes nothing."""
    values = {
        "status": "applied",
        "external_id": external_id,
        "detail": detail,
        "applied_at": wall_now or utcnow(),
        "claimed_until": None,
        "last_error": None,
    }
    moved = _update(session, account, key, Effect.status != "applied", values)
    row = _load(session, account, key)
    if not moved and row.external_id != external_id:
        log.warning("ledger.already_applied", key=key, kept=row.external_id, ignored=external_id)
    return _state(row, "skip")


def fail_effect(
    session: Session,
    key: str,
    error: str,
    *,
    outcome_unknown: bool = False,
    attempt: int | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> EffectState:
    """Record a failed attempt and release the key at once.

    A definite failure (nothing was created) lets the next attempt run; with
    `outcome_unknown` (an ambiguous write) the entry stays pending and the next attempt
    reconciles first. Given `attempt` (the `attempts` that `begin_effect` returned), a
    holder whose hold lapsed and was taken over changes nothing.
    """
    values: dict[str, Any] = {"last_error": error[:_MAX_ERROR], "claimed_until": None}
    if not outcome_unknown:
        values["status"] = "failed"
    condition = Effect.status != "applied"
    if attempt is not None:
        condition = sa.and_(condition, Effect.attempts == attempt)
    _update(session, account, key, condition, values)
    return describe(_load(session, account, key), utcnow())


def get_effect(
    session: Session,
    key: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    wall_now: dt.datetime | None = None,
) -> EffectState | None:
    """The ledger entry for `key` (None when no attempt was ever made); claims nothing."""
    row = session.execute(
        sa.select(Effect).where(Effect.account == account, Effect.key == key)
    ).scalar_one_or_none()
    return describe(row, wall_now or utcnow()) if row else None


def amend_detail(
    session: Session, key: str, changes: dict[str, Any], *, account: str = DEFAULT_ACCOUNT
) -> None:
    """Merge `changes` into an applied effect's details, as the thing it made changed outside
    (a draft's message replaced); an effect not applied is left alone."""
    row = session.execute(
        sa.select(Effect).where(Effect.account == account, Effect.key == key)
    ).scalar_one_or_none()
    if row is not None and row.status == "applied":
        row.detail = {**(row.detail or {}), **changes}


def release_holds(session: Session, *, account: str | None = None) -> int:
    """Lapse every hold on a pending effect (an embedded service starting after a crash: the
    holders died with the process); their next callers reconcile. Returns how many."""
    statement = sa.update(Effect).where(
        Effect.status == "pending", Effect.claimed_until.is_not(None)
    )
    if account is not None:
        statement = statement.where(Effect.account == account)
    values = statement.values(claimed_until=None).execution_options(synchronize_session=False)
    return changed(session, values)


def describe(row: Effect, now: dt.datetime) -> EffectState:
    """What a caller should do with this entry at `now` if it did not hold it."""
    if row.status == "applied":
        return _state(row, "skip")
    if row.status == "failed":
        return _state(row, "run")
    if row.claimed_until is not None and row.claimed_until >= now:
        return _state(row, "wait")
    return _state(row, "reconcile")


def _lapsed(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(Effect.claimed_until.is_(None), Effect.claimed_until < now)


def _take_over(
    session: Session,
    account: str,
    key: str,
    now: dt.datetime,
    hold: dt.timedelta,
    condition: sa.ColumnElement[bool],
) -> bool:
    values = {
        "status": "pending",
        "attempts": Effect.attempts + 1,
        "started_at": now,
        "claimed_until": now + hold,
    }
    return _update(session, account, key, condition, values)


def _update(
    session: Session,
    account: str,
    key: str,
    condition: sa.ColumnElement[bool],
    values: dict[str, Any],
) -> bool:
    statement = (
        sa.update(Effect)
        .where(Effect.account == account, Effect.key == key, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return changed(session, statement) > 0


def _load(session: Session, account: str, key: str) -> Effect:
    statement = sa.select(Effect).where(Effect.account == account, Effect.key == key)
    row = session.execute(statement.execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise LookupError(f"no ledger entry for effect key {key!r}; call begin_effect first")
    return row


def _state(row: Effect, action: Action) -> EffectState:
    return EffectState(
        key=row.key,
        kind=row.kind,
        status=row.status,
        action=action,
        external_id=row.external_id,
        detail=row.detail,
        attempts=row.attempts,
        last_error=row.last_error,
    )


class Attempt:
    """One attempt at an effect, held in the ledger around the call that applies it."""

    def __init__(self, state: EffectState, *, maybe_done_before: bool) -> None:
        self.state = state
        self.needed = state.action != "skip"
        """False when the effect exists already: make no call, read `external_id`."""
        self.outcome_unknown = maybe_done_before or state.action == "reconcile"
        """An earlier attempt may have applied it: the call looks it up before making it."""
        self.recorded: tuple[str, dict[str, Any] | None] | None = None

    @property
    def external_id(self) -> str:
        """The effect's id outside (once applied)."""
        return self.state.external_id or ""

    @property
    def detail(self) -> dict[str, Any]:
        """The details the ledger keeps with the effect (once applied)."""
        return dict(self.state.detail or {})

    def applied(self, external_id: str, detail: dict[str, Any] | None = None) -> None:
        """Say what the call made; the ledger records it as the block ends."""
        self.recorded = (external_id, detail)


@contextmanager
def effect(
    db: Database,
    key: str,
    kind: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    hold: dt.timedelta = DEFAULT_HOLD,
    maybe_done_before: bool = False,
) -> Iterator[Attempt]:
    """The whole ledger protocol around one call: the effect for `key` is applied once.

        with effect(db, key, "gmail.draft") as draft:
            if draft.needed:
                made = gmail.create_draft(message, outcome_unknown=draft.outcome_unknown)
                draft.applied(made.draft_id)
        draft.external_id

    Raises `RetryLater` while another worker holds the key. An error in the block is
    recorded and re-raised; it leaves the outcome unknown (the next attempt looks the effect
    up first) when it is an `AmbiguousWrite`, not a `FollowthroughError`, or came from an
    attempt that was looking up an unknown outcome already. `maybe_done_before`: an earlier
    store may have applied it (a lost or new database), so even the first attempt looks.
    """
    with db.transaction() as session:
        state = begin_effect(session, key, kind, account=account, hold=hold)
    if state.action == "wait":
        raise RetryLater(f"effect {key!r} is being applied by another worker; retry shortly")
    attempt = Attempt(state, maybe_done_before=maybe_done_before)
    if not attempt.needed:
        yield attempt
        return
    try:
        yield attempt
        if attempt.recorded is None:
            raise LookupError(f"effect {key!r} was attempted but nothing was recorded as applied")
    except Exception as error:
        _fail(db, state, error, account)
        raise
    external_id, detail = attempt.recorded
    with db.transaction() as session:
        attempt.state = finish_effect(
            session, key, external_id=external_id, detail=detail, account=account
        )


def _fail(db: Database, state: EffectState, error: Exception, account: str) -> None:
    unknown = (
        state.action == "reconcile"
        or isinstance(error, AmbiguousWrite)
        or not isinstance(error, FollowthroughError)
    )
    with db.transaction() as session:
        fail_effect(
            session,
            state.key,
            str(error) or type(error).__name__,
            outcome_unknown=unknown,
            attempt=state.attempts,
            account=account,
        )
