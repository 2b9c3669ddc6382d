"""One worker, two accounts: the default one of the settings and one stored in the database.

Each account has its own sandbox (a sandbox serves one user), so what reaches one Gmail or
one base is plainly that account's. The worker is a real dramatiq Worker on the in-process
broker; the runtimes are the service's own (`service.runtimes.build_runtimes`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from dramatiq.brokers.stub import StubBroker
from pydantic import SecretStr

from connectors.errors import ConfigurationError
from connectors.google.auth import parse_credentials
from connectors.policy import FAST_POLICY
from connectors.sandbox.fixture import small_fixture
from connectors.sandbox.server import Sandbox
from service.runtimes import AccountRuntimes, build_runtimes
from service.scheduler import Scheduler
from service.settings_loading import load_settings
from tests.proof.conftest import CapturedLog, captured_log  # noqa: F401 (fixture)
from tests.workflows.test_actors import broker  # noqa: F401 (fixture: a worker running)
from tests.workflows.world import (
    FAST_AIRTABLE,
    at,
    google_person,
    guest,
    init_base,
    me,
    meeting,
    world,
)
from workflows.accounts import AccountBook
from workflows.actors import Actors, declare_actors
from workflows.runtime import AccountUnavailable, install
from workflows.sealing import Sealer, WrongKey

NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
GRACE = "grace@navy.example"
BOBS_ADDRESS = "bob.builder@example.com"
BOB = {
    "token": "patBobsOwnToken.b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0",
    "client secret": "BOBclientSecret5e4d3c2b1a09",
    "refresh token": "BOBrefreshToken0a1b2c3d4e5f",
}


def bobs_world() -> dict[str, Any]:
    """Bob's calendar: a coffee chat with Grace that ended at 9:30, and his own base."""
    chat = meeting(
        "evtgrace01",
        "Coffee chat with Grace",
        at(2026, 3, 2, 9),
        attendees=[guest(GRACE, "Grace Hopper")],
        description="Insight: Ship the compiler before the manual.",
    )
    chat["attendees"][0] = me(email=BOBS_ADDRESS)
    fixture = world(
        events=[chat],
        contacts=[google_person("people/g1", "Grace Hopper", GRACE)],
        user=BOBS_ADDRESS,
    )
    fixture["airtable"].update(base_id="appBobsOwnBase01", token=BOB["token"])
    return fixture


@dataclass
class Deployment:
    """The default account's sandbox, Bob's, the service's runtimes, the actors and the key."""

    ours: Sandbox
    bobs: Sandbox
    runtimes: AccountRuntimes
    actors: Actors
    broker: StubBroker
    key: str
    database: Path

    @property
    def book(self) -> AccountBook:
        return AccountBook(self.runtimes.default.db, Sealer([self.key]))

    def add_bob(self, **settings: Any) -> None:
        credentials = parse_credentials(self.bobs.google_credentials(), "Bob's credentials")
        self.book.add(
            "bob",
            google=credentials,
            airtable_token=self.bobs.airtable_token,
            airtable_base_id=self.bobs.airtable_base_id,
            settings={
                "google_api_endpoint": self.bobs.url,
                "airtable_endpoint": self.bobs.url,
                "sender_name": "Bob Builder",
                **settings,
            },
        )

    def settle(self) -> None:
        for queue in self.actors.queues:
            self.broker.join(queue, timeout=60_000)


@pytest.fixture
def deployment(
    sandbox_factory: Any,
    tmp_path: Path,
    broker: StubBroker,  # noqa: F811
) -> Iterator[Deployment]:
    """The service's runtimes on SQLite: the default account from settings, a worker running."""
    yield from deploy(sandbox_factory, tmp_path, broker, now=NOW.isoformat())


