"""Connector health never shows a stale OK; recent errors are kept, newest first."""

from __future__ import annotations

import datetime as dt

from workflows.store.db import Database
from workflows.store.status import (
    KEEP_ERRORS,
    log_error,
    recent_errors,
    record_failure,
    record_success,
    source_health,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def test_a_failure_after_a_success_shows_the_connector_unhealthy_with_why(db: Database) -> None:
    with db.transaction() as s:
        record_success(s, "google.calendar", records=12, at=T0)
    with db.transaction() as s:
        record_failure(
            s, "google.calendar", "401 from Google: run `followthrough auth google`", at=T0 + MINUTE
        )
    with db.read() as s:
        (health,) = source_health(s)
        errors = recent_errors(s)
    assert not health.healthy
    assert health.last_error == "401 from Google: run `followthrough auth google`"
    assert health.records == 12
    assert [e.message for e in errors] == [health.last_error]
    # The next success makes it healthy again
    with db.transaction() as s:
        record_success(s, "google.calendar", records=1, at=T0 + 2 * MINUTE)
    with db.read() as s:
        assert source_health(s)[0].healthy


def test_only_the_newest_errors_are_kept(db: Database) -> None:
    with db.transaction() as s:
        for n in range(KEEP_ERRORS + 5):
            log_error(s, "airtable", f"error {n}", at=T0 + n * MINUTE)
    with db.read() as s:
        errors = recent_errors(s, limit=KEEP_ERRORS + 50)
    assert len(errors) == KEEP_ERRORS
    assert errors[0].message == f"error {KEEP_ERRORS + 4}"


def test_status_is_per_account(db: Database) -> None:
    with db.transaction() as s:
        record_failure(s, "airtable", "403 from Airtable", account="alice")
    with db.read() as s:
        assert source_health(s) == [] and recent_errors(s) == []
        assert [h.source for h in source_health(s, account="alice")] == ["airtable"]
