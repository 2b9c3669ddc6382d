"""Calendar v3 in the sandbox, driven through the real google-api-python-client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from tests.connectors.sandbox.helpers import Receiver, call, service

TZ = "America/New_York"


def _event(n: int) -> dict[str, Any]:
    day = 1 + n % 28
    return {
        "id": f"bulk{n:05d}",
        "summary": f"Event {n}",
        "start": {"dateTime": f"2026-04-{day:02d}T{8 + n % 9:02d}:00:00-04:00"},
        "end": {"dateTime": f"2026-04-{day:02d}T{8 + n % 9:02d}:30:00-04:00"},
    }


def _pages(cal: Any, **params: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = cal.events().list(calendarId="primary", pageToken=token, **params).execute()
        yield page
        token = page.get("nextPageToken")
        if not token:
            return


@pytest.fixture
def cal(sandbox: Sandbox) -> Any:
    return service(sandbox, "calendar")


def test_calendar_get_tells_the_time_zone(cal: Any, sandbox: Sandbox) -> None:
    calendar = cal.calendars().get(calendarId="primary").execute()
    assert calendar["timeZone"] == TZ
    assert calendar["id"] == sandbox.user_email


def test_single_events_expands_a_weekly_series_across_daylight_saving(cal: Any) -> None:
    items = (
        cal.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )
    standups = [e for e in items if e.get("recurringEventId") == "evtstandup01"]
    assert [e["start"]["dateTime"] for e in standups] == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-04T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",  # still 9:00 local after the clocks changed
        "2026-03-11T09:00:00-04:00",
    ]
    assert standups[0]["id"] == "evtstandup01_20260302T140000Z"
    assert standups[0]["originalStartTime"] == standups[0]["start"]


def test_without_single_events_the_series_master_is_listed_once(cal: Any) -> None:
    items = cal.events().list(calendarId="primary").execute()["items"]
    masters = [e for e in items if e["id"] == "evtstandup01"]
    assert len(masters) == 1 and masters[0]["recurrence"]


def test_time_min_bounds_the_end_and_time_max_the_start(cal: Any) -> None:
    items = cal.events().list(
        calendarId="primary", singleEvents=True,
        timeMin="2026-03-02T09:10:00-05:00", timeMax="2026-03-02T10:00:00-05:00",
    ).execute()["items"]  # fmt: skip
    # the standup (9:00-9:15) still runs at 9:10; the interview starts exactly at timeMax
    assert [e["id"] for e in items] == ["evtstandup01_20260302T140000Z"]


def test_paging_through_many_events_returns_each_once(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    fixture = small_fixture()
    fixture["google"]["calendars"]["primary"]["events"] = [_event(n) for n in range(600)]
    cal = service(sandbox_factory(fixture), "calendar")
    pages = list(_pages(cal, maxResults=250))
    ids = [e["id"] for p in pages for e in p["items"]]
    assert len(pages) == 3 and sorted(ids) == sorted(
        {e["id"] for e in fixture["google"]["calendars"]["primary"]["events"]}
    )
    assert all("nextSyncToken" not in p for p in pages[:-1]) and "nextSyncToken" in pages[-1]


def test_short_and_empty_pages_while_more_remain(cal: Any, sandbox: Sandbox) -> None:
    sandbox.set_page_limits("calendar", max_page=1, empty_pages=2)
    pages = list(_pages(cal, singleEvents=True))
    assert [len(p["items"]) for p in pages] == [0, 0, 1, 1, 1, 1, 1]


def test_max_results_is_capped_and_zero_is_refused(cal: Any, sandbox: Sandbox) -> None:
    assert cal.events().list(calendarId="primary", maxResults=5000).execute()["items"]
    status, body = call(sandbox, "GET", "/calendar/v3/calendars/primary/events?maxResults=0")
    assert status == 400 and body["error"]["errors"][0]["reason"] == "invalid"


def test_incremental_sync_returns_only_changes_with_minimal_tombstones(
    cal: Any, sandbox: Sandbox
) -> None:
    token = list(_pages(cal, singleEvents=True))[-1]["nextSyncToken"]
    again = cal.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    assert again["items"] == []
    sandbox.cancel_event("evtstandup01_20260304T140000Z")
    sandbox.move_event(
        "evtinterviewada01",
        {"dateTime": "2026-03-03T10:00:00-05:00"},
        {"dateTime": "2026-03-03T10:30:00-05:00"},
    )
    changes = (
        cal.events()
        .list(calendarId="primary", singleEvents=True, syncToken=again["nextSyncToken"])
        .execute()
    )
    by_id = {e["id"]: e for e in changes["items"]}
    assert by_id["evtinterviewada01"]["start"]["dateTime"] == "2026-03-03T10:00:00-05:00"
    tomb = by_id["evtstandup01_20260304T140000Z"]
    assert set(tomb) == {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    assert tomb["status"] == "cancelled"


def test_show_deleted_lists_cancelled_events(cal: Any, sandbox: Sandbox) -> None:
    sandbox.cancel_event("evtinterviewada01")
    assert "evtinterviewada01" not in {
        e["id"] for e in cal.events().list(calendarId="primary").execute()["items"]
    }
    shown = cal.events().list(calendarId="primary", showDeleted=True).execute()["items"]
    assert {"id": "evtinterviewada01", "status": "cancelled"}.items() <= next(
        e for e in shown if e["id"] == "evtinterviewada01"
    ).items()


@pytest.mark.parametrize(
    "param", [{"timeMin": "2026-03-01T00:00:00Z"}, {"orderBy": "updated"}, {"q": "x"}]
)
def test_parameters_google_rejects_beside_a_sync_token(cal: Any, param: dict[str, str]) -> None:
    token = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    with pytest.raises(HttpError) as caught:
        cal.events().list(calendarId="primary", syncToken=token, **param).execute()
    assert caught.value.resp.status == 400


def test_expired_or_unknown_sync_token_is_410_full_sync_required(
    cal: Any, sandbox: Sandbox
) -> None:
    token = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    sandbox.expire_sync_tokens()
    for bad in (token, "garbage"):
        with pytest.raises(HttpError) as caught:
            cal.events().list(calendarId="primary", syncToken=bad).execute()
        assert caught.value.resp.status == 410
        assert caught.value.error_details[0]["reason"] == "fullSyncRequired"
    fresh = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    assert cal.events().list(calendarId="primary", syncToken=fresh).execute()["items"] == []


def test_a_bare_410_naming_no_reason_can_be_staged_over_http(cal: Any, sandbox: Sandbox) -> None:
    token = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    status, _ = call(
        sandbox, "POST", "/_sandbox/expire_sync_tokens", {"api": "calendar", "reason": False}
    )
    assert status == 200
    with pytest.raises(HttpError) as caught:
        cal.events().list(calendarId="primary", syncToken=token).execute()
    assert caught.value.resp.status == 410
    assert b"reason" not in caught.value.content


def test_local_times_are_read_in_the_events_zone_and_served_with_their_offset(
    cal: Any, sandbox: Sandbox
) -> None:
    # 00:30 on 2026-11-01 is EDT; 02:00 is EST (New York's clocks went back at 02:00 EDT)
    sandbox.add_event(
        {
            "id": "evtlocal",
            "start": {"dateTime": "2026-11-01T00:30:00", "timeZone": TZ},
            "end": {"dateTime": "2026-11-01T02:00:00", "timeZone": TZ},
        }
    )
    served = cal.events().get(calendarId="primary", eventId="evtlocal").execute()
    assert served["start"] == {"dateTime": "2026-11-01T00:30:00-04:00", "timeZone": TZ}
    assert served["end"] == {"dateTime": "2026-11-01T02:00:00-05:00", "timeZone": TZ}


def test_event_times_are_checked_as_events_insert_checks_them(sandbox: Sandbox) -> None:
    def times(start: dict[str, str], end: dict[str, str]) -> dict[str, Any]:
        return {"summary": "x", "start": start, "end": end}

    refused = {
        "Missing time zone definition for start time.": times(
            {"dateTime": "2026-11-01T00:30:00"}, {"dateTime": "2026-11-01T01:00:00Z"}
        ),
        "Invalid time zone definition for end time.": times(
            {"dateTime": "2026-11-01T00:30:00Z"},
            {"dateTime": "2026-11-01T01:00:00", "timeZone": "Mars/Olympus"},
        ),
        "Invalid value for start.dateTime": times(
            {"dateTime": "0000-12-31T10:00:00Z"}, {"dateTime": "2026-11-01T01:00:00Z"}
        ),
        "The specified time range is empty.": times(
            {"dateTime": "2026-11-01T01:30:00-05:00"}, {"dateTime": "2026-11-01T01:15:00-05:00"}
        ),
    }
    for message, event in refused.items():
        with pytest.raises(ValueError, match=message):
            sandbox.add_event(event)
    # Times are compared as instants: 01:30 EDT to 01:15 EST is 45 minutes, not backwards
    sandbox.add_event(
        times({"dateTime": "2026-11-01T01:30:00-04:00"}, {"dateTime": "2026-11-01T01:15:00-05:00"})
    )
    # Placeholder years are events Google holds: Followthrough must cope with them
    sandbox.add_event(
        times({"dateTime": "0001-01-01T10:00:00Z"}, {"dateTime": "0001-01-01T11:00:00Z"})
    )
    # and moving the start alone past the end is refused like any other empty range
    sandbox.add_event(
        {
            "id": "evtmove",
            **times({"dateTime": "2026-03-04T10:00:00Z"}, {"dateTime": "2026-03-04T10:30:00Z"}),
        }
    )
    with pytest.raises(ValueError, match="time range is empty"):
        sandbox.update_event("evtmove", {"start": {"dateTime": "2026-03-04T11:00:00Z"}})


def test_get_an_instance_and_a_missing_event(cal: Any) -> None:
    instance = (
        cal.events().get(calendarId="primary", eventId="evtstandup01_20260309T130000Z").execute()
    )
    assert instance["recurringEventId"] == "evtstandup01"
    with pytest.raises(HttpError) as caught:
        cal.events().get(calendarId="primary", eventId="nope").execute()
    assert caught.value.resp.status == 404


def test_watch_pushes_sync_then_exists_until_stopped(cal: Any, sandbox: Sandbox) -> None:
    receiver = Receiver()
    try:
        channel = (
            cal.events()
            .watch(
                calendarId="primary",
                body={
                    "id": "chan-1",
                    "type": "web_hook",
                    "address": receiver.url,
                    "token": "secret-t",
                },
            )
            .execute()
        )
        sandbox.add_event(
            {
                "summary": "Coffee",
                "start": {"dateTime": "2026-03-05T08:00:00Z"},
                "end": {"dateTime": "2026-03-05T08:30:00Z"},
            }
        )
        sandbox.cancel_event("evtinterviewada01")
        sandbox.push_log()
        cal.channels().stop(body={"id": "chan-1", "resourceId": channel["resourceId"]}).execute()
        sandbox.cancel_event("evtstandup01")
        sandbox.push_log()
        states = [
            (h["x-goog-resource-state"], h["x-goog-message-number"]) for h in receiver.received
        ]
        assert states == [("sync", "1"), ("exists", "2"), ("exists", "3")]
        first = receiver.received[0]
        assert (
            first["x-goog-channel-id"] == "chan-1" and first["x-goog-channel-token"] == "secret-t"
        )
        assert first["x-goog-resource-id"] == channel["resourceId"]
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "address", ["http://ft.example.com/webhooks/calendar", "http://10.0.0.7/webhooks/calendar"]
)
def test_watch_refuses_an_address_that_is_not_https_as_google_does(cal: Any, address: str) -> None:
    with pytest.raises(HttpError) as caught:
        cal.events().watch(
            calendarId="primary", body={"id": "chan-http", "type": "web_hook", "address": address}
        ).execute()

    assert caught.value.resp.status == 400
    assert caught.value.error_details[0]["reason"] == "push.webhookUrlNotHttps"
    assert f"WebHook callback must be HTTPS: {address}" in str(caught.value)


@pytest.mark.parametrize(
    "address", ["https://127.0.0.1:1/webhooks/calendar", "http://localhost:1/webhooks/calendar"]
)
def test_watch_takes_an_https_address_or_a_loopback_one(cal: Any, address: str) -> None:
    body = {"id": "chan-ok", "type": "web_hook", "address": address}

    channel = cal.events().watch(calendarId="primary", body=body).execute()

    assert channel["id"] == "chan-ok"


def test_stopping_an_unknown_channel_is_404(cal: Any) -> None:
    with pytest.raises(HttpError) as caught:
        cal.channels().stop(body={"id": "nope", "resourceId": "x"}).execute()
    assert caught.value.resp.status == 404


def test_moving_one_instance_makes_an_exception_that_keeps_its_original_start(
    cal: Any, sandbox: Sandbox
) -> None:
    sandbox.move_event(
        "evtstandup01_20260304T140000Z",
        {"dateTime": "2026-03-05T09:00:00-05:00"},
        {"dateTime": "2026-03-05T09:15:00-05:00"},
    )
    items = cal.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    moved = next(e for e in items if e["id"] == "evtstandup01_20260304T140000Z")
    assert moved["start"]["dateTime"] == "2026-03-05T09:00:00-05:00"
    assert moved["originalStartTime"]["dateTime"] == "2026-03-04T09:00:00-05:00"
    assert len([e for e in items if e.get("recurringEventId") == "evtstandup01"]) == 4


def test_all_day_series_instances_have_date_ids(sandbox_factory: Callable[..., Sandbox]) -> None:
    fixture = small_fixture()
    fixture["google"]["calendars"]["primary"]["events"] = [
        {
            "id": "fair",
            "summary": "Career fair",
            "start": {"date": "2026-03-10"},
            "end": {"date": "2026-03-11"},
            "recurrence": ["RRULE:FREQ=DAILY;INTERVAL=7;UNTIL=20260324"],
        }
    ]
    cal = service(sandbox_factory(fixture), "calendar")
    items = cal.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert [(e["id"], e["start"]) for e in items] == [
        ("fair_20260310", {"date": "2026-03-10"}),
        ("fair_20260317", {"date": "2026-03-17"}),
        ("fair_20260324", {"date": "2026-03-24"}),
    ]


def test_sync_tokens_of_one_api_expire_alone(cal: Any, sandbox: Sandbox) -> None:
    token = cal.events().list(calendarId="primary").execute()["nextSyncToken"]
    sandbox.expire_sync_tokens("people")
    assert cal.events().list(calendarId="primary", syncToken=token).execute()["items"] == []


def test_a_deleted_series_shows_as_deleted_instances(cal: Any, sandbox: Sandbox) -> None:
    sandbox.cancel_event("evtstandup01")
    visible = cal.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert [e["id"] for e in visible] == ["evtinterviewada01"]
    shown = cal.events().list(calendarId="primary", singleEvents=True, showDeleted=True).execute()
    deleted = [e for e in shown["items"] if e.get("recurringEventId") == "evtstandup01"]
    assert len(deleted) == 4 and {e["status"] for e in deleted} == {"cancelled"}


def test_moving_a_series_cancels_the_instances_it_no_longer_has(cal: Any, sandbox: Sandbox) -> None:
    token = cal.events().list(calendarId="primary", singleEvents=True).execute()["nextSyncToken"]
    sandbox.move_event(
        "evtstandup01",
        {"dateTime": "2026-03-02T10:00:00-05:00", "timeZone": TZ},
        {"dateTime": "2026-03-02T10:15:00-05:00", "timeZone": TZ},
    )
    changes = cal.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    states = {e["id"]: e["status"] for e in changes["items"]}
    assert states["evtstandup01_20260302T140000Z"] == "cancelled"
    assert states["evtstandup01_20260302T150000Z"] == "confirmed"
    listed = cal.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert len([e for e in listed if e.get("recurringEventId") == "evtstandup01"]) == 4