def deploy(
    sandbox_factory: Any, tmp_path: Path, on: StubBroker, **overrides: Any
) -> Iterator[Deployment]:
    """Ours and Bob's sandboxes, and the service's runtimes with the actors on broker `on`."""
    ours = sandbox_factory(small_fixture(), airtable_rate_limit=FAST_AIRTABLE)
    bobs = sandbox_factory(bobs_world(), airtable_rate_limit=FAST_AIRTABLE)
    bobs.oauth.client_secret = BOB["client secret"]
    bobs.oauth.refresh_token = BOB["refresh token"]
    for sandbox in (ours, bobs):
        init_base(sandbox)
    credentials = tmp_path / "google.json"
    credentials.write_text(json.dumps(ours.google_credentials()))
    key, database = Fernet.generate_key().decode(), tmp_path / "ft.db"
    settings = load_settings(
        database_url=f"sqlite:///{database}",
        google_credentials_file=str(credentials),
        google_api_endpoint=ours.url,
        airtable_endpoint=ours.url,
        airtable_token=ours.airtable_token,
        airtable_base_id=ours.airtable_base_id,
        sender_name="Sam Seeker",
        encryption_key=key,
        **overrides,
    )
    runtimes = build_runtimes(settings, policy=FAST_POLICY)
    install(runtimes)
    actors = declare_actors(on)
    yield Deployment(ours, bobs, runtimes, actors, on, key, database)
    runtimes.default.db.dispose()


def poll_once(deployment: Deployment) -> None:
    """The scheduler's first tick (every served account's sync), then everything it caused."""
    scheduler = Scheduler(deployment.runtimes, deployment.actors, poll_every=dt.timedelta(hours=1))
    assert scheduler.tick()
    scheduler.close()
    deployment.settle()


def contact_emails(sandbox: Sandbox) -> list[str]:
    return sorted(r["fields"].get("Email", "") for r in sandbox.airtable.records("Contacts"))


def test_one_worker_serves_two_accounts_each_with_exactly_its_own_drafts_and_rows(
    deployment: Deployment,
) -> None:
    # Given the settings' own account, and Bob's added to the database
    deployment.add_bob()

    # When the scheduler polls every account and one worker runs what that sends
    poll_once(deployment)

    # Then each Gmail holds one thank-you, to its own contact, signed by its own sender
    ours, bobs = deployment.ours.drafts(), deployment.bobs.drafts()
    assert len(ours) == 1 and "ada" in str(ours[0]["to"]).lower()
    assert len(bobs) == 1 and bobs[0]["to"] == [GRACE]
    assert "Sam Seeker" in ours[0]["body"] and "Bob Builder" not in ours[0]["body"]
    assert "Bob Builder" in bobs[0]["body"] and "Ada" not in bobs[0]["body"]
    assert "Ship the compiler before the manual" in bobs[0]["body"]
    # and each base holds its own contacts and meetings, nothing of the other's
    assert GRACE not in contact_emails(deployment.ours)
    assert contact_emails(deployment.bobs) == [GRACE]
    [bobs_meeting] = deployment.bobs.airtable.records("Meetings")
    assert bobs_meeting["fields"]["Status"] == "Completed"
    assert all(
        "Grace" not in str(r["fields"]) for r in deployment.ours.airtable.records("Meetings")
    )


def test_a_message_for_a_disabled_or_removed_account_is_dropped_with_one_line(
    deployment: Deployment,
    captured_log: CapturedLog,  # noqa: F811
) -> None:
    # Given Bob's account, synced once, then disabled
    deployment.add_bob()
    poll_once(deployment)
    assert deployment.book.disable("bob")
    calls = sum(deployment.bobs.request_counts().values())

    # When a sync for Bob arrives (a late push), and the scheduler polls again
    deployment.actors.sync.send("bob")
    deployment.settle()
    poll_once(deployment)

    # Then nothing reached Bob's Google or Airtable; one line said the message was dropped
    assert sum(deployment.bobs.request_counts().values()) == calls
    [dropped] = captured_log.events("account.message_dropped")
    assert dropped["account"] == "bob" and "disabled" in str(dropped["reason"])

    # When Bob is removed: his rows are gone, his runtime is refused
    assert deployment.book.remove("bob")
    with pytest.raises(AccountUnavailable):
        deployment.runtimes.runtime_for("bob")
    with sqlite3.connect(deployment.database) as raw:
        assert raw.execute("SELECT count(*) FROM people WHERE account = 'bob'").fetchone() == (0,)
        assert raw.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
        assert raw.execute("SELECT count(*) FROM people WHERE account = 'default'").fetchone()[0]


