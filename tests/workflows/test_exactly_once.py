"""Exactly once under faults: errors, dropped connections, lost replies and passes run twice."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from connectors.airtable.webhooks import create_webhook, list_webhooks
from connectors.sandbox.server import Sandbox
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.test_tasks_mirror import google_tasks
from tests.workflows.world import (
    FAST_AIRTABLE,
    airtable_contact,
    at,
    chats_with_new_people,
    drafts,
    fast,
    followups,
    guest,
    meeting,
    meetings_by_event,
    set_now,
    world,
)
from workflows.passes import PassReport, run_once
from workflows.runtime import Runtime

ADA = "ada@analytical.example"
BOB = "bob@builder.example"
AFTER = at(2026, 3, 2, 12)
EXPECTED_FOLLOW_UPS = [
    ("Action item", "send the notes link"),
    ("Action item", "send the notes link"),
    ("Thank-you", "Send Ada a thank-you"),
    ("Thank-you", "Send Bob a thank-you"),
]


def _world(sandbox_factory: Any) -> Sandbox:
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Met")
    notes = "Insight: start with the data model\nTODO: send the notes link"
    events = [
        meeting("evtada", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)], description=notes),
        meeting(
            "evtbob",
            "Coffee chat",
            at(2026, 3, 2, 11),
            attendees=[guest(BOB, "Bob Builder")],
            description=notes,
        ),
    ]
    sandbox: Sandbox = sandbox_factory(
        world(events=events, airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    return sandbox


def _assert_exactly_once(sandbox: Sandbox, *, tasks: bool = False) -> None:
    assert sorted(str(d["to"]).lower().count("@") for d in drafts(sandbox)) == [1, 1]
    recipients = sorted(str(d["to"]).lower() for d in drafts(sandbox))
    assert ADA in recipients[0] and BOB in recipients[1]
    owed = [f for f in followups(sandbox) if f["Kind"] != "Prepare"]  # briefs: their own tests
    kinds = sorted((f["Kind"], f["Title"]) for f in owed)
    assert kinds == EXPECTED_FOLLOW_UPS
    assert len({f["Key"] for f in owed}) == 4
    meetings = meetings_by_event(sandbox)
    assert sorted(meetings) == ["evtada", "evtbob"]
    assert all(m["Status"] == "Completed" and m["Thank-you Draft"] for m in meetings.values())
    contacts = [r["fields"]["Email"] for r in sandbox.airtable.records("Contacts")]
    assert sorted(contacts) == [ADA, BOB]
    if tasks:
        tasks = google_tasks(sandbox)["Followthrough"]
        titles = sorted(t["title"] for t in tasks if not t["title"].startswith("Prepare for"))
        assert titles == sorted(title for _, title in EXPECTED_FOLLOW_UPS)


def _until_ok(runtime: Runtime, limit: int = 12) -> list[PassReport]:
    reports = []
    for _ in range(limit):
        reports.append(run_once(runtime))
        if reports[-1].ok:
            return reports
    raise AssertionError(f"no clean pass in {limit}: {reports[-1].failures}")


@pytest.mark.parametrize(
    "target",
    [
        "gmail.drafts.create",
        "airtable.records.create",
        "airtable.records.update",
        "tasks.tasks.insert",
        "tasks.tasklists",
    ],
)
def test_writes_whose_replies_are_lost_are_not_repeated(
    sandbox_factory: Any, make_runtime: RuntimeFactory, target: str
) -> None:
    # Given the reply to the next writes of one kind is lost (the write itself happened)
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER, tasks_sink="both"), sandbox)
    sandbox.drop_next_writes(target, times=2)

    # When passes run until one is clean
    _until_ok(runtime)
    run_once(runtime)

    # Then there is one of everything
    _assert_exactly_once(sandbox, tasks=True)


def test_a_draft_reply_cut_short_is_reconciled_though_the_error_is_not_ours(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Gmail makes the next two drafts but their replies end mid-body, so the client
    # library fails reading them with an error of its own (not one of Followthrough's)
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    sandbox.cut_next_replies("gmail.drafts.create", times=2)

    # When a pass meets them, and passes run until one is clean
    first = run_once(runtime)
    assert not first.ok and len(drafts(sandbox)) == 2
    _until_ok(runtime)
    run_once(runtime)

    # Then each draft was found again by its Message-ID, not written a second time
    assert sandbox.request_counts()["gmail.drafts.create"] == 2
    _assert_exactly_once(sandbox)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried_and_leave_one_of_everything(
    sandbox_factory: Any, make_runtime: RuntimeFactory, status: int
) -> None:
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER, tasks_sink="both"), sandbox)
    for target in (
        "gmail.drafts.create",
        "airtable.records.create",
        "airtable.records.update",
        "tasks.tasks.insert",
    ):
        sandbox.fail_next(target, status, times=2)

    _until_ok(runtime)

    _assert_exactly_once(sandbox, tasks=True)


def test_a_flaky_world_still_ends_with_one_of_everything(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given every API fails a fifth of the time and loses a fifth of the write replies
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER, tasks_sink="both"), sandbox)
    sandbox.set_error_rate("*", 503, 0.2)
    sandbox.set_ambiguous_rate("*", 0.2)

    # When passes keep running through it, and then once more in calm weather
    for _ in range(8):
        run_once(runtime)
    sandbox.clear_faults()
    _until_ok(runtime)

    # Then nothing was made twice and nothing was lost
    _assert_exactly_once(sandbox, tasks=True)


def test_two_passes_at_once_make_one_of_everything(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given two runs of the service on one database (a second `run --once` by mistake)
    sandbox = _world(sandbox_factory)
    first = fast(make_runtime(sandbox, now=AFTER, tasks_sink="both"), sandbox)
    second = fast(make_runtime(sandbox, now=AFTER, tasks_sink="both", init=False), sandbox)
    run_once(first, ["airtable"])  # the first sync made the webhook; both read from it after

    # When both make a whole pass at the same time
    reports: list[PassReport] = []
    threads = [
        threading.Thread(target=lambda rt=rt: reports.append(run_once(rt)))
        for rt in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then, once any retries have run, there is one of everything
    _until_ok(first)
    _assert_exactly_once(sandbox, tasks=True)


def test_an_outage_is_not_hammered_within_one_pass(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given Gmail answers every request with 503
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    sandbox.set_error_rate("gmail", 503, 1.0)

    # When one pass runs
    report = run_once(runtime)

    # Then it gave up after the connector's own retries, and says why
    assert not report.ok
    counts = sandbox.request_counts()
    assert counts["gmail.drafts.create"] <= 2 * 6, counts  # each meeting: 1 try + 5 retries
    assert counts.get("gmail.drafts.list", 0) <= 2 * 6, counts
    assert counts["airtable.records.update"] <= 3, counts

    # and once Gmail is back, the next pass does everything once
    sandbox.clear_faults()
    _until_ok(runtime)
    _assert_exactly_once(sandbox)


def test_expired_google_tokens_are_refreshed_mid_flow(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9), tasks_sink="both"), sandbox)
    run_once(runtime)

    sandbox.expire_access_tokens()
    sandbox.expire_sync_tokens()
    set_now(runtime, AFTER)
    _until_ok(runtime, limit=1)

    _assert_exactly_once(sandbox, tasks=True)


@pytest.mark.parametrize("fault", ["lost create reply", "failed first read"])
def test_an_unfinished_first_airtable_sync_leaves_no_stray_webhook(
    sandbox_factory: Any, make_runtime: RuntimeFactory, fault: str
) -> None:
    # Given the base already has a webhook of another tool, and the first sync is interrupted
    sandbox = _world(sandbox_factory)
    runtime = fast(make_runtime(sandbox, now=AFTER), sandbox)
    other = create_webhook(runtime.need_airtable(), "https://other-tool.example/hook")
    if fault == "lost create reply":
        sandbox.drop_next_writes("airtable.webhooks.create")
    else:
        sandbox.fail_next("airtable.records.list", 503, times=20)

    # When passes run until one is clean
    _until_ok(runtime)
    _until_ok(runtime)

    # Then the base holds the other tool's webhook and one of ours, and nothing was lost
    hooks = list_webhooks(runtime.need_airtable())
    assert len(hooks) == 2
    assert other.webhook_id in {h.webhook_id for h in hooks}
    _assert_exactly_once(sandbox)


def test_airtable_going_down_mid_batch_keeps_the_drafts_already_written_and_repeats_none(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Twelve coffee chats with people nobody knows yet ended this morning
    sandbox: Sandbox = sandbox_factory(chats_with_new_people(12), airtable_rate_limit=FAST_AIRTABLE)
    runtime = make_runtime(sandbox, now=AFTER)
    # Airtable answers the first write (ten new contacts) slowly, then goes down
    sandbox.faults.latency["airtable.records.create"] = 0.3
    passing = threading.Thread(target=lambda: reports.append(run_once(runtime)))
    reports: list[PassReport] = []
    passing.start()
    while sandbox.request_counts().get("airtable.records.create", 0) < 1:
        assert passing.is_alive()
        threading.Event().wait(0.01)
    sandbox.fail_next("airtable", 503, times=1000)
    passing.join()

    # The pass failed, but the ten contacts written first have their thank-you drafts
    assert not reports[0].ok
    assert len(drafts(sandbox)) == 10
    # Airtable is back: every chat ends with exactly one draft and one Thank-you
    sandbox.faults.clear()
    _until_ok(runtime)
    recipients = sorted(str(d["to"]).lower() for d in drafts(sandbox))
    assert len(recipients) == 12
    assert all(f"p{i:02d}@guests.example" in recipients[i] for i in range(12))
    assert len(followups(sandbox, "Thank-you")) == 12


def test_a_known_contact_s_thank_you_is_written_while_airtable_is_down_and_once(
    sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    # Given a chat with Ada, already a contact, known to Followthrough before it ends
    ada = airtable_contact("recAda0000000001", Name="Ada Lovelace", Email=ADA, Stage="Scheduled")
    event = meeting("evtada", "Chat", at(2026, 3, 2, 10), attendees=[guest(ADA)])
    sandbox: Sandbox = sandbox_factory(
        world(events=[event], airtable=[ada]), airtable_rate_limit=FAST_AIRTABLE
    )
    runtime = fast(make_runtime(sandbox, now=at(2026, 3, 2, 9)), sandbox)
    assert run_once(runtime).ok

    # When the chat has ended and Airtable is down
    sandbox.fail_next("airtable", 503, times=1000)
    set_now(runtime, AFTER)
    report = run_once(runtime)

    # Then her thank-you draft is there all the same: it does not wait for her row
    assert not report.ok
    assert [ADA in str(d["to"]).lower() for d in drafts(sandbox)] == [True]
    # And once Airtable is back the meeting is completed, still with one draft
    sandbox.faults.clear()
    _until_ok(runtime)
    assert len(drafts(sandbox)) == 1
    assert meetings_by_event(sandbox)["evtada"]["Status"] == "Completed"
    assert len(followups(sandbox, "Thank-you")) == 1
