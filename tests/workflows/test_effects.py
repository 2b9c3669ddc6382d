"""An external effect through the ledger: applied once, looked up when its outcome is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import AmbiguousWrite, RetryLater
from workflows.effects import once
from workflows.migrations import upgrade
from workflows.runtime import Runtime, WorkflowConfig
from workflows.store.db import Database
from workflows.store.ledger import Attempt

KEY = "thank-you:evt1:2026-03-02T15:00:00+00:00"


class Drafts:
    """Gmail drafts as the effect sees them: a create that can lose its response or die midway."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.calls: list[bool] = []
        self.lose_next_response = False
        self.die_next = False

    def create(self, outcome_unknown: bool) -> dict[str, Any]:
        self.calls.append(outcome_unknown)
        if outcome_unknown and self.created:
            return {"id": self.created[-1], "to": "jane@acme.com"}
        if self.die_next:
            self.die_next = False
            raise SystemExit("the worker was stopped mid-call")
        self.created.append(f"draft-{len(self.created) + 1}")
        if self.lose_next_response:
            self.lose_next_response = False
            raise AmbiguousWrite("connection dropped after the request was sent")
        return {"id": self.created[-1], "to": "jane@acme.com"}


def make_draft(runtime: Runtime, drafts: Drafts) -> Attempt:
    """The thank-you draft, once, as completion makes it: one call inside the ledger's hold."""
    with once(runtime, KEY, "gmail.draft") as draft:
        if draft.needed:
            made = drafts.create(draft.outcome_unknown)
            draft.applied(made["id"], {"to": made["to"]})
    return draft


def applied(draft: Attempt) -> tuple[str, dict[str, Any]]:
    return draft.external_id, draft.detail


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'followthrough.db'}"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


def runtime(db: Database, account: str = "alice", **config: Any) -> Runtime:
    return Runtime(db=db, config=WorkflowConfig(account=account, **config))


def test_an_effect_is_applied_once_and_then_read_back(database: Database) -> None:
    drafts = Drafts()
    first = make_draft(runtime(database), drafts)
    again = make_draft(runtime(database), drafts)
    assert applied(first) == applied(again) == ("draft-1", {"to": "jane@acme.com"})
    assert drafts.calls == [False]


def test_after_a_lost_response_the_draft_is_looked_up_not_made_twice(database: Database) -> None:
    drafts = Drafts()
    drafts.lose_next_response = True
    with pytest.raises(AmbiguousWrite):
        make_draft(runtime(database), drafts)
    found = make_draft(runtime(database), drafts)
    assert applied(found) == ("draft-1", {"to": "jane@acme.com"})
    assert drafts.created == ["draft-1"] and drafts.calls == [False, True]


def test_each_account_applies_its_own_effect(database: Database) -> None:
    drafts = Drafts()
    alice = make_draft(runtime(database, "alice"), drafts)
    bob = make_draft(runtime(database, "bob"), drafts)
    assert (alice.external_id, bob.external_id) == ("draft-1", "draft-2")


def test_a_worker_stopped_mid_call_holds_the_key_for_the_configured_hold(
    database: Database,
) -> None:
    drafts = Drafts()
    drafts.die_next = True
    with pytest.raises(SystemExit):
        make_draft(runtime(database, "alice"), drafts)
    with pytest.raises(RetryLater):
        make_draft(runtime(database, "alice"), drafts)
    # With no hold configured, the next caller at once looks up what the stopped worker did
    drafts.die_next = True
    brief = runtime(database, "bob", effect_hold=dt.timedelta(0))
    with pytest.raises(SystemExit):
        make_draft(brief, drafts)
    again = make_draft(brief, drafts)
    assert again.external_id == "draft-1"
    assert drafts.calls[-1] is True
