"""Malformed webhook bodies at the live web app, and bad settings at the command line.

Each is refused with a reason (an HTTP 4xx with a detail; one line on stderr naming the setting
and a non-zero exit), nothing gets enqueued, and the web app keeps serving.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from dramatiq.brokers.stub import StubBroker

from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import FAST_AIRTABLE, at, guest, meeting, world
from workflows import channels
from workflows.actors import declare_actors
from workflows.store.webhooks import channels as stored_channels
from workflows.sync import sync_source

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
MAX_BODY = 64 * 1024


@dataclasses.dataclass
class App:
    """The web app on the live context, with one open Calendar channel and Airtable webhook."""

    url: str
    broker: StubBroker
    queues: tuple[str, ...]
    channel_id: str
    channel_token: str
    webhook_id: str
    mac_secret: bytes

    def enqueued(self) -> int:
        """How many messages wait in the queues."""
        return sum(self.broker.queues[name].qsize() for name in self.queues)

    def ping(self, body: bytes, mac: str | None = None, **headers: str) -> requests.Response:
        """POST an Airtable ping; `mac` defaults to the right MAC over these exact bytes."""
        digest = hmac.new(self.mac_secret, body, hashlib.sha256).hexdigest()
        sent = {"X-Airtable-Content-MAC": mac or f"hmac-sha256={digest}", **headers}
        return requests.post(f"{self.url}/webhooks/airtable", data=body, headers=sent, timeout=5)


@pytest.fixture
def app(sandbox_factory: Any, make_runtime: RuntimeFactory) -> Iterator[App]:
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW)
    broker = StubBroker()
    actors = declare_actors(broker)
    server = WebServer(create_app(LiveContext(runtime, actors, broker), max_body_bytes=MAX_BODY))
    runtime.config = dataclasses.replace(runtime.config, public_url=server.url)
    with server:
        channel_id = channels.ensure_calendar_channel(runtime)
        sync_source(runtime, "airtable")
        with runtime.db.read() as session:
            [webhook] = stored_channels(session, "airtable", account=runtime.account)
        assert channel_id is not None
        token = channels.calendar_channel_token(runtime.db, channel_id, account=runtime.account)
        secret = channels.airtable_mac_secret(
            runtime.db, webhook.channel_id, account=runtime.account
        )
        assert token is not None and secret is not None
        for name in actors.queues:
            queue = broker.queues[name]
            while not queue.empty():  # what the set-up itself caused
                queue.get_nowait()
        yield App(server.url, broker, actors.queues, channel_id, token, webhook.channel_id, secret)
    broker.close()


MALFORMED_PINGS = {
    "empty body": b"",
    "not JSON": b"{not json",
    "invalid UTF-8": b'{"webhook": {"id": "\xff\xfe"}}',
    "a JSON array": b"[1, 2, 3]",
    "a JSON string": b'"achWebhook"',
    "webhook is a string": b'{"webhook": "ach"}',
    "webhook id is a number": b'{"webhook": {"id": 12345}}',
    "webhook id is null": b'{"webhook": {"id": null}}',
    "webhook id is empty": b'{"webhook": {"id": ""}}',
    "deeply nested": b'{"webhook": ' * 5000 + b"1" + b"}" * 5000,
    "NUL bytes": b'{"webhook": {"id": "ach\\u0000x"}}',
}


def test_malformed_airtable_pings_are_refused_and_enqueue_nothing(app: App) -> None:
    answers = {name: app.ping(body) for name, body in MALFORMED_PINGS.items()}

    for name, response in answers.items():
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        assert response.json()["detail"], name  # a reason, not an empty refusal
    assert app.enqueued() == 0
    # and the app still serves and still accepts a good ping
    assert requests.get(f"{app.url}/healthz", timeout=5).json() == {"status": "ok"}
    good = json.dumps({"webhook": {"id": app.webhook_id}, "base": {"id": "app"}}).encode()
    assert app.ping(good).status_code == 200
    assert app.enqueued() == 1


def test_an_oversized_ping_is_refused_before_anything_reads_it(app: App) -> None:
    body = json.dumps({"webhook": {"id": app.webhook_id}, "pad": "x" * MAX_BODY}).encode()

    response = app.ping(body)

    assert response.status_code == 413
    assert str(MAX_BODY) in response.json()["detail"]
    assert app.enqueued() == 0


ODD_CALENDAR_HEADERS = {
    "no channel": {"X-Goog-Resource-State": "exists"},
    "empty channel": {"X-Goog-Channel-ID": "", "X-Goog-Resource-State": "exists"},
    "huge channel": {"X-Goog-Channel-ID": "x" * 4000, "X-Goog-Resource-State": "exists"},
    "sql syntax": {"X-Goog-Channel-ID": "' OR 1=1 --", "X-Goog-Channel-Token": "' OR 1=1 --"},
    "latin-1": {"X-Goog-Channel-ID": "ch\u00e9", "X-Goog-Channel-Token": "t\u00e9"},
}


def test_calendar_notifications_with_odd_headers_are_refused(app: App) -> None:
    for name, headers in ODD_CALENDAR_HEADERS.items():
        encoded = {k: v.encode("latin-1") for k, v in headers.items()}
        response = requests.post(
            f"{app.url}/webhooks/google/calendar", headers=encoded, data=b"\x00junk", timeout=5
        )

        assert response.status_code in (403, 404), (name, response.text)
        assert response.json()["detail"], name
    assert app.enqueued() == 0


# --- bad settings -----------------------------------------------------------------------------

BAD_SETTINGS = {
    "HTTP_PORT": "70000",
    "LOG_LEVEL": "LOUD",
    "TASKS_SINK": "nowhere",
    "DATABASE_URL": "nonsense://x",
    "TIMEZONE": "Mars/Olympus",
    "NOW": "2026-03-02T10:00",
    "INTERVIEW_TITLE_PATTERN": "(",
    "TEMPLATES_DIR": "/nonexistent/templates",
}


def followthrough(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`python -m service.cli ...` in a fresh process with only these FOLLOWTHROUGH_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWTHROUGH_")}
    env["PYTHONPATH"] = str(REPO)
    env.update({f"FOLLOWTHROUGH_{k}": v for k, v in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_each_bad_setting_stops_the_command_with_one_line_naming_it(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(
            zip(
                BAD_SETTINGS,
                pool.map(
                    lambda item: followthrough(tmp_path, "run", "--once", **dict([item])),
                    BAD_SETTINGS.items(),
                ),
                strict=True,
            )
        )

    for name, result in results.items():
        assert result.returncode != 0, name
        lines = result.stderr.splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert lines[0].startswith("followthrough: ") and f"FOLLOWTHROUGH_{name}" in lines[0]
        assert "Traceback" not in result.stderr


def test_an_unusable_credentials_file_says_to_authorize_again(tmp_path: Path) -> None:
    contents = {"not-json.json": "not json{", "list.json": "[1, 2]", "odd.json": '{"token": 5}'}
    for name, content in contents.items():
        (tmp_path / name).write_text(content)

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return followthrough(
            tmp_path,
            "run",
            "--once",
            GOOGLE_CREDENTIALS_FILE=str(tmp_path / name),
            AIRTABLE_TOKEN="patNotUsed",
            AIRTABLE_BASE_ID="appNotUsed",
            DATABASE_URL=f"sqlite:///{tmp_path / name}.db",
            LOG_LEVEL="WARNING",
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(contents, pool.map(run, contents), strict=True))

    for name, result in results.items():
        assert result.returncode == 3, result.stderr
        [line] = result.stderr.splitlines()
        assert str(tmp_path / name) in line and "followthrough auth google" in line


def test_markup_syntax_in_titles_and_names_is_printed_as_written(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # Given an interview whose title and guest name look like terminal markup
    title, name = "Coffee chat [/] [bold red]", "Mark [link=https://evil.example]Up[/link]"
    event = meeting(
        "evtmarkup", title, at(2026, 3, 2, 9), attendees=[guest("mark@m.example", name)]
    )
    sandbox: Sandbox = sandbox_factory(world(events=[event]), airtable_rate_limit=FAST_AIRTABLE)
    credentials = tmp_path / "google.json"
    credentials.write_text(json.dumps(sandbox.google_credentials()))
    credentials.chmod(0o600)
    settings = {
        "NOW": at(2026, 3, 2, 11).isoformat(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}",
        "GOOGLE_CREDENTIALS_FILE": str(credentials),
        "GOOGLE_API_ENDPOINT": sandbox.url,
        "AIRTABLE_ENDPOINT": sandbox.url,
        "AIRTABLE_TOKEN": sandbox.airtable_token,
        "AIRTABLE_BASE_ID": sandbox.airtable_base_id,
        "LOG_LEVEL": "WARNING",
    }
    assert followthrough(tmp_path, "airtable", "init", **settings).returncode == 0

    # When the pass runs and the user asks for the status
    ran = followthrough(tmp_path, "run", "--once", **settings)
    status = followthrough(tmp_path, "status", **settings)

    # Then both print the title as written (lines wrap at the terminal's width), and the
    # draft was made
    assert ran.returncode == 0, ran.stderr[-1500:]
    assert f"completed: {title} with {name}" in " ".join(ran.stdout.split())
    assert status.returncode == 0, status.stderr[-1500:]
    assert "[link=https://evil" in status.stdout  # as written, not a link (cells wrap)
    week = json.loads(followthrough(tmp_path, "status", "--json", **settings).stdout)
    assert json.dumps(week).count(name) >= 1 and "Send Mark a thank-you" in json.dumps(week)
    assert len(sandbox.drafts()) == 1
