"""The first consent, through `followthrough auth google` and the sandbox's consent screen.

The test is the user's browser: it opens the consent URL the command prints, the sandbox grants
what the user left ticked and redirects to the command's loopback server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from connectors.google.auth import (
    CALENDAR_SCOPE,
    CONTACTS_SCOPE,
    GMAIL_COMPOSE_SCOPE,
    SCOPES,
    TASKS_SCOPE,
    read_credentials_file,
)
from connectors.google.client import GoogleClient
from connectors.sandbox.server import Sandbox

REPO = Path(__file__).resolve().parents[3]


def authorize(sandbox: Sandbox, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run `followthrough auth google --no-browser`, consent in the sandbox, wait for the end."""
    secrets = tmp_path / "client_secret.json"
    installed = {
        "client_id": sandbox.oauth.client_id,
        "client_secret": sandbox.oauth.client_secret,
        "auth_uri": f"{sandbox.url}/o/oauth2/auth",
        "token_uri": f"{sandbox.url}/token",
        "redirect_uris": ["http://localhost"],
    }
    secrets.write_text(json.dumps({"installed": installed}))
    target = tmp_path / "google.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWTHROUGH_")}
    env.update(
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        OAUTHLIB_INSECURE_TRANSPORT="1",  # the sandbox's token endpoint is plain http
        FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE=str(target),
    )
    command = [sys.executable, "-m", "service.cli", "auth", "google"]
    command += ["--client-secrets", str(secrets), "--no-browser"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        printed = []
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if "/o/oauth2/auth?" in line:
                url = line[line.index("http") :].strip()
                urllib.request.urlopen(url, timeout=30).read()  # the user's browser
                break
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return subprocess.CompletedProcess(
        command, process.returncode, "".join(printed) + out, err
    ), target


def test_every_scope_granted_is_written_with_nothing_off(sandbox: Sandbox, tmp_path: Path) -> None:
    result, target = authorize(sandbox, tmp_path)

    assert result.returncode == 0, result.stderr
    assert sorted(read_credentials_file(target).scopes) == sorted(SCOPES)
    assert "Off:" not in result.stdout


def test_unticked_tasks_is_written_as_granted_and_the_mirror_said_off(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_consent([CONTACTS_SCOPE, CALENDAR_SCOPE, GMAIL_COMPOSE_SCOPE])

    result, target = authorize(sandbox, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert TASKS_SCOPE not in read_credentials_file(target).scopes
    [off] = [line for line in result.stdout.splitlines() if line.startswith("Off:")]
    assert "Google Tasks mirror" in off and "tasks" in off
    # and the credentials work for what was granted, as Google's would
    google = GoogleClient(target, endpoint=sandbox.url)
    assert list(google.contacts.sync(None))


def test_unticked_gmail_compose_is_refused_in_one_line_saying_why(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_consent([CONTACTS_SCOPE, CALENDAR_SCOPE, TASKS_SCOPE])

    result, target = authorize(sandbox, tmp_path)

    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("followthrough: ")]
    assert "gmail.compose is needed because" in line and "thank-you drafts" in line
    assert "followthrough auth google" in line
    assert not target.exists()


@pytest.mark.parametrize("unticked", [TASKS_SCOPE])
def test_a_token_without_a_scope_is_refused_by_that_api(
    sandbox: Sandbox, tmp_path: Path, unticked: str
) -> None:
    sandbox.set_consent([s for s in SCOPES if s != unticked])
    _, target = authorize(sandbox, tmp_path)
    google = GoogleClient(target, endpoint=sandbox.url)

    with pytest.raises(Exception, match="insufficientPermissions"):
        google.tasks.ensure_task_list()
