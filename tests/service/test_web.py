"""The web app over real HTTP: webhook verification, probes, metrics, body limit, status page."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from markupsafe import escape

from service.metrics import SYNCS
from service.web.app import create_app
from service.web.context import BasicContext
from service.web.server import WebServer
from workflows.queries.home import Home
from workflows.queries.status import (
    ConnectorStatus,
    RecentError,
    StatusSnapshot,
    WaitingMeeting,
)
from workflows.store.db import Database
from workflows.week.glance import Due, Interview, Stage, ThankYouWaiting
from workflows.week.recent import Funnel, Recent

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CHANNEL, CHANNEL_TOKEN = "chan-1", "channel-token-0123456789"
WEBHOOK, MAC_SECRET = "achWebhook0001", b"\x01\x02mac-secret-bytes\xff"
LIMIT = 4096


@dataclass
class RecordingContext:
    """A web context with one known channel and webhook, recording what gets enqueued."""

    ready: dict[str, bool] = field(default_factory=lambda: {"database": True, "broker": True})
    snapshot: StatusSnapshot = field(default_factory=lambda: StatusSnapshot(generated_at=NOW))
    week: Home | None = None  # None: a week with nothing in it beside `snapshot`
    calendar_syncs: list[str] = field(default_factory=list)
    airtable_fetches: list[str] = field(default_factory=list)

    def calendar_channel_owners(self, channel_id: str) -> list[tuple[str, str]]:
        return [("default", CHANNEL_TOKEN)] if channel_id == CHANNEL else []

    def enqueue_calendar_sync(self, account: str, channel_id: str) -> None:
        self.calendar_syncs.append(channel_id)

    def airtable_webhook_owners(self, webhook_id: str) -> list[tuple[str, bytes]]:
        return [("default", MAC_SECRET)] if webhook_id == WEBHOOK else []

    def enqueue_airtable_fetch(self, account: str, webhook_id: str) -> None:
        self.airtable_fetches.append(webhook_id)

    def check_ready(self) -> dict[str, bool]:
        return dict(self.ready)

    def home(self) -> Home:
        return self.week or Home.of_health(self.snapshot)


@pytest.fixture
def context() -> RecordingContext:
    return RecordingContext()


@pytest.fixture
def url(context: RecordingContext) -> Iterator[str]:
    """The base URL of the app served by uvicorn on a free port."""
    with WebServer(create_app(context, max_body_bytes=LIMIT)) as server:
        yield server.url


def calendar_headers(channel: str = CHANNEL, token: str | None = CHANNEL_TOKEN) -> dict[str, str]:
    headers = {"X-Goog-Channel-ID": channel, "X-Goog-Resource-State": "exists"}
    if token is not None:
        headers["X-Goog-Channel-Token"] = token
    return headers


def ping_body(webhook: str = WEBHOOK) -> bytes:
    # Spacing and key order a re-serialization would change: the MAC is over these exact bytes.
    return (
        b'{"timestamp":"2026-03-02T09:00:00.000Z",  "webhook": {"id": "'
        + webhook.encode()
        + b'"}, "base": {"id": "appBase"}}'
    )


def mac(body: bytes, secret: bytes = MAC_SECRET) -> str:
    return "hmac-sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


# --- Google Calendar push notifications ---------------------------------------------------------


def test_a_verified_calendar_notification_enqueues_a_sync(url: str, context: RecordingContext):
    response = requests.post(f"{url}/webhooks/google/calendar", headers=calendar_headers())

    assert response.status_code == 200
    assert context.calendar_syncs == [CHANNEL]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (calendar_headers(channel="chan-unknown"), 404),
        ({"X-Goog-Resource-State": "exists"}, 404),
        (calendar_headers(token="wrong-token"), 403),
        (calendar_headers(token=None), 403),
    ],
)
def test_an_unverified_calendar_notification_enqueues_nothing(
    url: str, context: RecordingContext, headers: dict[str, str], status: int
):
    response = requests.post(f"{url}/webhooks/google/calendar", headers=headers)

    assert response.status_code == status
    assert context.calendar_syncs == []


def test_the_channel_confirmation_message_needs_no_sync(url: str, context: RecordingContext):
    headers = {**calendar_headers(), "X-Goog-Resource-State": "sync"}

    response = requests.post(f"{url}/webhooks/google/calendar", headers=headers)

    assert response.status_code == 200
    assert context.calendar_syncs == []


# --- Airtable webhook pings ---------------------------------------------------------------------


def test_a_ping_with_a_good_mac_over_the_raw_body_enqueues_a_fetch(
    url: str, context: RecordingContext
):
    body = ping_body()

    response = requests.post(
        f"{url}/webhooks/airtable", data=body, headers={"X-Airtable-Content-MAC": mac(body)}
    )

    assert response.status_code == 200
    assert context.airtable_fetches == [WEBHOOK]


@pytest.mark.parametrize(
    ("body", "header", "status"),
    [
        (ping_body(), mac(ping_body(), b"another secret"), 401),
        (ping_body(), mac(ping_body() + b" "), 401),
        (ping_body(), None, 401),
        (ping_body(), "sha1=abc", 401),
        (b"{not json", mac(b"{not json"), 400),
        (b'{"webhook": "ach"}', mac(b'{"webhook": "ach"}'), 400),
        (ping_body("achUnknown"), mac(ping_body("achUnknown")), 404),
    ],
)
def test_a_bad_ping_is_refused_and_enqueues_nothing(
    url: str, context: RecordingContext, body: bytes, header: str | None, status: int
):
    headers = {"X-Airtable-Content-MAC": header} if header else {}

    response = requests.post(f"{url}/webhooks/airtable", data=body, headers=headers)

    assert response.status_code == status
    assert context.airtable_fetches == []


def test_a_body_that_is_not_a_ping_is_told_so(url: str, context: RecordingContext):
    for body in (b"{not json", b'{"webhook": {"id": ""}}', b'{"webhook": {"id": 7}}'):
        headers = {"X-Airtable-Content-MAC": mac(body)}

        response = requests.post(f"{url}/webhooks/airtable", data=body, headers=headers)

        assert response.status_code == 400, body
        assert response.json() == {"detail": "body is not an Airtable webhook ping"}
    assert context.airtable_fetches == []


def test_a_replayed_ping_only_asks_for_another_read(url: str, context: RecordingContext):
    body = ping_body()
    for _ in range(3):
        requests.post(
            f"{url}/webhooks/airtable", data=body, headers={"X-Airtable-Content-MAC": mac(body)}
        )

    assert context.airtable_fetches == [WEBHOOK] * 3


# --- body limit, probes, metrics, schema --------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413(url: str, context: RecordingContext):
    big = b"x" * (LIMIT + 1)

    declared = requests.post(
        f"{url}/webhooks/airtable", data=big, headers={"X-Airtable-Content-MAC": mac(big)}
    )
    streamed = requests.post(
        f"{url}/webhooks/airtable",
        data=iter([big[:LIMIT], big[LIMIT:]]),  # chunked: no Content-Length to trust
        headers={"X-Airtable-Content-MAC": mac(big)},
    )

    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert context.airtable_fetches == []


def test_healthz_answers_while_the_process_lives(url: str):
    assert requests.get(f"{url}/healthz").json() == {"status": "ok"}


def test_readyz_says_what_is_down(url: str, context: RecordingContext):
    assert requests.get(f"{url}/readyz").status_code == 200

    context.ready["broker"] = False
    response = requests.get(f"{url}/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def database_reachable(url: str) -> Callable[[], bool]:
    """A readiness check as the service makes one: the store answers SELECT 1."""
    database = Database(url)

    def check() -> bool:
        database.ping()
        return True

    return check


def test_readyz_checks_a_real_database(tmp_path: Path):
    snapshot = lambda: Home.of_health(StatusSnapshot(generated_at=NOW))  # noqa: E731
    good = BasicContext(
        {"database": database_reachable(f"sqlite:///{tmp_path / 'ft.db'}")}, snapshot
    )
    bad = BasicContext(
        {"database": database_reachable("postgresql+psycopg://nobody@127.0.0.1:1/none")}, snapshot
    )

    with WebServer(create_app(good)) as up, WebServer(create_app(bad)) as down:
        assert requests.get(f"{up.url}/readyz").status_code == 200
        response = requests.get(f"{down.url}/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]


def test_metrics_are_served_in_prometheus_format(url: str):
    SYNCS.labels(source="calendar", outcome="ok").inc()

    response = requests.get(f"{url}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'followthrough_syncs_total{outcome="ok",source="calendar"}' in text
    for name in ("records", "effects", "errors", "tasks"):
        assert f"# TYPE followthrough_{name}_total counter" in text
    assert "# TYPE followthrough_queue_lag_seconds histogram" in text


def test_metrics_count_what_the_status_page_draws(url: str, context: RecordingContext):
    # Given a week with contacts at a stage, a funnel, two thank-yous seen sent and one late
    late = ThankYouWaiting("Send Kurt a thank-you", "Kurt Gödel", NOW, -5)
    context.week = replace(
        Home.of_health(StatusSnapshot(generated_at=NOW, account="ada")),
        thank_yous=(late,),
        pipeline=(Stage("Met", 3),),
        recent=Recent(NOW.date(), Funnel(asks=4, replies=2, meetings=1), (3.0, 20.0)),
    )

    # When Prometheus scrapes
    text = requests.get(f"{url}/metrics").text

    # Then the counts behind the pictures and lists are there
    for line in (
        'followthrough_contacts{account="ada",stage="Met"} 3.0',
        'followthrough_funnel_last_90_days{account="ada",stage="asks"} 4.0',
        'followthrough_funnel_last_90_days{account="ada",stage="replies"} 2.0',
        'followthrough_funnel_last_90_days{account="ada",stage="introductions"} 0.0',
        'followthrough_thank_yous_sent_last_90_days{account="ada",hours="0-6"} 1.0',
        'followthrough_thank_yous_sent_last_90_days{account="ada",hours="12-24"} 1.0',
        'followthrough_week_items{account="ada",overdue="yes",section="thank_yous"} 1.0',
    ):
        assert line in text, line


def test_the_openapi_schema_lists_every_endpoint(url: str):
    schema = requests.get(f"{url}/openapi.json").json()

    assert set(schema["paths"]) >= {
        "/webhooks/google/calendar",
        "/webhooks/airtable",
        "/healthz",
        "/readyz",
        "/metrics",
        "/",
    }


# --- the status page ----------------------------------------------------------------------------


def test_the_status_page_shows_a_failing_connector_in_red_with_its_reason(
    url: str, context: RecordingContext
):
    context.snapshot = StatusSnapshot(
        generated_at=NOW,
        connectors=(
            ConnectorStatus("Google Calendar", last_success=NOW - dt.timedelta(minutes=4)),
            ConnectorStatus(
                "Airtable",
                last_success=NOW - dt.timedelta(minutes=2),
                error="401: token revoked <script>; run `followthrough airtable init`",
            ),
            ConnectorStatus("Google Contacts", last_success=NOW - dt.timedelta(hours=5)),
            ConnectorStatus("Google Tasks"),
        ),
    )

    page = requests.get(url + "/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<tr class="connector" data-state="failing">\n    <td>Airtable</td>' in html
    assert '<span class="reason">401: token revoked &lt;script&gt;' in html
    assert "<script>" not in html
    assert '<td class="state state-ok">ok</td>' in html
    assert '<td class="state state-stale">stale</td>' in html
    assert '<td class="state state-never-synced">never synced</td>' in html
    assert html.count('state-ok">ok<') == 1  # the failing Airtable is not shown as OK


def test_the_status_page_lists_the_week_waiting_meetings_and_errors(
    url: str, context: RecordingContext
):
    health = StatusSnapshot(
        generated_at=NOW,
        account="ada",
        waiting_meetings=(
            WaitingMeeting("Coffee chat with Grace", "Grace Hopper", NOW, ("thank-you draft",)),
        ),
        recent_errors=(RecentError(NOW, "calendar", "sync token expired; resynced from scratch"),),
    )
    draft = "https://mail.google.com/mail/u/0/#drafts?compose=abc"
    context.week = replace(
        Home.of_health(health),
        thank_yous=(
            ThankYouWaiting("Send Ada a thank-you", "Ada Lovelace", NOW, 5, draft),
            ThankYouWaiting("Send Kurt a thank-you", "Kurt Gödel", NOW, -30),
        ),
        interviews=(Interview("Coffee chat with Alan", "Alan Turing", NOW + dt.timedelta(days=1)),),
        promises=(Due("Send Grace the article", "Grace Hopper", dt.date(2026, 3, 9), False),),
        updates=(Due("Send Alan an update", "Alan Turing", dt.date(2026, 3, 1), True),),
    )

    html = requests.get(url + "/").text

    for text in (
        "Coffee chat with Grace",
        "thank-you draft",
        "Coffee chat with Alan",
        "Tue 3 Mar 09:00",
        "Send Grace the article",
        "due Mon 9 Mar",
        f'<a href="{draft}">Open the draft',
        '<span class="soon">5 hours left</span>',
        '<span class="overdue">overdue by 30 hours</span>',
        '<span class="overdue">overdue, due Sun 1 Mar</span>',
        "sync token expired; resynced from scratch",
        "<strong>ada</strong>",
        "2 overdue",
    ):
        assert text in html, text
    assert "No connector has reported yet." in html


# Texts of the week the page does not show, and why (every other text must be on the page).
NOT_SHOWN = {
    "home.health.open_follow_ups[0].title": "the week's lists show the open follow-ups",
    "home.health.open_follow_ups[0].contact": "the week's lists show the open follow-ups",
    "home.health.open_follow_ups[0].kind": "the week's lists show the open follow-ups",
    "home.health.reminders_due[0].title": "the week's updates due show them",
    "home.health.reminders_due[0].contact": "the week's updates due show them",
    "home.health.reminders_due[0].kind": "the week's updates due show them",
    "home.health.late_thank_yous[0].title": "the thank-yous show how late each is",
    "home.health.late_thank_yous[0].contact": "the thank-yous show how late each is",
    "home.health.late_thank_yous[0].kind": "the thank-yous show how late each is",
    "home.thank_yous[0].draft_link": "a link that is not http(s) is not linked",
    "home.interviews[0].brief_link": "a link that is not http(s) is not linked",
    "home.health.connectors[0].off": "a failing connector shows its failure, not why it is off",
}


def hostile(where: str) -> str:
    """Text that would run a script if the page wrote it as markup; it names where it went."""
    return f"<script>alert('{where}')</script>\"><img src=x onerror=alert('{where}')>"


def filled(cls: type[Any], where: str, written: dict[str, str]) -> Any:
    """Dataclass `cls` with every text in it `hostile`, each recorded in `written` by place."""
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], f"{where}.{f.name}", written) for f in fields(cls)})


def _value(hint: Any, where: str, written: dict[str, str]) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return _value(args[0], where, written)  # an optional field: given a value
    if hint is str:
        written[where] = hostile(where)
        return written[where]
    if typing.get_origin(hint) is tuple:
        return (_value(args[0], f"{where}[0]", written),)
    if is_dataclass(hint):
        return filled(hint, where, written)  # type: ignore[arg-type]
    known = {
        dt.datetime: NOW,
        dt.date: NOW.date(),
        dt.timedelta: dt.timedelta(minutes=30),
        int: 3,
        float: 5.0,
        bool: False,
    }
    if hint in known:
        return known[hint]
    raise TypeError(f"{where} is a {hint}: teach filled() a hostile value of that type")


def test_the_status_page_shows_every_text_of_the_week_as_text_never_markup(
    url: str, context: RecordingContext
):
    # Given a week whose every text (the account, the zone, titles, names, links, stages,
    # connector names and errors, what a meeting waits for, error places and messages) is
    # markup; a list added to the week later is filled the same way
    written: dict[str, str] = {}
    context.week = filled(Home, "home", written)

    # When the user opens the status page
    html = requests.get(url + "/").text

    # Then every text shows, escaped, and none is markup
    for where, text in written.items():
        if where not in NOT_SHOWN:
            assert str(escape(text)) in html, where
    assert "<script" not in html and "<img" not in html
