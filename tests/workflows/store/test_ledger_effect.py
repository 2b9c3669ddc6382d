"""The ledger around one call (`effect`): the protocol end to end against a fake external API
kept in memory."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from connectors.errors import AmbiguousWrite, RetryLater
from tests.workflows.store.conftest import race
from workflows.store.db import Database
from workflows.store.ledger import DEFAULT_HOLD, EffectState, begin_effect, effect, get_effect

KEY = "thank-you:evt1:2026-03-02T15:00:00+00:00"


@dataclass(frozen=True)
class Outcome:
    """A draft as the fake API returns it."""

    external_id: str
    detail: dict[str, Any] | None = None


def apply_once(
    db: Database,
    key: str,
    kind: str,
    apply: Callable[[], Outcome],
    look_up: Callable[[], Outcome | None] | None = None,
    *,
    hold: dt.timedelta = DEFAULT_HOLD,
) -> EffectState:
    """One call in the ledger's hold: looked up first when an earlier outcome is unknown."""
    with effect(db, key, kind, hold=hold) as attempt:
        if attempt.needed:
            found = look_up() if attempt.outcome_unknown and look_up else None
            made = found or apply()
            attempt.applied(made.external_id, made.detail)
    return attempt.state


class FakeDrafts:
    """A stand-in for Gmail drafts: creates are kept, lookups find them by key."""

    def __init__(self) -> None:
        self.created: dict[str, str] = {}
        self.lock = threading.Lock()

    def create(
        self, key: str, *, lose_response: bool = False, then: Exception | None = None
    ) -> Outcome:
        with self.lock:
            draft_id = f"draft-{len(self.created) + 1}"
            self.created[draft_id] = key
        if lose_response:
            raise AmbiguousWrite("connection dropped after the request was sent")
        if then is not None:
            raise then
        return Outcome(draft_id, {"key": key})

    def find(self, key: str) -> Outcome | None:
        with self.lock:
            found = [d for d, k in self.created.items() if k == key]
        return Outcome(found[0]) if found else None


def test_an_ambiguous_write_is_reconciled_not_repeated(db: Database) -> None:
    drafts = FakeDrafts()
    # Given a create whose response was lost
    with pytest.raises(AmbiguousWrite):
        apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY, lose_response=True))
    # When the message is retried
    state = apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY))
    # Then the draft the first attempt made is found and no second one is created
    assert list(drafts.created) == ["draft-1"]
    assert state.applied and state.external_id == "draft-1"


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        KeyError("id"),
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_any_error_after_the_call_leaves_the_outcome_unknown_and_is_reconciled(
    db: Database, error: Exception
) -> None:
    drafts = FakeDrafts()
    # Given a create that made the draft, then failed with an error that is not ours
    # (the connection reset, the client library tripping over the reply)
    with pytest.raises(type(error)):
        apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY, then=error))
    # When the message is retried
    state = apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY))
    # Then the draft the first attempt made is found and no second one is created
    assert list(drafts.created) == ["draft-1"]
    assert state.applied and state.external_id == "draft-1"


def test_a_refused_write_is_simply_tried_again(db: Database) -> None:
    drafts = FakeDrafts()

    def refused() -> Outcome:
        raise RetryLater("429 from Gmail", retry_after=1.0)

    with pytest.raises(RetryLater):
        apply_once(db, KEY, "gmail.draft", refused)
    with db.read() as s:
        refusal = get_effect(s, KEY)
    assert refusal is not None and (refusal.status, refusal.action) == ("failed", "run")
    state = apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY))
    assert state.external_id == "draft-1" and state.attempts == 2
    # And a duplicate message afterwards changes nothing
    again = apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY))
    assert again.external_id == "draft-1" and len(drafts.created) == 1


def test_a_caller_finding_the_key_held_is_told_to_retry_shortly(db: Database) -> None:
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft")
    with pytest.raises(RetryLater, match="being applied by another worker; retry shortly"):
        apply_once(db, KEY, "gmail.draft", lambda: Outcome("draft-x"))


def test_a_failed_look_up_releases_the_key_and_the_outcome_stays_unknown(db: Database) -> None:
    drafts = FakeDrafts()
    with pytest.raises(AmbiguousWrite):
        apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY, lose_response=True))

    def rate_limited() -> Outcome | None:
        raise RetryLater("429 from Gmail while searching drafts", retry_after=1.0)

    # When the look-up after the lost response fails
    with pytest.raises(RetryLater, match="429 from Gmail"):
        apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), rate_limited)
    # Then the next caller may go at once, and must look up again rather than create
    with db.read() as s:
        state = get_effect(s, KEY)
    assert state is not None and state.action == "reconcile"
    assert state.last_error == "429 from Gmail while searching drafts"
    final = apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY))
    assert final.external_id == "draft-1" and len(drafts.created) == 1


def test_a_failed_call_is_recorded_with_its_message_or_its_kind(db: Database) -> None:
    def reset(message: str) -> Callable[[], Outcome]:
        def call() -> Outcome:
            raise ConnectionError(message)

        return call

    for key, message, recorded in [
        ("k1", "reset by peer", "reset by peer"),
        ("k2", "", "ConnectionError"),
    ]:
        with pytest.raises(ConnectionError):
            apply_once(db, key, "gmail.draft", reset(message))
        with db.read() as s:
            state = get_effect(s, key)
        assert state is not None and (state.action, state.last_error) == ("reconcile", recorded)


def test_a_holder_that_outlived_its_hold_cannot_release_the_next_ones_claim(db: Database) -> None:
    hold = dt.timedelta(milliseconds=50)

    def slow_then_failing() -> Outcome:
        time.sleep(0.2)  # the hold lapses; another worker takes the key over
        with db.transaction() as s:
            assert begin_effect(s, KEY, "gmail.draft").action == "reconcile"
        raise ConnectionError("reset by peer")

    with pytest.raises(ConnectionError):
        apply_once(db, KEY, "gmail.draft", slow_then_failing, hold=hold)
    with db.read() as s:
        state = get_effect(s, KEY)
    assert state is not None and (state.action, state.attempts) == ("wait", 2)


def test_a_worker_killed_mid_call_is_reconciled_after_the_hold(db: Database) -> None:
    drafts = FakeDrafts()
    hold = dt.timedelta(milliseconds=200)
    # Given a worker that recorded the attempt, created the draft, and died before recording it
    with db.transaction() as s:
        begin_effect(s, KEY, "gmail.draft", hold=hold)
    drafts.create(KEY)
    # Then others wait while the hold lasts, and reconcile after it
    with pytest.raises(RetryLater):
        apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY))
    time.sleep(0.3)
    state = apply_once(db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY))
    assert state.external_id == "draft-1" and len(drafts.created) == 1


def test_duplicate_messages_on_many_workers_make_one_draft(db: Database) -> None:
    drafts = FakeDrafts()
    barrier = threading.Barrier(6)

    def worker(_: int) -> str | None:
        barrier.wait()
        while True:
            try:
                state = apply_once(
                    db, KEY, "gmail.draft", lambda: drafts.create(KEY), lambda: drafts.find(KEY)
                )
            except RetryLater:
                time.sleep(0.01)
                continue
            return state.external_id

    assert set(race(6, worker)) == {"draft-1"}
    assert len(drafts.created) == 1
