"""Cursors advance only with what they cover."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.store.cursors import clear_cursor, get_cursor, set_cursor
from workflows.store.db import Database
from workflows.store.due import pending, schedule

SOURCE = "google.calendar:primary"


def test_a_cursor_in_a_rolled_back_transaction_does_not_advance(db: Database) -> None:
    # Given a committed cursor
    with db.transaction() as s:
        set_cursor(s, SOURCE, "token-1")
    # When a page is stored with its new cursor and the transaction fails
    with pytest.raises(RuntimeError), db.transaction() as s:
        schedule(s, "complete_meeting", "evt9", dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
        set_cursor(s, SOURCE, "token-2")
        raise RuntimeError("worker killed mid-page")
    # Then neither the page nor the cursor moved: the next pass re-reads that page
    with db.read() as s:
        assert get_cursor(s, SOURCE) == "token-1"
        assert pending(s) == []


def test_a_committed_cursor_advances_and_can_be_cleared_for_a_resync(db: Database) -> None:
    with db.transaction() as s:
        assert get_cursor(s, SOURCE) is None
        set_cursor(s, SOURCE, "token-1")
    with db.transaction() as s:
        set_cursor(s, SOURCE, "token-2")
    with db.read() as s:
        assert get_cursor(s, SOURCE) == "token-2"
    with db.transaction() as s:
        clear_cursor(s, SOURCE)
    with db.read() as s:
        assert get_cursor(s, SOURCE) is None


def test_accounts_have_their_own_cursors(db: Database) -> None:
    with db.transaction() as s:
        set_cursor(s, SOURCE, "alice-token", account="alice")
        set_cursor(s, SOURCE, "bob-token", account="bob")
    with db.read() as s:
        assert get_cursor(s, SOURCE, account="alice") == "alice-token"
        assert get_cursor(s, SOURCE, account="bob") == "bob-token"
        assert get_cursor(s, SOURCE) is None