def test_bobs_refreshed_token_is_sealed_in_his_row_and_no_secret_of_his_is_logged(
    deployment: Deployment,
    captured_log: CapturedLog,  # noqa: F811
) -> None:
    # Given Bob's account, whose access token has expired
    deployment.add_bob()
    deployment.bobs.expire_access_tokens()

    # When one worker serves him (the token is refreshed on the way)
    poll_once(deployment)
    assert len(deployment.bobs.drafts()) == 1

    # Then the database holds his secrets only sealed, the refreshed token among them
    with sqlite3.connect(deployment.database) as raw:
        google, token = raw.execute(
            "SELECT google_credentials, airtable_token FROM accounts WHERE name = 'bob'"
        ).fetchone()
    fernet = Fernet(deployment.key)
    stored = json.loads(fernet.decrypt(google))
    assert stored["refresh_token"] == BOB["refresh token"]
    assert fernet.decrypt(token).decode() == BOB["token"]
    secrets = [*BOB.values(), stored["token"]]
    assert stored["token"] in deployment.bobs.oauth.tokens  # the refreshed one
    for secret in secrets:
        assert secret.encode() not in google + token
        assert secret not in captured_log.text
    assert captured_log.events("google.token_refreshed")


def test_a_changed_account_gets_a_new_runtime_and_a_wrong_key_is_one_clear_error(
    deployment: Deployment,
) -> None:
    deployment.add_bob()
    first = deployment.runtimes.runtime_for("bob")
    assert deployment.runtimes.runtime_for("bob") is first  # cached
    assert first.db is deployment.runtimes.default.db  # one pool for every account

    deployment.add_bob(sender_name="Robert Builder")
    assert deployment.runtimes.runtime_for("bob").config.sender_name == "Robert Builder"

    stranger = AccountRuntimes(
        deployment.runtimes.settings.model_copy(
            update={"encryption_key": None, "encryption_key_file": None}
        ),
        deployment.runtimes.default,
    )
    with pytest.raises(ConfigurationError, match="FOLLOWTHROUGH_ENCRYPTION_KEY"):
        stranger.runtime_for("bob")
    other_key = Fernet.generate_key().decode()
    wrong = AccountRuntimes(
        deployment.runtimes.settings.model_copy(update={"encryption_key": SecretStr(other_key)}),
        deployment.runtimes.default,
    )
    with pytest.raises(WrongKey, match="does not open account bob's") as raised:
        wrong.runtime_for("bob")
    assert BOB["token"] not in str(raised.value)


def test_the_cache_keeps_at_most_its_size_and_builds_an_evicted_account_again(
    deployment: Deployment,
) -> None:
    deployment.add_bob()
    deployment.book.add("carol", settings={"sender_name": "Carol"})
    small = AccountRuntimes(
        deployment.runtimes.settings.model_copy(update={"account_cache": 1}),
        deployment.runtimes.default,
    )
    bob = small.runtime_for("bob")
    carol = small.runtime_for("carol")
    assert carol.config.sender_name == "Carol" and carol.google is None
    again = small.runtime_for("bob")  # evicted by Carol's: built anew, still Bob's
    assert again is not bob and again.config.sender_name == "Bob Builder"
    assert small.served() == ["default", "bob", "carol"]


def test_each_account_gets_its_own_weekly_digest_in_its_own_gmail(
    deployment: Deployment,
) -> None:
    # Given Bob's thank-you to Grace waits in his Gmail, and the settings' account has Ada's
    deployment.add_bob()
    poll_once(deployment)

    # When Bob asks for his digest on Mondays at 08:00, and his account is polled on that
    # Monday (11:00), twice (each poll is a sync, then a sweep)
    deployment.add_bob(digest="mon 08:00")
    for _ in range(2):
        deployment.actors.sync.send("bob")
        deployment.settle()

    # Then Bob's Gmail holds one digest, to him, with his week (Grace's thank-you), not ours
    digests = [d for d in deployment.bobs.drafts() if d["subject"].startswith("Your week")]
    [digest] = digests
    assert digest["to"] == [BOBS_ADDRESS]
    assert digest["subject"] == "Your week from Mon 2 Mar"
    assert "Grace Hopper" in digest["body"] and "Ada" not in digest["body"]
    # and the settings' account, whose FOLLOWTHROUGH_DIGEST is empty, got none
    assert not [d for d in deployment.ours.drafts() if d["subject"].startswith("Your week")]
