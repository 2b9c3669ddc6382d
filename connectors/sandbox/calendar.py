"""Google Calendar v3 in the sandbox: calendars.get, events list/get/watch, channels.stop.

Every change (through the control API) gets a new sequence number; a sync token remembers the
sequence number it was issued at, so an incremental list returns what changed since then.

Events added or changed through the control API are checked as events.insert checks their
times (`calendar_store.resolve_times`, which lists what still differs); instances of a series
keep the master's wall-clock length across a DST change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from connectors.sandbox.calendar_instances import list_instances
from connectors.sandbox.calendar_params import (
    BASE,
    DEFAULT_RESULTS,
    MAX_RESULTS,
    SYNC_EXCLUSIVE,
    bad_request,
    flag,
)
from connectors.sandbox.calendar_store import (
    Calendar,
    normalize_event,
    parse_time,
    resolve_times,
    rfc3339,
    tombstone,
)
from connectors.sandbox.calendar_watch import Channels
from connectors.sandbox.http import HttpError, Request, Response, Router, bare_gone, google_error
from connectors.sandbox.push import Outbox
from connectors.sandbox.recurrence import parse_rule
from connectors.sandbox.tokens import PageLimits, decode_token, encode_token
from connectors.sandbox.values import clone, json_response


class CalendarApi:
    """The calendars of one user, their events, sync tokens and push channels."""

    def __init__(
        self,
        calendars: dict[str, Any],
        *,
        user_email: str,
        outbox: Outbox,
        now: dt.datetime | None = None,
    ) -> None:
        self.user_email = user_email
        self.now = now or dt.datetime.now(dt.UTC)
        self.seq = 0
        self.epoch = 0
        self.bare_gone = False  # stale tokens answer a 410 naming no reason
        self.limits = PageLimits()
        self._cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._cache_seq = -1
        self.calendars: dict[str, Calendar] = {}
        self.channels = Channels(outbox)
        for cal_id, data in (calendars or {"primary": {}}).items():
            self._load_calendar(cal_id, data)

    def _load_calendar(self, cal_id: str, data: dict[str, Any]) -> None:
        real_id = self.user_email if cal_id == "primary" else cal_id
        calendar = Calendar(real_id, data.get("timeZone", "UTC"), data.get("summary", real_id))
        self.calendars[real_id] = calendar
        for event in data.get("events", []):
            resolve_times(event)
            self._store(
                calendar,
                normalize_event(event, calendar=calendar, user_email=self.user_email, now=self.now),
            )

    def register(self, router: Router) -> None:
        """Serve Calendar's paths."""
        cal = BASE + "/calendars/{calendarId}"
        routes = [
            ("GET", cal, self.get_calendar, "calendar.calendars.get", False),
            ("GET", cal + "/events", self.list_events, "calendar.events.list", False),
            ("POST", cal + "/events/watch", self.watch, "calendar.events.watch", True),
            ("GET", cal + "/events/{eventId}", self.get_event, "calendar.events.get", False),
            (
                "GET",
                cal + "/events/{eventId}/instances",
                lambda request: list_instances(self, request),
                "calendar.events.instances",
                False,
            ),
            ("POST", BASE + "/channels/stop", self.stop_channel, "calendar.channels.stop", True),
        ]
        for method, path, handler, name, write in routes:
            router.add(method, path, handler, name=name, api="google", write=write)

    # --- state changes (the control API calls these under the world lock) -----------------

    def calendar(self, cal_id: str) -> Calendar:
        """The calendar named by an id ("primary" is the user's); KeyError when unknown."""
        return self.calendars[self.user_email if cal_id == "primary" else cal_id]

    def _store(self, calendar: Calendar, event: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        event["etag"] = f'"{3000000000000000 + self.seq}"'
        calendar.events[event["id"]] = event
        calendar.changed_at[event["id"]] = self.seq
        self.channels.changed(calendar.id)
        return event

    def add_event(self, cal_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Store a new event (or replace one with the same id)."""
        calendar = self.calendar(cal_id)
        if "recurrence" in event:
            parse_rule(event["recurrence"])  # refuse what cannot be expanded, before storing it
        now = dt.datetime.now(dt.UTC)
        stored = normalize_event(
            resolve_times(clone(event)), calendar=calendar, user_email=self.user_email, now=now
        )
        return clone(self._store(calendar, stored))

    def update_event(self, cal_id: str, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply top-level field changes to an event; a series instance becomes an exception."""
        calendar = self.calendar(cal_id)
        current = calendar.events.get(event_id) or calendar.find_instance(event_id)
        if current is None:
            raise KeyError(f"no event {event_id!r} in calendar {cal_id!r}")
        updated = {**clone(current), **clone(changes)}
        if "start" in changes or "end" in changes:
            resolve_times(updated)
            updated["sequence"] = int(current.get("sequence", 0)) + 1
        updated["updated"] = rfc3339(dt.datetime.now(dt.UTC))
        before = calendar.instances(current) if "recurrence" in current else []
        stored = self._store(calendar, updated)
        self._cancel_vanished(calendar, before, stored)
        return clone(stored)

    def _cancel_vanished(
        self, calendar: Calendar, before: list[dict[str, Any]], series: dict[str, Any]
    ) -> None:
        """Instances a series change removed become cancelled, so incremental syncs drop them."""
        if not before or "recurrence" not in series:
            return
        now_ids = {i["id"] for i in calendar.instances(series)}
        for instance in before:
            if instance["id"] not in now_ids and instance["id"] not in calendar.events:
                self._store(calendar, {**instance, "status": "cancelled"})

    def expire_sync_tokens(self, reason: bool = True) -> None:
        """Invalidate every sync token issued so far (410 fullSyncRequired, or a bare 410)."""
        self.epoch, self.bare_gone = self.epoch + 1, not reason

    def set_page_limits(self, max_page: int | None, empty_pages: int) -> None:
        """Page events.list oddly (short pages, leading empty pages) until set back."""
        self.limits = PageLimits(max_page, empty_pages)

    def stored_events(self, cal_id: str) -> list[dict[str, Any]]:
        """Every stored event of a calendar."""
        return clone(list(self.calendar(cal_id).events.values()))

    def snapshot(self) -> dict[str, Any]:
        """Stored events per calendar id."""
        return {cal_id: self.stored_events(cal_id) for cal_id in self.calendars}

    # --- handlers --------------------------------------------------------------------------

    def calendar_or_404(self, request: Request) -> Calendar:
        try:
            return self.calendar(request.params["calendarId"])
        except KeyError:
            raise HttpError(
                google_error(404, "Not Found", reason="notFound", grpc_status="NOT_FOUND")
            ) from None

    def get_calendar(self, request: Request) -> Response:
        """calendars.get."""
        calendar = self.calendar_or_404(request)
        return Response(200, {
            "kind": "calendar#calendar", "etag": f'"{self.seq}"', "id": calendar.id,
            "summary": calendar.summary, "timeZone": calendar.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        })  # fmt: skip

    def get_event(self, request: Request) -> Response:
        """events.get: a stored event, an exception, or a generated instance of a series."""
        calendar = self.calendar_or_404(request)
        event_id = request.params["eventId"]
        event = calendar.events.get(event_id) or calendar.find_instance(event_id)
        if event is None:
            raise HttpError(
                google_error(404, "Not Found", reason="notFound", grpc_status="NOT_FOUND")
            )
        return Response(200, clone(event))

    def list_events(self, request: Request) -> Response:
        """events.list: full or incremental, paged, with Google's parameter rules."""
        calendar = self.calendar_or_404(request)
        size = self.page_size(request)
        single = flag(request, "singleEvents")
        cursor = self.page_cursor(request)
        since = self._sync_since(request, calendar)
        if since is not None:
            items = self._cached(
                (calendar.id, single, since), lambda: self._changes(calendar, since, single)
            )
        else:
            items = self._full(calendar, request, single)
        at, page, offset = cursor.get("s", self.seq), cursor.get("n", 0), cursor.get("o", 0)
        start, end = self.limits.window(page, offset, size, len(items))
        body = self.envelope(calendar)
        body["items"] = items[start:end]
        if end < len(items) or (start == end and start < len(items)):
            body["nextPageToken"] = encode_token({"o": end, "n": page + 1, "s": at})
        else:
            body["nextSyncToken"] = encode_token({"c": calendar.id, "s": at, "e": self.epoch})
        return json_response(body)

    def envelope(self, calendar: Calendar) -> dict[str, Any]:
        updated = [e["updated"] for e in calendar.events.values()]
        return {
            "kind": "calendar#events", "etag": f'"p{self.seq}"', "summary": calendar.summary,
            "description": "", "updated": max(updated, default=rfc3339(self.now)),
            "timeZone": calendar.time_zone, "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}],
        }  # fmt: skip

    def page_size(self, request: Request) -> int:
        raw = request.arg("maxResults", str(DEFAULT_RESULTS)) or str(DEFAULT_RESULTS)
        try:
            size = int(raw)
        except ValueError:
            raise bad_request(
                f"Invalid value '{raw}'. Values must be within the range: [1, {MAX_RESULTS}]",
                location="maxResults",
            ) from None
        if size < 1:
            raise bad_request(
                f"Invalid value '{raw}'. Values must be within the range: [1, {MAX_RESULTS}]",
                location="maxResults",
            )
        return min(size, MAX_RESULTS)  # "can never be larger than 2500": larger asks are capped

    def page_cursor(self, request: Request) -> dict[str, Any]:
        token = request.arg("pageToken")
        if not token:
            return {}
        cursor = decode_token(token)
        if cursor is None or not all(isinstance(cursor.get(k), int) for k in ("o", "n", "s")):
            raise bad_request("Invalid page token value.", location="pageToken")
        return cursor

    def _sync_since(self, request: Request, calendar: Calendar) -> int | None:
        token = request.arg("syncToken")
        if token is None:
            return None
        clashing = [name for name in SYNC_EXCLUSIVE if request.arg(name) is not None]
        if clashing:
            raise bad_request(
                f"The parameter '{clashing[0]}' cannot be used together with syncToken.",
                location=clashing[0],
            )
        if (request.arg("showDeleted") or "true").lower() == "false":
            raise bad_request(
                "It is not allowed to set showDeleted to False with a syncToken.",
                location="showDeleted",
            )
        state = decode_token(token)
        if (
            state is None
            or (state.get("c"), state.get("e")) != (calendar.id, self.epoch)
            or not isinstance(state.get("s"), int)
        ):
            if self.bare_gone:
                raise bare_gone()
            response = google_error(
                410,
                "Sync token is no longer valid, a full sync is required.",
                reason="fullSyncRequired",
                grpc_status="FAILED_PRECONDITION",
            )
            raise HttpError(response)
        return int(state["s"])

    def _full(self, calendar: Calendar, request: Request, single: bool) -> list[dict[str, Any]]:
        show_deleted = flag(request, "showDeleted")
        low, high = self.window(request)
        order = request.arg("orderBy")
        if order not in (None, "startTime", "updated"):
            raise bad_request(f"Invalid value '{order}' for orderBy.", location="orderBy")
        if order == "startTime" and not single:
            raise bad_request(
                "The requested ordering is not available for the particular query.",
                location="orderBy",
            )
        key = (calendar.id, single, show_deleted, low, high, order)
        return self._cached(
            key, lambda: self._select(calendar, single, show_deleted, low, high, order)
        )

    def _cached(
        self, key: tuple[Any, ...], compute: Callable[[], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """A listing computed once per state of the world, so paging costs O(page)."""
        if self._cache_seq != self.seq or len(self._cache) > 16:
            self._cache, self._cache_seq = {}, self.seq
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _select(
        self, calendar: Calendar, single: bool, show_deleted: bool,
        low: dt.datetime | None, high: dt.datetime | None, order: str | None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        rows = []
        for event in self._expanded(calendar, single, high):
            cancelled = event.get("status") == "cancelled"
            keep = show_deleted or (cancelled and not single and "recurringEventId" in event)
            if cancelled and not keep:
                continue
            if not self.overlaps(calendar, event, low, high):
                continue
            start = event.get("updated", "") if order == "updated" else calendar.bounds(event)[0]
            rows.append((start, event["id"], tombstone(event) if cancelled else event))
        rows.sort(key=lambda row: row[:2])
        return [row[2] for row in rows]

    def window(self, request: Request) -> tuple[dt.datetime | None, dt.datetime | None]:
        bounds = []
        for name in ("timeMin", "timeMax"):
            raw = request.arg(name)
            try:
                bounds.append(parse_time(raw) if raw else None)
            except ValueError:
                raise bad_request("Bad Request", reason="badRequest", location=name) from None
        low, high = bounds
        if low and high and low >= high:
            raise bad_request(
                "The specified time range is empty.", reason="timeRangeEmpty", location="timeMax"
            )
        return low, high

    def _expanded(
        self, calendar: Calendar, single: bool, horizon: dt.datetime | None
    ) -> list[dict[str, Any]]:
        out = []
        for event in calendar.events.values():
            is_exception = "recurringEventId" in event
            if single and "recurrence" in event:
                instances = calendar.instances(event, horizon)
                if event.get("status") == "cancelled":  # a deleted series: deleted instances
                    instances = [{**i, "status": "cancelled"} for i in instances]
                out.extend(instances)
            elif not (single and is_exception and event["recurringEventId"] in calendar.events):
                out.append(event)
        return out

    def overlaps(
        self,
        calendar: Calendar,
        event: dict[str, Any],
        low: dt.datetime | None,
        high: dt.datetime | None,
    ) -> bool:
        if "recurrence" in event:
            instances = calendar.instances(event, high)
            return any(self.overlaps(calendar, i, low, high) for i in instances)
        start, end = calendar.bounds(event)
        return (low is None or end > low) and (high is None or start < high)

    def _changes(self, calendar: Calendar, since: int, single: bool) -> list[dict[str, Any]]:
        changed = [calendar.events[i] for i, seq in calendar.changed_at.items() if seq > since]
        items: list[dict[str, Any]] = []
        for event in changed:
            if single and "recurrence" in event:
                series = calendar.instances(event)
                if event.get("status") == "cancelled":
                    series = [{**i, "status": "cancelled"} for i in series]
                items.extend(series)
            else:
                items.append(event)
        return [tombstone(e) if e.get("status") == "cancelled" else e for e in items]

    def watch(self, request: Request) -> Response:
        """events.watch: open a push channel on a calendar's events."""
        calendar = self.calendar_or_404(request)
        return Response(
            200,
            self.channels.open(
                calendar.id, request.json(), f"{BASE}/calendars/{calendar.id}/events"
            ),
        )

    def stop_channel(self, request: Request) -> Response:
        """channels.stop: close a channel (204, empty)."""
        self.channels.stop(request.json())
        return Response(204, None)
