"""Linking an account's Google from a browser: a one-time link, Google's consent (the
sandbox's), and the web app storing the credentials in the account, sealed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from dramatiq.brokers.stub import StubBroker

from connectors.google.auth import GMAIL_COMPOSE_SCOPE, SCOPES
from connectors.sandbox.server import Sandbox
from service.settings import child_environment
from service.web.app import create_app
from service.web.google_link import CALLBACK_PATH, GoogleLinks
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.processes import REPO
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)
from tests.workflows.world import at
from workflows.accounts import AccountBook
from workflows.actors import declare_actors
from workflows.google_links import LinkRefused
from workflows.sealing import Sealer


@dataclass
class Hosted:
    """A web app that links Google, on a store with Alice's account, and its sandbox."""

    sandbox: Sandbox
    links: GoogleLinks
    book: AccountBook
    key: str
    url: str


def web_client(sandbox: Sandbox, path: Path, redirect_uri: str) -> Path:
    """The sandbox's OAuth client as a Web application client listing `redirect_uri`."""
    client = dict(sandbox.google_client_secrets()["installed"])  # type: ignore[arg-type]
    client["redirect_uris"] = [redirect_uri]
    path.write_text(json.dumps({"web": client}))
    return path


@pytest.fixture
def hosted(
    sandbox: Sandbox,
    make_runtime: RuntimeFactory,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Hosted]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox's token URL is http://
    runtime = make_runtime(sandbox, now=at(2026, 3, 2, 11), init=False)
    key = Fernet.generate_key().decode()
    book = AccountBook(runtime.db, Sealer([key]))
    book.add("alice", airtable_base_id="appAlicesBase001")
    broker = StubBroker()
    context = LiveContext(runtime, declare_actors(broker), broker)
    with WebServer(create_app(context)) as server:
        client = web_client(sandbox, tmp_path / "web-client.json", server.url + CALLBACK_PATH)
        context.links = GoogleLinks(runtime, Sealer([key]), client, server.url)
        yield Hosted(sandbox, context.links, book, key, server.url)
    broker.close()


def stored_google(hosted: Hosted) -> dict[str, object] | None:
    with hosted.book.db.read() as session:
        from workflows.store.accounts import get_account

        row = get_account(session, "alice")
        sealed = row.google_credentials if row is not None else None
    return json.loads(Fernet(hosted.key).decrypt(sealed)) if sealed else None


def test_a_person_links_their_google_by_opening_the_link_once(hosted: Hosted) -> None:
    # Given the link the operator sent Alice
    link = hosted.links.link_for("alice")
    assert link.startswith(f"{hosted.url}/accounts/google/link?token=")

    # When she opens it and consents on Google's screen (the sandbox consents at once)
    page = requests.get(link, timeout=10)

    # Then the page says so, and her account holds her Google credentials, sealed
    assert page.status_code == 200, page.text
    assert "Followthrough now works for account alice" in page.text
    stored = stored_google(hosted)
    assert stored is not None and stored["refresh_token"]
    assert stored["token_uri"] == f"{hosted.sandbox.url}/token"
    [alice] = hosted.book.list()
    assert alice.google_linked and alice.airtable_base_id == "appAlicesBase001"

    # And the same link, opened again, links nothing
    again = requests.get(link, timeout=10)
    assert again.status_code == 403 and "not valid any more" in again.text


def test_forged_old_and_replaced_links_are_refused(hosted: Hosted) -> None:
    first = hosted.links.link_for("alice")
    second = hosted.links.link_for("alice")  # a new link voids the first
    forged = Fernet(Fernet.generate_key()).encrypt(b'{"account": "alice", "nonce": "x"}')

    for link in (first, f"{hosted.url}/accounts/google/link?token={forged.decode()}"):
        refused = requests.get(link, timeout=10, allow_redirects=False)
        assert refused.status_code == 403 and "ask for a new one" in refused.text
    assert requests.get(second, timeout=10, allow_redirects=False).status_code == 303
    with pytest.raises(LinkRefused, match="no active account bob"):
        hosted.links.link_for("bob")
    assert stored_google(hosted) is None


def test_a_refused_consent_says_so_and_links_nothing(hosted: Hosted) -> None:
    link = hosted.links.link_for("alice")
    token = link.split("token=", 1)[1]

    page = requests.get(
        f"{hosted.url}{CALLBACK_PATH}", params={"state": token, "error": "access_denied"}, timeout=5
    )

    assert page.status_code == 400 and "access was not allowed" in page.text
    assert stored_google(hosted) is None
    assert requests.get(link, timeout=10).status_code == 200  # the link still works


def test_the_cli_prints_a_link_only_when_the_web_app_can_serve_it(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    key = Fernet.generate_key().decode()
    client = web_client(sandbox, tmp_path / "web-client.json", "https://ft.example/cb")
    settings = {"database_url": f"sqlite:///{tmp_path / 'ft.db'}", "encryption_key": key}
    env = child_environment(os.environ, settings) | {"PYTHONPATH": str(REPO)}

    def add(*options: str, **more: str) -> subprocess.CompletedProcess[str]:
        extra = child_environment(env, {**settings, **more})
        extra["PYTHONPATH"] = str(REPO)
        return subprocess.run(
            [sys.executable, "-m", "service.cli", "accounts", "add", "alice", *options],
            cwd=tmp_path, env=extra, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    missing = add("--web-link")
    assert missing.returncode == 3
    [line] = [x for x in missing.stderr.splitlines() if x.startswith("followthrough: ")]
    assert "FOLLOWTHROUGH_PUBLIC_URL" in line and "FOLLOWTHROUGH_GOOGLE_CLIENT_SECRETS_FILE" in line

    added = add(
        "--web-link", public_url="https://ft.example", google_client_secrets_file=str(client)
    )
    assert added.returncode == 0, added.stderr
    assert "https://ft.example/accounts/google/link?token=" in added.stdout
    assert "Not linked yet: the Airtable token" in added.stdout


def test_a_consent_without_a_needed_scope_says_which_and_links_nothing(hosted: Hosted) -> None:
    # Given Alice unticks Gmail drafts on Google's consent screen
    hosted.sandbox.oauth.consent = tuple(s for s in SCOPES if s != GMAIL_COMPOSE_SCOPE)

    page = requests.get(hosted.links.link_for("alice"), timeout=10)

    assert page.status_code == 400
    assert "gmail.compose is needed" in page.text and "Open the link again" in page.text
    assert stored_google(hosted) is None
