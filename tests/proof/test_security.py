"""Security: webhook verification in constant time, replays that do no harm, owner-only credential
files, and user values that cannot break out of an Airtable formula.

Forged notifications against a recording context are also covered by tests/service/test_web.py,
and the sandbox's real pushes by tests/service/test_web_live.py; here they run against the live
context and a real worker, and the effects (drafts, rows) are what is counted.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import hashlib
import hmac
import inspect
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import requests
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, default_middleware

from connectors.airtable.client import AirtableClient
from connectors.airtable.formula import equals, record_id_in
from connectors.airtable.ratelimit import LocalRateLimiter
from connectors.airtable.webhooks import mac_matches
from connectors.google.calendar import verify_channel
from connectors.google.client import GoogleClient
from connectors.policy import FAST_POLICY
from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from service.web import webhooks
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.workflows.conftest import RuntimeFactory
from tests.workflows.world import FAST_AIRTABLE, airtable_contact, world
from workflows import channels
from workflows.actors import Actors, declare_actors
from workflows.runtime import Runtime, install
from workflows.store.webhooks import channels as stored_channels

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
OWNER_ONLY = 0o600

# --- constant-time comparisons --------------------------------------------------------------

SECRET_NAMES = re.compile(r"token|secret|mac\b|mac_|_mac|digest|signature|password", re.I)
NOT_A_CHECK = {("connectors/google/auth.py", "self._credentials.token == rejected_token")}
"""Comparisons of secret-named values that check nothing a caller sends (allowed)."""


def _secret_equality_comparisons() -> list[tuple[str, str]]:
    found = []
    for package in ("connectors", "workflows", "service"):
        for path in sorted((REPO / package).rglob("*.py")):
            if "sandbox" in path.parts:  # the stand-in for Google and Airtable, not our service
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Compare):
                    continue
                if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                    continue
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Constant) and o.value is None for o in operands):
                    continue
                named = [ast.unparse(o) for o in operands if not isinstance(o, ast.Constant)]
                if any(SECRET_NAMES.search(text) for text in named):
                    found.append((str(path.relative_to(REPO)), ast.unparse(node)))
    return found


def test_no_secret_is_compared_with_equals_anywhere_in_the_service() -> None:
    assert set(_secret_equality_comparisons()) <= NOT_A_CHECK


def test_webhook_checks_compare_in_constant_time() -> None:
    assert "verify_channel(" in inspect.getsource(webhooks.calendar_notification)
    assert "mac_matches(" in inspect.getsource(webhooks.airtable_ping)
    for check in (verify_channel, mac_matches):
        assert "compare_digest(" in inspect.getsource(check), check.__name__
    # and the checks behave: equal only for the same bytes, any length, no exception
    headers = {"X-Goog-Channel-ID": "chan", "X-Goog-Channel-Token": "token-é"}
    assert verify_channel(headers, "chan", "token-é")
    assert not verify_channel(headers, "chan", "token-é-longer")
    assert not verify_channel({"X-Goog-Channel-ID": "chan"}, "chan", "token")
    mac = "hmac-sha256=" + hmac.new(b"key", b"body", hashlib.sha256).hexdigest()
    assert mac_matches(b"body", mac, b"key")
    assert not mac_matches(b"body", mac + "0", b"key")
    assert not mac_matches(b"body", "", b"key")


# --- the live app, a real worker ------------------------------------------------------------


@dataclasses.dataclass
class Service:
    """The web app on the live context, with a worker running what it enqueues."""

    sandbox: Sandbox
    runtime: Runtime
    broker: StubBroker
    actors: Actors
    url: str

    def settle(self) -> None:
        """Wait until every message (and what it sent) is processed."""
        time.sleep(0.2)  # the sandbox posts its own pushes from a thread
        for queue in self.actors.queues:
            self.broker.join(queue, timeout=30_000)

    def mac_secret(self) -> tuple[str, bytes]:
        with self.runtime.db.read() as session:
            [webhook] = stored_channels(session, "airtable", account=self.runtime.account)
        secret = channels.airtable_mac_secret(
            self.runtime.db, webhook.channel_id, account=self.runtime.account
        )
        assert secret is not None
        return webhook.channel_id, secret


@pytest.fixture
def service(sandbox_factory: Any, make_runtime: RuntimeFactory) -> Iterator[Service]:
    sandbox = sandbox_factory(small_fixture(), airtable_rate_limit=FAST_AIRTABLE)
    runtime = make_runtime(sandbox, now=NOW)
    install(runtime)
    middleware = [
        Retries(min_backoff=50, max_backoff=500) if kind is Retries else kind()
        for kind in default_middleware
    ]
    broker = StubBroker(middleware=middleware)
    actors = declare_actors(broker)
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    server = WebServer(create_app(LiveContext(runtime, actors, broker)))
    runtime.config = dataclasses.replace(runtime.config, public_url=server.url)
    with server:
        worker.start()
        yield Service(sandbox, runtime, broker, actors, server.url)
        worker.stop(timeout=5000)
    broker.close()


def _post_calendar(service: Service, channel: str, token: str | None, number: int = 7) -> int:
    headers = {
        "X-Goog-Channel-ID": channel,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Resource-ID": "res1",
        "X-Goog-Message-Number": str(number),
    }
    if token is not None:
        headers["X-Goog-Channel-Token"] = token
    url = f"{service.url}/webhooks/google/calendar"
    return requests.post(url, headers=headers, timeout=5).status_code


def _post_ping(service: Service, body: bytes, mac: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if mac is not None:
        headers["X-Airtable-Content-MAC"] = mac
    url = f"{service.url}/webhooks/airtable"
    return requests.post(url, data=body, headers=headers, timeout=5).status_code


def _mac(secret: bytes, body: bytes) -> str:
    return "hmac-sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _effects(sandbox: Sandbox) -> dict[str, int]:
    counts = {t: len(sandbox.airtable.records(t)) for t in ("Contacts", "Meetings", "Follow-ups")}
    return {**counts, "drafts": len(sandbox.drafts())}


def test_forged_notifications_change_nothing(service: Service) -> None:
    channel = channels.ensure_calendar_channel(service.runtime)
    assert channel is not None
    token = channels.calendar_channel_token(
        service.runtime.db, channel, account=service.runtime.account
    )
    assert token is not None
    service.actors.sync.send(
        service.runtime.account, ["airtable"]
    )  # creates the base's webhook and its MAC secret
    service.settle()
    webhook_id, secret = service.mac_secret()
    body = json.dumps({"base": {"id": "app"}, "webhook": {"id": webhook_id}}).encode()
    before = _effects(service.sandbox)

    answers = [
        _post_calendar(service, channel, None),
        _post_calendar(service, channel, ""),
        _post_calendar(service, channel, token[:-1]),
        _post_calendar(service, channel, token + "x"),
        _post_calendar(service, "another-channel", token),
        _post_ping(service, body, None),
        _post_ping(service, body, "hmac-sha256="),
        _post_ping(service, body, _mac(b"guessed", body)),
        _post_ping(service, body + b" ", _mac(secret, body)),
        _post_ping(service, body, "sha256=" + _mac(secret, body).split("=", 1)[1]),
    ]
    service.settle()

    assert answers == [403, 403, 403, 403, 404, 401, 401, 401, 401, 401]
    assert sum(service.broker.queues[name].qsize() for name in service.actors.queues) == 0
    assert _effects(service.sandbox) == before


def test_a_calendar_push_delivered_three_times_makes_one_of_everything(service: Service) -> None:
    # Given the service watches the calendar, and Ada's interview ended at 10:30
    channel = channels.ensure_calendar_channel(service.runtime)
    assert channel is not None
    token = channels.calendar_channel_token(
        service.runtime.db, channel, account=service.runtime.account
    )
    assert token is not None
    service.actors.sync.send(service.runtime.account, ["airtable", "google_contacts"])
    service.settle()

    # When the same notification arrives three times at once (Google retries, or a replay)
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda _: _post_calendar(service, channel, token), range(3)))
    service.settle()

    # Then each was accepted, and the interview got one draft and one set of follow-ups
    assert answers == [200, 200, 200]
    effects = _effects(service.sandbox)
    assert (effects["drafts"], effects["Meetings"]) == (1, 1)
    kinds = sorted(r["fields"]["Kind"] for r in service.sandbox.airtable.records("Follow-ups"))
    assert kinds == ["Action item", "Thank-you"]

    # and replaying it again later changes nothing
    for _ in range(3):
        assert _post_calendar(service, channel, token) == 200
    service.settle()
    assert _effects(service.sandbox) == effects


def test_an_airtable_ping_delivered_three_times_makes_one_of_everything(service: Service) -> None:
    service.actors.sync.send(
        service.runtime.account
    )  # every source: the webhook exists, Ada's interview is done
    service.settle()
    webhook_id, secret = service.mac_secret()
    effects = _effects(service.sandbox)
    assert effects["drafts"] == 1

    # When the user edits Ada in Airtable, and the ping for it arrives three more times
    ada = next(r for r in service.sandbox.airtable.records("Contacts") if "Ada" in str(r))
    service.sandbox.airtable.update_record("Contacts", ada["id"], {"Role": "Chief Engineer"})
    body = json.dumps({"base": {"id": "app"}, "webhook": {"id": webhook_id}}).encode()
    answers = [_post_ping(service, body, _mac(secret, body)) for _ in range(3)]
    service.settle()

    # Then the edit is known once, and nothing was written twice
    assert answers == [200, 200, 200]
    assert _effects(service.sandbox) == effects
    ada_now = next(r for r in service.sandbox.airtable.records("Contacts") if r["id"] == ada["id"])
    assert ada_now["fields"]["Role"] == "Chief Engineer"


# --- credential files -----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_google_credentials_file_is_owner_only_after_a_token_refresh(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given a credentials file someone left readable by all, holding an expired token
    path = tmp_path / "google.json"
    path.write_text(json.dumps(sandbox.google_credentials()))
    path.chmod(0o644)
    sandbox.expire_access_tokens()
    old_token = json.loads(path.read_text())["token"]

    # When the client refreshes the token on its first call
    client = GoogleClient(path, endpoint=sandbox.url, policy=FAST_POLICY)
    list(client.contacts.sync(None))

    # Then the rewritten file holds the new token and only its owner can read it
    assert json.loads(path.read_text())["token"] != old_token
    assert _mode(path) == OWNER_ONLY
    assert [p.name for p in tmp_path.iterdir()] == ["google.json"]  # no temp file left behind


def test_the_sandbox_command_writes_credentials_owner_only(tmp_path: Path) -> None:
    out = tmp_path / "sandbox-google.json"
    out.write_text("{}")
    out.chmod(0o644)  # an older, too-open file is tightened, not trusted
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWTHROUGH_")}
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "sandbox",
            "--port",
            "0",
            "--credentials-out",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline() for _ in range(2)]
        assert "Sandbox serving at" in printed[0]
        deadline = time.monotonic() + 20
        while "refresh_token" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _mode(out) == OWNER_ONLY
        assert json.loads(out.read_text())["refresh_token"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


# --- formula escaping -----------------------------------------------------------------------

HOSTILE_VALUES = [
    'o"brien@x.example',
    "o'brien@x.example",
    "back\\slash@x.example",
    "trailing\\",
    "new\nline",
    "cr\r\nlf",
    "tab\there",
    '") , TRUE(), ("',
    "'), OR(TRUE(), ('",
    "{Email}",
    '\\"',
    "ünïcødé 🚀",
]


def test_values_in_formulas_match_exactly_themselves(sandbox_factory: Any) -> None:
    records = [
        airtable_contact(f"recHostile{index:06d}", Name=value, Email=f"h{index}@x.example")
        for index, value in enumerate(HOSTILE_VALUES)
    ]
    plain = airtable_contact("recPlain00000001", Name="Plain", Email="plain@x.example")
    box: Sandbox = sandbox_factory(
        world(airtable=[*records, plain]), airtable_rate_limit=FAST_AIRTABLE
    )
    client = AirtableClient(
        box.airtable_token,
        box.airtable_base_id,
        endpoint=box.url,
        policy=FAST_POLICY,
        limiter=LocalRateLimiter(rate=1000),
    )

    def names(formula: str) -> list[str]:
        return [
            str(r["fields"].get("Name"))
            for page in client.pages("Contacts", formula=formula)
            for r in page
        ]

    for value in HOSTILE_VALUES:
        assert names(equals("Name", value)) == [value], value
    assert names(record_id_in(["recPlain00000001", "') OR TRUE() OR ('"])) == ["Plain"]
    assert names(equals("Name", "Plain\n")) == []
