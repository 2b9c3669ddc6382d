"""No credential ever reaches a log line: a whole run at debug level, in process and as the CLI.

Every credential holds a canary the test can look for: the Google access token, refresh token
and client secret (the sandbox's OAuth server is told to accept them), and the Airtable token.
The secrets minted during the run (the refreshed access token, the Calendar channel token, the
Airtable webhook's MAC secret) are read back from where the service keeps them and looked for
too. The in-process run registers nothing with the log redactor, so what is proven is that the
code never logs them, not that the last line of defence caught them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from dramatiq.brokers.stub import StubBroker

from connectors.google.client import GoogleClient
from connectors.policy import FAST_POLICY
from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.proof.conftest import CapturedLog
from tests.workflows.conftest import RuntimeFactory
from workflows import channels
from workflows.actors import declare_actors
from workflows.passes import run_once
from workflows.rules.clock import Clock
from workflows.store.webhooks import channels as stored_channels

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
CANARIES = {
    "google access token": "CANARYaccess7f3a9c1e5b2d4068",
    "google refresh token": "CANARYrefresh0b1c2d3e4f5a6978",
    "google client secret": "CANARYclient9e8d7c6b5a4f3e21",
    "airtable token": "CANARYairtable5d4c3b2a1f0e9d8c",
}


def _canary_sandbox(sandbox_factory: Any) -> Sandbox:
    """A sandbox whose OAuth client, grant and Airtable token are the canaries."""
    fixture = small_fixture()
    fixture["airtable"]["token"] = CANARIES["airtable token"]
    sandbox: Sandbox = sandbox_factory(fixture)
    sandbox.oauth.client_secret = CANARIES["google client secret"]
    sandbox.oauth.refresh_token = CANARIES["google refresh token"]
    sandbox.oauth.tokens[CANARIES["google access token"]] = time.time() + 3600
    return sandbox


def _credentials(sandbox: Sandbox, path: Path) -> Path:
    """A credentials file holding the canary access token (valid for an hour)."""
    info = sandbox.google_credentials()
    info["token"] = CANARIES["google access token"]
    path.write_text(json.dumps(info))
    path.chmod(0o600)
    return path


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """The names of the secrets found in `text` (also base64 forms of binary ones)."""
    return [name for name, value in secrets.items() if value and value in text]


def _minted(runtime: Any, credentials: Path) -> dict[str, str]:
    """The secrets the run itself minted, read back from where the service keeps them."""
    found = {"refreshed access token": json.loads(credentials.read_text())["token"]}
    with runtime.db.read() as session:
        for row in stored_channels(session, "google_calendar", account=runtime.account):
            found["calendar channel token"] = row.token or ""
        for row in stored_channels(session, "airtable", account=runtime.account):
            found["airtable MAC secret"] = row.mac_secret or ""
            secret = base64.b64decode(row.mac_secret or "")
            found["airtable MAC secret (hex)"] = secret.hex()
    return found


def test_a_whole_run_at_debug_level_logs_no_secret(
    sandbox_factory: Any,
    make_runtime: RuntimeFactory,
    captured_log: CapturedLog,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Given the service with push notifications (a web app at the public URL)
    sandbox = _canary_sandbox(sandbox_factory)
    runtime = make_runtime(sandbox, now=NOW)
    credentials = _credentials(sandbox, tmp_path / "canary-google.json")
    runtime.google = GoogleClient(credentials, endpoint=sandbox.url, policy=FAST_POLICY)
    broker = StubBroker()
    server = WebServer(create_app(LiveContext(runtime, declare_actors(broker), broker)))
    runtime.config = dataclasses.replace(runtime.config, public_url=server.url)

    with server:
        # When it opens its channel and runs a pass (Ada's interview ended: a draft is made)
        channel = channels.ensure_calendar_channel(runtime)
        report = run_once(runtime)
        assert report.ok, report.failures
        # and the access token expires, a call fails, and notifications (good and forged) arrive
        sandbox.expire_access_tokens()
        sandbox.fail_next("calendar.events.list", 503)
        sandbox.update_event("evtinterviewada01", {"summary": "Informational interview: Ada L."})
        token = channels.calendar_channel_token(runtime.db, str(channel), account=runtime.account)
        _notify(server.url, str(channel), str(token))
        _notify(server.url, str(channel), "forged-token")
        runtime.clock = Clock.frozen_at(NOW + dt.timedelta(days=40))  # reminders come due
        assert run_once(runtime).ok
        _ping(runtime, server.url)
        shown = requests.get(f"{server.url}/", timeout=5).text  # the status page, errors and all

    # Then no secret, given or minted, is in any log line, on the status page, or anywhere else
    secrets = {**CANARIES, **_minted(runtime, credentials)}
    assert secrets["refreshed access token"] != CANARIES["google access token"]
    assert len(secrets) == len(CANARIES) + 4
    written = capfd.readouterr()
    assert "sync.done" in captured_log.text and "gmail.draft_created" in captured_log.text
    assert _leaks(captured_log.text, secrets) == []
    assert _leaks(written.out + written.err, secrets) == []
    assert "Followthrough" in shown and _leaks(shown, secrets) == []


def _notify(url: str, channel: str, token: str) -> None:
    headers = {
        "X-Goog-Channel-ID": channel,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-State": "exists",
    }
    requests.post(f"{url}/webhooks/google/calendar", headers=headers, timeout=5)


def _ping(runtime: Any, url: str) -> None:
    """A good and a forged Airtable ping."""
    with runtime.db.read() as session:
        [webhook] = stored_channels(session, "airtable", account=runtime.account)
    secret = channels.airtable_mac_secret(runtime.db, webhook.channel_id, account=runtime.account)
    assert secret is not None
    body = json.dumps({"webhook": {"id": webhook.channel_id}}).encode()
    for key in (secret, b"forged"):
        mac = "hmac-sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        requests.post(
            f"{url}/webhooks/airtable",
            data=body,
            headers={"X-Airtable-Content-MAC": mac},
            timeout=5,
        )


def test_the_cli_run_once_at_debug_level_prints_no_secret(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sandbox = _canary_sandbox(sandbox_factory)
    credentials = _credentials(sandbox, tmp_path / "google.json")
    sandbox.expire_access_tokens()  # the run refreshes it, and the new token is a secret too
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWTHROUGH_")}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "FOLLOWTHROUGH_LOG_LEVEL": "DEBUG",
            "FOLLOWTHROUGH_LOG_FORMAT": "json",
            "FOLLOWTHROUGH_NOW": NOW.isoformat(),
            "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'ft.db'}",
            "FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE": str(credentials),
            "FOLLOWTHROUGH_GOOGLE_API_ENDPOINT": sandbox.url,
            "FOLLOWTHROUGH_AIRTABLE_ENDPOINT": sandbox.url,
            "FOLLOWTHROUGH_AIRTABLE_TOKEN": CANARIES["airtable token"],
            "FOLLOWTHROUGH_AIRTABLE_BASE_ID": sandbox.airtable_base_id,
        }
    )
    subprocess.run(
        [sys.executable, "-m", "service.cli", "airtable", "init"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )

    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "run", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert len(sandbox.drafts()) == 1  # a real run: Ada's thank-you was drafted
    assert '"level": "debug"' in result.stderr
    secrets = {**CANARIES, "refreshed access token": json.loads(credentials.read_text())["token"]}
    assert secrets["refreshed access token"] != CANARIES["google access token"]
    assert _leaks(result.stdout + result.stderr, secrets) == []
