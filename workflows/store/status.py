"""Connector health and recent errors, for the status page and `followthrough status`.

Record a failure in its own transaction (the one that failed was rolled back):

    with db.transaction() as s:
        record_failure(s, "google.calendar", "Google answered 401: run `followthrough auth google`")
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import DEFAULT_ACCOUNT, utcnow
from workflows.store.models import ConnectorStatus, ErrorLog
from workflows.store.sql import upsert

KEEP_ERRORS = 200
_MAX_MESSAGE = 2000


@dataclass(frozen=True)
class SourceHealth:
    """One connector's health: healthy only if its last outcome was a success."""

    source: str
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    records: int

    @property
    def healthy(self) -> bool:
        """True when the newest outcome is a success (never a stale "OK" after a failure)."""
        if self.last_success_at is None:
            return False
        return self.last_error_at is None or self.last_success_at >= self.last_error_at


@dataclass(frozen=True)
class ErrorEntry:
    """One recent error."""

    source: str
    message: str
    occurred_at: dt.datetime


@dataclass
class RecentSuccesses:
    """The successes this process recorded lately, by account and source, so that a pass
    that changed nothing writes its success at most once every `RECORD_EVERY`.

    What the status page and `followthrough status` promise stays true: a source's last
    success is never older than that by more than a pass, its records count is the last
    pass's, and a failure this process recorded is followed by the next success at once (a
    failure another process recorded, within the minute, until the minute is out).
    """

    RECORD_EVERY = 60.0  # seconds
    _last: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)

    def worth_recording(self, account: str, source: str, records: int, off: str = "") -> bool:
        """True unless an empty success of `source`, off for the same reason (or on), was
        recorded within the minute."""
        last = self._last.get((account, source))
        if records > 0 or last is None or last[1] != off:
            return True
        return time.monotonic() - last[0] >= self.RECORD_EVERY

    def recorded(self, account: str, source: str, records: int, off: str = "") -> None:
        """Note a success just committed (only an empty one lets the next be skipped)."""
        if records > 0:
            self._last.pop((account, source), None)
        else:
            self._last[(account, source)] = (time.monotonic(), off)

    def failed(self, account: str, source: str) -> None:
        """Note a failure: the next success is recorded at once."""
        self._last.pop((account, source), None)


def record_success(
    session: Session,
    source: str,
    *,
    records: int = 0,
    account: str = DEFAULT_ACCOUNT,
    at: dt.datetime | None = None,
) -> None:
    """Note a successful pass of `source` that handled `records` records."""
    values = {"account": account, "source": source, "last_success_at": at or utcnow()}
    upsert(
        session,
        ConnectorStatus,
        {**values, "records": records},
        ["account", "source"],
        ["last_success_at", "records"],
    )


def record_failure(
    session: Session,
    source: str,
    error: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    at: dt.datetime | None = None,
) -> None:
    """Note that `source` failed and why (shown in red until the next success); logs it too."""
    when = at or utcnow()
    values = {
        "account": account,
        "source": source,
        "last_error": error[:_MAX_MESSAGE],
        "last_error_at": when,
    }
    upsert(session, ConnectorStatus, values, ["account", "source"], ["last_error", "last_error_at"])
    log_error(session, source, error, account=account, at=when)


def log_error(
    session: Session,
    source: str,
    message: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    at: dt.datetime | None = None,
) -> None:
    """Keep `message` among the account's recent errors (the oldest beyond a few hundred go)."""
    session.add(
        ErrorLog(
            account=account,
            source=source,
            message=message[:_MAX_MESSAGE],
            occurred_at=at or utcnow(),
        )
    )
    session.flush()
    _trim(session, account)


def source_health(session: Session, *, account: str = DEFAULT_ACCOUNT) -> list[SourceHealth]:
    """Every connector's health, by source name."""
    rows = session.execute(
        sa.select(ConnectorStatus)
        .where(ConnectorStatus.account == account)
        .order_by(ConnectorStatus.source)
    ).scalars()
    return [
        SourceHealth(
            source=row.source,
            last_success_at=row.last_success_at,
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            records=row.records,
        )
        for row in rows
    ]


def recent_errors(
    session: Session, *, account: str = DEFAULT_ACCOUNT, limit: int = 20
) -> list[ErrorEntry]:
    """The newest errors first."""
    rows = session.execute(
        sa.select(ErrorLog)
        .where(ErrorLog.account == account)
        .order_by(ErrorLog.occurred_at.desc(), ErrorLog.id.desc())
        .limit(limit)
    ).scalars()
    return [ErrorEntry(row.source, row.message, row.occurred_at) for row in rows]


def _trim(session: Session, account: str) -> None:
    cutoff = session.execute(
        sa.select(ErrorLog.id)
        .where(ErrorLog.account == account)
        .order_by(ErrorLog.id.desc())
        .offset(KEEP_ERRORS)
        .limit(1)
    ).scalar_one_or_none()
    if cutoff is not None:
        session.execute(
            sa.delete(ErrorLog).where(ErrorLog.account == account, ErrorLog.id <= cutoff)
        )
