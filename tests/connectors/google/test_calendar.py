"""Calendar sync against the sandbox: window, cursor, changes, resync, faults, token refresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from connectors.google.calendar import verify_channel
from connectors.google.client import GoogleClient
from connectors.records import CalendarPage
from connectors.sandbox.server import Sandbox
from tests.connectors.google.worlds import NOW, WINDOW_START, ZONE, event, world

Factory = Callable[..., Sandbox]


def sync(client: GoogleClient, cursor: str | None = None) -> list[CalendarPage]:
    """Run one whole sync pass."""
    return list(client.calendar.sync("primary", cursor, window_start=WINDOW_START))


def ids(pages: list[CalendarPage]) -> set[str]:
    return {e.id for page in pages for e in page.records}


@pytest.fixture
def box(sandbox_factory: Factory) -> Sandbox:
    old = event(1, days=-200, summary="Long ago")  # ended before the window
    recent = event(2, days=-10)
    return sandbox_factory(world(events=[old, recent, *(event(i, days=i) for i in range(3, 8))]))


def test_first_sync_covers_the_window_and_ends_with_a_cursor(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    box.set_page_limits("calendar", max_page=2, empty_pages=1)  # short and empty pages

    pages = sync(google_client(box))

    assert ids(pages) == {f"evt{i:07d}" for i in range(2, 8)}
    assert all(p.full_sync for p in pages)
    assert [p.last for p in pages] == [False] * (len(pages) - 1) + [True]
    assert pages[-1].next_cursor and all(p.next_cursor is None for p in pages[:-1])
    assert pages[-1].calendar_time_zone == ZONE


def test_second_sync_brings_nothing_in_one_request(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    cursor = sync(client)[-1].next_cursor
    box.reset_requests()

    pages = sync(client, cursor)

    assert ids(pages) == set()
    assert pages[-1].next_cursor
    assert box.request_counts() == {"calendar.events.list": 1}


def test_incremental_sync_returns_exactly_the_changes(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    cursor = sync(client)[-1].next_cursor
    box.add_event(event(100, days=3, summary="Informational interview: Kim"))
    later = NOW + dt.timedelta(days=9)
    box.move_event(
        "evt0000004",
        {"dateTime": later.isoformat(), "timeZone": ZONE},
        {"dateTime": (later + dt.timedelta(hours=1)).isoformat(), "timeZone": ZONE},
    )
    box.cancel_event("evt0000005")

    pages = sync(client, cursor)
    changed = {e.id: e for p in pages for e in p.records}

    assert set(changed) == {"evt0000100", "evt0000004", "evt0000005"}
    assert not any(p.full_sync for p in pages)
    assert changed["evt0000004"].start == later
    assert changed["evt0000005"].cancelled
    assert changed["evt0000100"].title == "Informational interview: Kim"
    assert ids(sync(client, pages[-1].next_cursor)) == set()


@pytest.mark.parametrize("reason", [True, False], ids=["fullSyncRequired", "bare-410"])
def test_expired_cursor_restarts_a_full_sync_with_the_same_ids(
    box: Sandbox, google_client: Callable[..., GoogleClient], reason: bool
) -> None:
    # Given a stale cursor, answered with 410 fullSyncRequired or a 410 that names no reason
    client = google_client(box)
    first = sync(client)
    box.expire_sync_tokens("calendar", reason=reason)

    again = sync(client, first[-1].next_cursor)

    assert all(p.full_sync for p in again)
    assert ids(again) == ids(first)
    assert again[-1].next_cursor and ids(sync(client, again[-1].next_cursor)) == set()


def test_injected_429_and_5xx_are_retried_until_the_sync_completes(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    box.fail_next("calendar.events.list", 429, times=2)
    box.fail_next("calendar.events.list", 503, times=1)
    box.fail_next("calendar.events.list", 500, times=1)

    pages = sync(google_client(box))

    assert ids(pages) == {f"evt{i:07d}" for i in range(2, 8)}
    assert box.request_counts()["calendar.events.list"] == 5


def test_expired_access_token_is_refreshed_once_and_the_sync_goes_on(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    cursor = sync(client)[-1].next_cursor
    box.expire_access_tokens()
    box.add_event(event(101, days=2))

    pages = sync(client, cursor)

    assert ids(pages) == {"evt0000101"}
    assert box.request_counts()["oauth.token"] == 1


def test_get_event_reads_one_event(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    found = google_client(box).calendar.get_event("primary", "evt0000003")

    assert found.title == "Coffee chat 3"
    assert [a.email for a in found.attendees][1] == "guest3@example.com"


def test_watch_channel_notifications_verify_and_the_channel_stops_twice(
    box: Sandbox, google_client: Callable[..., GoogleClient]
) -> None:
    client = google_client(box)
    channel = client.calendar.watch(
        "primary", f"{box.url}/_nowhere", "chan-1", "s3cret-token", dt.timedelta(hours=1)
    )
    box.add_event(event(102, days=2))

    notifications = [n["headers"] for n in box.push_log()]
    client.calendar.stop_channel(channel.channel_id, channel.resource_id)
    client.calendar.stop_channel(channel.channel_id, channel.resource_id)

    assert channel.channel_id == "chan-1" and channel.resource_id
    assert channel.expiration is not None and channel.expiration > dt.datetime.now(dt.UTC)
    assert "s3cret-token" not in repr(channel)
    assert notifications and all(verify_channel(h, "chan-1", "s3cret-token") for h in notifications)
    assert not any(verify_channel(h, "chan-1", "guessed") for h in notifications)


def test_verify_channel_accepts_only_our_channel_and_token() -> None:
    headers = {"X-Goog-Channel-ID": "chan-1", "X-Goog-Channel-Token": "tok"}

    assert verify_channel(headers, "chan-1", "tok")
    assert not verify_channel(headers, "chan-1", "other")
    assert not verify_channel(headers, "chan-2", "tok")
    assert not verify_channel({}, "chan-1", "tok")


def test_an_attendee_without_email_is_left_out_with_a_reason(
    sandbox_factory: Factory, google_client: Callable[..., GoogleClient]
) -> None:
    odd = event(1)
    odd["attendees"].append({"displayName": "Room 4", "responseStatus": "accepted"})
    box = sandbox_factory(world(events=[odd, event(2)]))

    (page,) = sync(google_client(box))

    assert ids([page]) == {"evt0000001", "evt0000002"}
    kept = next(e for e in page.records if e.id == "evt0000001")
    assert [a.email for a in kept.attendees] == ["sam.seeker@example.com", "guest1@example.com"]
    assert [(s.record_id, s.reason) for s in page.skipped] == [
        ("evt0000001", "attendee #3 has no email address; left out of the event")
    ]
