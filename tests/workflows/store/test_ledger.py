"""The effects ledger: one key is applied once, whatever retries, races and crashes do."""

from __future__ import annotations

import datetime as dt
import threading
import time

from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.ledger import begin_effect, fail_effect, finish_effect, get_effect

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
