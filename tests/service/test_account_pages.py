"""Each stored account's week on its own private page (/accounts/NAME/?key=) and with
`status --account NAME`; the default account's `/` is unchanged. Bob's week is his alone:
Grace's thank-you, never the default account's Ada."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import requests
from typer.testing import CliRunner

from service.cli import app
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.proof.conftest import CapturedLog, captured_log  # noqa: F401 (fixture)
from tests.service.test_runtimes import NOW, Deployment, deployment, poll_once  # noqa: F401
from tests.workflows.test_actors import broker  # noqa: F401 (fixture: a worker running)


@pytest.fixture
def web(deployment: Deployment) -> Iterator[str]:  # noqa: F811
    """The web app serving every account, after one poll made each account's thank-you."""
    deployment.add_bob()
    poll_once(deployment)
    runtimes = deployment.runtimes
    context = LiveContext(
        runtimes.default, deployment.actors, deployment.broker, None, runtimes.view_for
    )
    with WebServer(create_app(context)) as server:
        yield server.url


def page(url: str, path: str) -> requests.Response:
    return requests.get(url + path, timeout=10)


def test_bobs_page_shows_his_week_only_with_his_key(
    deployment: Deployment,  # noqa: F811
    web: str,
    captured_log: CapturedLog,  # noqa: F811
) -> None:
    key = deployment.book.page_key("bob")
    assert key

    # When Bob opens the link he was given
    opened = page(web, f"/accounts/bob/?key={key}")

    # Then he sees his own week (his thank-you to Grace), never the default account's
    assert opened.status_code == 200
    assert "Account <strong>bob</strong>" in opened.text
    assert "Grace Hopper" in opened.text and "Ada" not in opened.text
    assert opened.headers["Cache-Control"] == "no-store"
    assert opened.headers["Referrer-Policy"] == "no-referrer"  # his key stays off other sites
    # and the default account's page is still `/`, with Ada and without Grace
    home = page(web, "/")
    assert "Ada" in home.text and "Grace" not in home.text

    # Without his key, with a wrong one, or his key on another account's page: no such page
    carol_key = deployment.book.page_key("carol")
    assert carol_key is None  # no account carol: no key
    deployment.book.add("carol", settings={"sender_name": "Carol"})
    carol_key = deployment.book.page_key("carol")
    refused = [
        "/accounts/bob/",
        "/accounts/bob/?key=guessed",
        f"/accounts/bob/?key={carol_key}",
        f"/accounts/carol/?key={key}",
        f"/accounts/default/?key={key}",
        f"/accounts/nobody/?key={key}",
    ]
    for path in refused:
        answer = page(web, path)
        assert answer.status_code == 404, path
        assert "Grace" not in answer.text and "Ada" not in answer.text
    assert key not in captured_log.text

    # A new link voids the last; a disabled account's page is refused
    new_key = deployment.book.page_key("bob")
    assert page(web, f"/accounts/bob/?key={key}").status_code == 404
    assert page(web, f"/accounts/bob/?key={new_key}").status_code == 200
    deployment.book.disable("bob")
    assert page(web, f"/accounts/bob/?key={new_key}").status_code == 404


def test_status_account_shows_that_accounts_week(
    deployment: Deployment,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment.add_bob()
    poll_once(deployment)
    for name in list(os.environ):
        if name.startswith("FOLLOWTHROUGH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FOLLOWTHROUGH_DATABASE_URL", f"sqlite:///{deployment.database}")
    monkeypatch.setenv("FOLLOWTHROUGH_NOW", NOW.isoformat())

    # When the operator asks for Bob's week, as text and as JSON
    shown = CliRunner().invoke(app, ["status", "--account", "bob"])
    as_json = CliRunner().invoke(app, ["status", "--json", "--account", "bob"])

    # Then both are Bob's: Grace's thank-you, not the default account's Ada
    assert shown.exit_code == 0, shown.output
    assert "Grace Hopper" in shown.stdout and "Ada" not in shown.stdout
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert "Grace Hopper" in json.dumps(data) and "Ada" not in json.dumps(data)
    # and an account that is not served is one line saying which ones are
    missing = CliRunner().invoke(app, ["status", "--account", "nobody"])
    assert missing.exit_code == 3
    assert "there is no active account nobody" in missing.output
    assert "Traceback" not in missing.output
