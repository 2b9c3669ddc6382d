"""Google Calendar: incremental event sync, single events, and push-notification channels.

The first sync covers events ending after `window_start` (and every later one); the pass ends
with a sync token, and later syncs ask only for what changed since. A stale token (410
fullSyncRequired) restarts a full sync whose pages are flagged `full_sync`: the ids are the same,
so nothing downstream is duplicated.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import structlog

from connectors.errors import NotFound
from connectors.google.calendar_events import normalize_event
from connectors.google.calls import execute
from connectors.google.paging import replies, sync_pages
from connectors.policy import RetryPolicy
from connectors.records import CalendarChannel, CalendarEvent, CalendarPage, Skipped

log = structlog.get_logger(__name__)

MAX_RESULTS = 2500  # the largest page events.list allows


class CalendarClient:
    """Calendar v3 calls on a per-thread service object (see GoogleClient)."""

    def __init__(self, service: Callable[[], Any], policy: RetryPolicy) -> None:
        self._service = service
        self._policy = policy

    def sync(
        self,
        calendar_id: str,
        cursor: str | None,
        *,
        window_start: dt.datetime,
        window_end: dt.datetime | None = None,
    ) -> Iterator[CalendarPage]:
        """Pages of changed events; the last page carries the sync token to resume from.

        A full sync reads the events between `window_start` and `window_end` (Google expands
        a series with no end decades ahead: the end bounds it); an incremental one cannot be
        bounded (Google refuses timeMin/timeMax beside a sync token).
        """
        window = (window_start, window_end)
        return sync_pages(
            lambda sync_token, page_token: self._request(
                calendar_id, sync_token, window, page_token
            ),
            events_page,
            cursor,
            policy=self._policy,
            operation="calendar.events.list",
            resync_event="calendar.resync",
            calendar_id=calendar_id,
        )

    def instances(
        self, calendar_id: str, series_id: str, start: dt.datetime, end: dt.datetime
    ) -> Iterator[CalendarPage]:
        """The instances of one recurring series between `start` and `end` (cancelled ones
        included), by page; NotFound when the series is gone."""

        def request(page_token: str | None) -> Any:
            return (
                self._service()
                .events()
                .instances(
                    calendarId=calendar_id,
                    eventId=series_id,
                    timeMin=_rfc3339(start),
                    timeMax=_rfc3339(end),
                    showDeleted=True,
                    maxResults=MAX_RESULTS,
                    pageToken=page_token,
                )
            )

        pages = replies(request, policy=self._policy, operation="calendar.events.instances")
        for reply, last in pages:
            yield events_page(reply, full_sync=False, last=last)

    def time_zone(self, calendar_id: str) -> str:
        """The calendar's time zone, by reading one event (a check that it can be read)."""
        request = self._service().events().list(calendarId=calendar_id, maxResults=1)
        reply = execute(request.execute, policy=self._policy, operation="calendar.events.list")
        return str(reply.get("timeZone") or "")

    def get_event(self, calendar_id: str, event_id: str) -> CalendarEvent:
        """One event (or instance) as it is now; NotFound when it is gone or unusable."""
        request = self._service().events().get(calendarId=calendar_id, eventId=event_id)
        item = execute(request.execute, policy=self._policy, operation="calendar.events.get")
        event, skipped = normalize_event(item, None)
        if event is None:
            raise NotFound(f"Calendar event {event_id} cannot be used: {skipped[0].reason}")
        return event

    def watch(
        self, calendar_id: str, address: str, channel_id: str, token: str, ttl: dt.timedelta
    ) -> CalendarChannel:
        """Open a push channel that POSTs to `address` on every change of the calendar's events."""
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(int(ttl.total_seconds()))},
        }
        request = self._service().events().watch(calendarId=calendar_id, body=body)
        # Not retried blindly: Google refuses a second watch with the same channel id. After an
        # AmbiguousWrite, watch again with a new channel id; a lost channel just expires.
        reply = execute(
            request.execute,
            policy=self._policy,
            operation="calendar.events.watch",
            idempotent=False,
        )
        return CalendarChannel(
            channel_id=reply.get("id", channel_id),
            resource_id=reply["resourceId"],
            expiration=_from_millis(reply.get("expiration")),
            token=token,
        )

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Stop a push channel; a channel that is already gone counts as stopped."""
        request = (
            self._service().channels().stop(body={"id": channel_id, "resourceId": resource_id})
        )
        try:
            execute(request.execute, policy=self._policy, operation="calendar.channels.stop")
        except NotFound:
            log.info("calendar.channel_already_gone", channel_id=channel_id)

    def _request(
        self,
        calendar_id: str,
        cursor: str | None,
        window: tuple[dt.datetime, dt.datetime | None],
        page_token: str | None,
    ) -> Any:
        """The events.list request for one page."""
        params: dict[str, Any] = {
            "singleEvents": True,
            "showDeleted": True,
            "maxResults": MAX_RESULTS,
        }
        if cursor:
            params["syncToken"] = cursor
        else:
            params["timeMin"] = _rfc3339(window[0])
            if window[1] is not None:
                params["timeMax"] = _rfc3339(window[1])
        return self._service().events().list(calendarId=calendar_id, pageToken=page_token, **params)


def verify_channel(
    headers: Mapping[str, str], expected_channel_id: str, expected_token: str
) -> bool:
    """True when a push notification names our channel and carries its token (constant time)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    channel = lowered.get("x-goog-channel-id", "").encode()
    token = lowered.get("x-goog-channel-token", "").encode()
    same_channel = hmac.compare_digest(channel, expected_channel_id.encode())
    same_token = hmac.compare_digest(token, expected_token.encode())
    return same_channel and same_token


def new_channel_id() -> str:
    """A fresh, unguessable channel id (Google allows [A-Za-z0-9-_+/=], up to 64 characters)."""
    return uuid.uuid4().hex


def events_page(reply: dict[str, Any], *, full_sync: bool, last: bool) -> CalendarPage:
    """One events.list response as a CalendarPage (the cursor only on the last page)."""
    time_zone = reply.get("timeZone")
    events: list[CalendarEvent] = []
    skipped: list[Skipped] = []
    for item in reply.get("items", []):
        event, dropped = normalize_event(item, time_zone)
        skipped.extend(dropped)
        if event is not None:
            events.append(event)
    for entry in skipped:
        log.warning(
            "calendar.skipped", source=entry.source, record_id=entry.record_id, reason=entry.reason
        )
    return CalendarPage(
        records=tuple(events),
        skipped=tuple(skipped),
        next_cursor=reply.get("nextSyncToken") if last else None,
        full_sync=full_sync,
        last=last,
        calendar_time_zone=time_zone,
    )


def _rfc3339(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("window_start must be an aware datetime")
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _from_millis(value: str | int | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
