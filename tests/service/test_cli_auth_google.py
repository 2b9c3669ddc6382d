"""`followthrough auth google` without FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE: it writes the
credentials to the documented default path, and `run` finds them there (the consent given in
the sandbox, as a browser would)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from connectors.google.auth import GMAIL_METADATA_SCOPE
from connectors.sandbox.server import Sandbox
from service.settings import child_environment
from tests.processes import REPO
from tests.workflows.world import FAST_AIRTABLE, at, google_person, guest, meeting, world

ADA = "ada@analytical.example"


def _environment(sandbox: Sandbox, home: Path, **extra: str) -> dict[str, str]:
    """Settings for the sandbox's endpoints and Airtable, none for the credentials file."""
    settings = {
        "google_api_endpoint": sandbox.url,
        "airtable_endpoint": sandbox.url,
        "airtable_token": sandbox.airtable_token,
        "airtable_base_id": sandbox.airtable_base_id,
        "sender_name": "Sam Seeker",
        "now": at(2026, 3, 2, 11).isoformat(),
        "database_url": f"sqlite:///{home / 'ft.db'}",
    }
    env = child_environment(os.environ, settings)
    env.pop("XDG_CONFIG_HOME", None)
    env.update(
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",  # the consent URL is printed before the command waits
        HOME=str(home),
        OAUTHLIB_INSECURE_TRANSPORT="1",  # the sandbox's token endpoint is http://
        **extra,
    )
    return env


def _authorize(
    sandbox: Sandbox,
    home: Path,
    env: dict[str, str],
    *options: str,
    **client_changes: str,
) -> subprocess.CompletedProcess[str]:
    """Run `auth google --no-browser` and give consent at the URL it prints."""
    client = home / "client_secret.json"
    secrets = sandbox.google_client_secrets()
    secrets["installed"].update(client_changes)
    client.write_text(json.dumps(secrets))
    command = [sys.executable, "-m", "service.cli", "auth", "google", "--no-browser",
               "--client-secrets", str(client), *options]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("http" in line for line in lines):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            lines.append(line)
        url = lines[-1][lines[-1].index("http") :].strip()
        requests.get(url, timeout=10)  # the browser: consent, then the redirect to the command
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return subprocess.CompletedProcess(command, process.returncode, "".join(lines) + out, err)


def _run(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _interview() -> dict[str, Any]:
    event = meeting("evtada", "Coffee chat", at(2026, 3, 2, 9), attendees=[guest(ADA, "Ada")])
    return world(events=[event], contacts=[google_person("people/c1", "Ada Lovelace", ADA)])


def test_auth_google_writes_the_default_file_and_run_reads_it(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # Given no FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE, and a home of the user's own
    sandbox = sandbox_factory(_interview(), airtable_rate_limit=FAST_AIRTABLE)
    env = _environment(sandbox, tmp_path)

    # When the user authorizes Google
    authorized = _authorize(sandbox, tmp_path, env)

    # Then the credentials are in ~/.config/followthrough, owner-only, and say so
    default = tmp_path / ".config" / "followthrough" / "google-credentials.json"
    assert authorized.returncode == 0, authorized.stderr[-2000:]
    assert f"credentials saved to {default}" in authorized.stdout
    assert default.stat().st_mode & 0o777 == 0o600
    assert json.loads(default.read_text())["refresh_token"]  # the consent's own grant

    # And run finds them there: the thank-you is drafted
    assert _run(tmp_path, env, "airtable", "init").returncode == 0
    ran = _run(tmp_path, env, "run", "--once")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert len(sandbox.drafts()) == 1


def test_auth_google_honours_xdg_config_home(sandbox_factory: Any, tmp_path: Path) -> None:
    sandbox = sandbox_factory(_interview(), airtable_rate_limit=FAST_AIRTABLE)
    config_home = tmp_path / "xdg"
    env = _environment(sandbox, tmp_path, XDG_CONFIG_HOME=str(config_home))

    authorized = _authorize(sandbox, tmp_path, env)

    written = config_home / "followthrough" / "google-credentials.json"
    assert authorized.returncode == 0, authorized.stderr[-2000:]
    assert written.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / ".config").exists()
    ran = _run(tmp_path, env, "sync", "contacts")
    assert ran.returncode == 0, ran.stderr[-2000:]


def test_run_before_auth_google_names_the_default_file_and_the_command(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sandbox = sandbox_factory(_interview(), airtable_rate_limit=FAST_AIRTABLE)

    ran = _run(tmp_path, _environment(sandbox, tmp_path), "run", "--once")

    assert ran.returncode == 3
    [line] = ran.stderr.splitlines()
    default = tmp_path / ".config" / "followthrough" / "google-credentials.json"
    assert f"{default} (the default of FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE)" in line
    assert "run `followthrough auth google` to write it there" in line


def test_a_client_google_does_not_know_is_one_line_to_fix_the_client_file(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sandbox = sandbox_factory(_interview(), airtable_rate_limit=FAST_AIRTABLE)

    authorized = _authorize(
        sandbox, tmp_path, _environment(sandbox, tmp_path), client_secret="not-the-secret"
    )

    assert authorized.returncode == 3 and "Traceback" not in authorized.stderr
    [line] = [x for x in authorized.stderr.splitlines() if x.startswith("followthrough:")]
    assert "invalid_client" in line and str(tmp_path / "client_secret.json") in line
    assert not (tmp_path / ".config" / "followthrough" / "google-credentials.json").exists()


def test_auth_google_says_what_the_mail_scope_adds_and_asks_for_it_when_told(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sandbox = sandbox_factory(_interview(), airtable_rate_limit=FAST_AIRTABLE)
    env = _environment(sandbox, tmp_path)
    written = tmp_path / ".config" / "followthrough" / "google-credentials.json"

    plain = _authorize(sandbox, tmp_path, env)

    assert plain.returncode == 0, plain.stderr[-2000:]
    [line] = [line for line in plain.stdout.splitlines() if line.startswith("Not asked:")]
    assert "knowing when a thank-you was sent or answered" in line and "--mail-metadata" in line
    assert "Done yourself" in line and "Off:" not in plain.stdout
    assert GMAIL_METADATA_SCOPE not in json.loads(written.read_text())["scopes"]

    asked = _authorize(sandbox, tmp_path, env, "--mail-metadata")

    assert asked.returncode == 0, asked.stderr[-2000:]
    assert "Off:" not in asked.stdout and "Not asked:" not in asked.stdout
    assert GMAIL_METADATA_SCOPE in json.loads(written.read_text())["scopes"]
