"""What `followthrough run --once` prints about a pass: a kept edited draft is told."""

from __future__ import annotations

import datetime as dt

import pytest

from service.console import print_pass
from workflows.duework.dispatch import Done, Ran
from workflows.passes import PassReport
from workflows.revisions import Revision
from workflows.store.due import DueItem

WHEN = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def _revised(revision: Revision) -> Ran:
    item = DueItem("default", "notes_changed", "1:abc", WHEN, {"meeting_id": 1})
    return Ran(item, Done(revision))


def test_the_pass_says_an_edited_draft_was_kept_and_where_the_news_went(
    capsys: pytest.CaptureFixture[str],
) -> None:
    told = "kept the thank-you to Ada Lovelace as you edited it in Gmail; added to its follow-up"
    report = PassReport(done=[_revised(Revision(1, told=told)), _revised(Revision(2, True))])

    print_pass(report)

    assert " ".join(capsys.readouterr().out.split()) == told
