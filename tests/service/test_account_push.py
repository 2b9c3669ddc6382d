"""Removing or disabling an account stops its push: its Calendar channel is stopped at Google,
its Airtable webhook deleted at Airtable, and the web app answers what still arrives as
unknown, enqueuing nothing. Bob's channels are opened as a worker opens them; `accounts`
runs as a user runs it, in its own process on the same store."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from connectors.google.auth import parse_credentials
from service.settings import child_environment
from tests.processes import REPO, free_port
from tests.service.test_web_live import Live, calendar_post, live  # noqa: F401 (fixture)
from workflows import channels
from workflows.accounts import AccountBook
from workflows.push_teardown import has_push
from workflows.sealing import Sealer
from workflows.sync import sync_source


@dataclasses.dataclass
class Bob:
    """Bob's account, his open channel and webhook, and the web app they push to."""

    live: Live
    key: str
    database: Path
    channel: tuple[str, str]  # id and token
    webhook: tuple[str, bytes]  # id and MAC secret

    def accounts(self, *args: str) -> subprocess.CompletedProcess[str]:
        values = {"database_url": f"sqlite:///{self.database}", "encryption_key": self.key}
        env = child_environment({"PATH": "/usr/bin:/bin"}, values)
        env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "service.cli", "accounts", *args]
        return subprocess.run(
            command, cwd=self.database.parent, env=env, capture_output=True, text=True, timeout=120
        )

    def ping_airtable(self) -> int:
        webhook_id, secret = self.webhook
        body = json.dumps({"base": {"id": "app"}, "webhook": {"id": webhook_id}}).encode()
        mac = "hmac-sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        headers = {"X-Airtable-Content-MAC": mac, "Content-Type": "application/json"}
        url = f"{self.live.url}/webhooks/airtable"
        return requests.post(url, data=body, headers=headers, timeout=5).status_code

    def pushes_answered(self) -> list[int]:
        return [calendar_post(self.live, *self.channel).status_code, self.ping_airtable()]


@pytest.fixture
def bob(live: Live, tmp_path: Path) -> Bob:  # noqa: F811
    """Bob, an account of the store, whose worker opened his Calendar channel and webhook."""
    sandbox, runtime = live.sandbox, live.runtime
    runtime.config = dataclasses.replace(runtime.config, account="bob")
    key = Fernet.generate_key().decode()
    AccountBook(runtime.db, Sealer([key])).add(
        "bob",
        google=parse_credentials(sandbox.google_credentials(), "Bob's credentials"),
        airtable_token=sandbox.airtable_token,
        airtable_base_id=sandbox.airtable_base_id,
        settings={"google_api_endpoint": sandbox.url, "airtable_endpoint": sandbox.url},
    )
    channel_id = channels.ensure_calendar_channel(runtime)
    sync_source(runtime, "airtable")
    assert channel_id is not None
    token = channels.calendar_channel_token(runtime.db, channel_id, account="bob")
    [webhook_id] = sandbox.airtable.webhooks.hooks
    secret = channels.airtable_mac_secret(runtime.db, webhook_id, account="bob")
    assert token and secret
    live.sandbox.push_log()
    live.queued()
    return Bob(live, key, tmp_path / "followthrough.db", (channel_id, token), (webhook_id, secret))


def test_removing_an_account_stops_its_channel_and_deletes_its_webhook(bob: Bob) -> None:
    sandbox = bob.live.sandbox
    assert bob.pushes_answered() == [200, 200]  # Bob's pushes are his while he is served
    bob.live.queued()

    # When the operator removes Bob
    removed = bob.accounts("remove", "bob")

    # Then Google has no channel and Airtable no webhook of his left
    assert removed.returncode == 0, removed.stderr
    assert "Traceback" not in removed.stderr
    assert "Removed account bob" in removed.stdout
    assert "its push channels are stopped" in removed.stdout
    assert sandbox.calendar_api.channels.open_channels == {}
    assert sandbox.airtable.webhooks.hooks == {}
    # and a late push naming his channel is unknown to the web app, and runs nothing
    assert bob.pushes_answered() == [404, 404]
    assert bob.live.queued() == []


def test_disabling_with_google_revoked_and_airtable_unreachable_says_what_remains(
    bob: Bob,
) -> None:
    # Given Bob revoked Followthrough's Google access and his Airtable cannot be reached
    sandbox = bob.live.sandbox
    sandbox.oauth.revoke_refresh_token()
    sandbox.oauth.expire_access_tokens()
    AccountBook(bob.live.runtime.db, Sealer([bob.key])).add(
        "bob", settings={"airtable_endpoint": f"http://127.0.0.1:{free_port()}"}
    )

    # When the operator disables him
    disabled = bob.accounts("disable", "bob")

    # Then he is disabled all the same, with one line for each channel left open and its end
    assert disabled.returncode == 0, disabled.stderr
    assert "Traceback" not in disabled.stderr + disabled.stdout
    lines = disabled.stdout.splitlines()
    assert lines[0] == "Disabled account bob: its work stops, its data stays"
    calendar, webhook = lines[1:]
    assert re.fullmatch(
        r"Account bob: its Calendar channel at Google could not be stopped \(.+\); "
        r"it ends by itself by \d{4}-\d\d-\d\d \d\d:\d\d UTC",
        calendar,
    ), calendar
    assert webhook.startswith(f"Account bob: its Airtable webhook {bob.webhook[0]} on ")
    assert re.search(r"; it ends by itself by \d{4}-\d\d-\d\d \d\d:\d\d UTC$", webhook)
    assert len(sandbox.calendar_api.channels.open_channels) == 1  # Google keeps it until then
    # and the web app answers what they still send as unknown, running nothing
    assert bob.pushes_answered() == [404, 404]
    assert bob.live.queued() == []
    assert not has_push(bob.live.runtime)
