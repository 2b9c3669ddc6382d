"""The effects ledger: one key is applied once, whatever retries, races and crashes do."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.ledger import (
    begin_effect,
    fail_effect,
    finish_effect,
    get_effect,
    release_holds,
)
from workflows.store.models import Effect

KEY = "thank-you:evt1:2026-03-02T15:00:00+00:00"
T0 = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)


def test_a_finished_effect_is_skipped_with_its_external_id(db: Database) -> None:
    with db.transaction() as s:
        first = begin_effect(s, KEY, "gmail.draft")
    assert first.action == "run" and first.status == "pending"
    with db.transaction() as s:
        finish_effect(s, KEY, external_id="draft-1", detail={"message_id": "<m1>"})
    # A redelivered message comes back to the same key
    with db.transaction() as s:
        again = begin_effect(s, KEY, "gmail.draft")
    assert again.action == "skip"
    assert again.applied and again.external_id == "draft-1"
    assert again.detail == {"message_id": "<m1>"}


def test_a_second_finish_never_replaces_the_first_external_id(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
        finish_effect(s, KEY, external_id="draft-1")
    with db.transaction() as s:
        state = finish_effect(s, KEY, external_id="draft-2")
    assert state.external_id == "draft-1"


def test_a_second_finish_with_another_id_is_logged_and_the_same_id_is_not(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
        with capture_logs() as first:
            done = finish_effect(s, KEY, external_id="draft-1")
    with db.transaction() as s, capture_logs() as again:
        finish_effect(s, KEY, external_id="draft-1")
        finish_effect(s, KEY, external_id="draft-2")
    assert (done.action, done.status) == ("skip", "applied") and first == []
    assert again == [
        {
            "event": "ledger.already_applied",
            "log_level": "warning",
            "key": KEY,
            "kept": "draft-1",
            "ignored": "draft-2",
        }
    ]


def test_a_lapsed_hold_is_logged_as_an_unknown_outcome(db: Database) -> None:
    hold = dt.timedelta(seconds=60)
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft", account="alice", hold=hold, wall_now=T0)
    with db.transaction() as s, capture_logs() as logs:
        begin_effect(s, KEY, "gmail.draft", account="alice", hold=hold, wall_now=T0 + 2 * hold)
    assert logs == [
        {
            "event": "ledger.outcome_unknown",
            "log_level": "warning",
            "key": KEY,
            "kind": "gmail.draft",
            "account": "alice",
        }
    ]


def test_finishing_a_key_never_begun_says_what_to_call_first(db: Database) -> None:
    with db.transaction() as s, pytest.raises(LookupError, match="call begin_effect first"):
        finish_effect(s, KEY, external_id="draft-1")


def test_finishing_one_key_leaves_the_others_alone(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
        begin_effect(s, "thank-you:other", "gmail.draft")
        finish_effect(s, KEY, external_id="draft-1")
        fail_effect(s, KEY, "a late failure")
    with db.read() as s:
        other = get_effect(s, "thank-you:other")
        applied_at = s.execute(sa.select(Effect.applied_at).where(Effect.key == KEY)).scalar_one()
    assert other is not None and (other.status, other.external_id, other.last_error) == (
        "pending", None, None
    )  # fmt: skip
    assert applied_at is not None  # when the effect was applied, for whoever reads the ledger


def test_racing_workers_apply_one_key_exactly_once(db: Database) -> None:
    # Given eight workers that received the same message at the same moment
    created: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(i: int) -> str:
        barrier.wait()
        while True:
            with db.transaction() as s:
                state = begin_effect(s, KEY, "gmail.draft")
            if state.action == "skip":
                assert state.external_id is not None
                return state.external_id
            if state.action == "wait":
                time.sleep(0.01)
                continue
            assert state.action == "run", state
            with lock:  # the external API
                created.append(f"draft-{i}")
            with db.transaction() as s:
                finish_effect(s, KEY, external_id=f"draft-{i}")

    # When they all try to apply it
    seen = race(8, worker)
    # Then the API was called once and every worker reports that one draft
    assert len(created) == 1
    assert set(seen) == {created[0]}


def test_a_crashed_attempt_is_reconciled_after_its_hold(db: Database) -> None:
    hold = dt.timedelta(seconds=60)
    with db.transaction() as s:
        assert begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0).action == "run"
    # The worker died after the call; before the hold lapses others wait
    with db.transaction() as s:
        waiting = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0 + hold / 2)
    assert waiting.action == "wait"
    # After it lapses exactly one caller is told the outcome is unknown
    later = T0 + hold * 2
    with db.transaction() as s:
        first = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=later)
    with db.transaction() as s:
        second = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=later)
    assert (first.action, first.attempts) == ("reconcile", 2)
    assert second.action == "wait"


def test_a_definite_failure_runs_again_and_an_ambiguous_one_reconciles(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
        fail_effect(s, KEY, "400 Bad Request: invalid recipient")
    with db.transaction() as s:
        retry = begin_effect(s, KEY, "gmail.draft")
    assert retry.action == "run" and retry.attempts == 2
    with db.transaction() as s:
        fail_effect(s, KEY, "connection reset after send", outcome_unknown=True)
    with db.transaction() as s:
        state = begin_effect(s, KEY, "gmail.draft")
    assert state.action == "reconcile"
    assert state.last_error == "connection reset after send"


def test_a_rolled_back_begin_leaves_no_entry(db: Database) -> None:
    try:
        with db.transaction() as s:
            begin_effect(s, KEY, "gmail.draft")
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with db.read() as s:
        assert get_effect(s, KEY) is None


def test_accounts_have_separate_ledgers(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft", account="alice")
        finish_effect(s, KEY, external_id="draft-a", account="alice")
    with db.transaction() as s:
        bob = begin_effect(s, KEY, "gmail.draft", account="bob")
    assert bob.action == "run"
    with db.read() as s:
        assert get_effect(s, KEY) is None


def test_a_stale_holder_cannot_release_a_key_taken_over_by_another(db: Database) -> None:
    hold = dt.timedelta(seconds=60)
    with db.transaction() as s:
        stale = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0)
    with db.transaction() as s:
        current = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0 + 2 * hold)
    assert current.action == "reconcile"
    # The slow first holder finally fails: the second holder keeps the key
    with db.transaction() as s:
        fail_effect(s, KEY, "timeout", attempt=stale.attempts)
    with db.transaction() as s:
        third = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0 + 2 * hold)
    assert third.action == "wait"


def test_an_entry_reads_back_with_what_a_caller_should_do_about_it(db: Database) -> None:
    hold = dt.timedelta(seconds=60)
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft", account="alice", hold=hold, wall_now=T0)
        begin_effect(s, KEY, "gmail.draft", account="bob", hold=hold, wall_now=T0)
        finish_effect(s, KEY, external_id="draft-b", account="bob")
    with db.read() as s:
        held = get_effect(s, KEY, account="alice", wall_now=T0 + hold / 2)
        lapsed = get_effect(s, KEY, account="alice", wall_now=T0 + hold * 2)
        done = get_effect(s, KEY, account="bob")
        other = get_effect(s, "thank-you:another", account="alice")
    assert held is not None
    assert (held.kind, held.status, held.attempts) == ("gmail.draft", "pending", 1)
    assert held.action == "wait"
    assert lapsed is not None and lapsed.action == "reconcile"
    assert done is not None and (done.action, done.external_id) == ("skip", "draft-b")
    assert other is None


def test_a_hold_lasts_up_to_and_including_its_last_moment(db: Database) -> None:
    hold = dt.timedelta(seconds=60)
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0)
    with db.transaction() as s:
        at_the_end = begin_effect(s, KEY, "gmail.draft", hold=hold, wall_now=T0 + hold)
    assert (at_the_end.action, at_the_end.attempts) == ("wait", 1)


def test_a_failed_attempt_says_what_the_next_caller_does(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
        refused = fail_effect(s, KEY, "400 Bad Request")
    assert (refused.status, refused.action) == ("failed", "run")
    with db.transaction() as s:
        retry = begin_effect(s, KEY, "gmail.draft")
        unknown = fail_effect(s, KEY, "connection reset after send", outcome_unknown=True)
    assert (retry.status, retry.action, retry.attempts) == ("pending", "run", 2)
    assert (unknown.status, unknown.action) == ("pending", "reconcile")


def test_an_ambiguous_failure_lets_one_caller_reconcile_while_others_wait(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
        fail_effect(s, KEY, "connection reset after send", outcome_unknown=True)
    with db.transaction() as s:
        first = begin_effect(s, KEY, "gmail.draft")
    with db.transaction() as s:
        second = begin_effect(s, KEY, "gmail.draft")
    assert (first.action, first.attempts) == ("reconcile", 2)
    assert second.action == "wait"


def test_a_late_failure_never_undoes_an_applied_effect(db: Database) -> None:
    with db.transaction() as s:
        first = begin_effect(s, KEY, "gmail.draft")
        finish_effect(s, KEY, external_id="draft-1")
    with db.transaction() as s:
        fail_effect(s, KEY, "timeout", attempt=first.attempts)
        fail_effect(s, KEY, "connection reset", outcome_unknown=True)
    with db.transaction() as s:
        again = begin_effect(s, KEY, "gmail.draft")
    assert (again.action, again.status, again.external_id) == ("skip", "applied", "draft-1")
    assert again.last_error is None


def test_releasing_holds_lets_the_next_caller_reconcile_at_once(db: Database) -> None:
    hold = dt.timedelta(minutes=5)
    with db.transaction() as s:
        for account in ("alice", "bob", "carol"):
            begin_effect(s, KEY, "gmail.draft", account=account, hold=hold, wall_now=T0)
        finish_effect(s, KEY, external_id="draft-c", account="carol")
        begin_effect(s, KEY, "gmail.draft", account="dave", hold=hold, wall_now=T0)
        fail_effect(s, KEY, "connection reset", outcome_unknown=True, account="dave")
    with db.transaction() as s:
        released = release_holds(s, account="alice")
    assert released == 1
    soon = T0 + hold / 10
    with db.transaction() as s:
        alice = begin_effect(s, KEY, "gmail.draft", account="alice", hold=hold, wall_now=soon)
        bob = begin_effect(s, KEY, "gmail.draft", account="bob", hold=hold, wall_now=soon)
    assert (alice.action, bob.action) == ("reconcile", "wait")
    with db.transaction() as s:
        # alice's new hold and bob's: carol's effect is applied, dave's holds nothing already
        assert release_holds(s) == 2
