"""`followthrough accounts add|list|disable|remove` as a user runs them: fresh processes on one
store, the secrets read back raw from the database."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet

from connectors.sandbox.server import Sandbox
from service.settings import child_environment
from tests.processes import REPO

TOKEN = "patAlicesToken.a11ce0a11ce0a11ce0a11ce0a11ce0a11ce0a11ce0a11ce0"


def environment(home: Path, **settings: str) -> dict[str, str]:
    """A clean environment with only `settings` (and a store in `home`)."""
    values = {"database_url": f"sqlite:///{home / 'ft.db'}", **settings}
    env = child_environment(os.environ, values)
    env.update(PYTHONPATH=str(REPO), XDG_CONFIG_HOME=str(home / "config"), PYTHONUNBUFFERED="1")
    env["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the sandbox's token endpoint is http://
    return env


def accounts(home: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "accounts", *args],
        cwd=home,
        env=environment(home, **settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line saying what went wrong (other lines are the store's log events)."""
    assert "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("followthrough: ")]
    return line


@pytest.fixture
def files(tmp_path: Path, sandbox: Sandbox) -> dict[str, Path]:
    """Alice's Google credentials file and Airtable token file."""
    google, token = tmp_path / "alice-google.json", tmp_path / "alice-token.txt"
    google.write_text(json.dumps(sandbox.google_credentials()))
    token.write_text(TOKEN + "\n")
    return {"google": google, "token": token}


def raw_row(home: Path, name: str) -> Any:
    with sqlite3.connect(home / "ft.db") as raw:
        return raw.execute(
            "SELECT state, google_credentials, airtable_token, airtable_base_id "
            "FROM accounts WHERE name = ?",
            (name,),
        ).fetchone()


def test_accounts_are_added_listed_disabled_and_removed_with_their_secrets_sealed(
    tmp_path: Path, sandbox: Sandbox, files: dict[str, Path]
) -> None:
    key = Fernet.generate_key().decode()
    secrets = (TOKEN, sandbox.oauth.refresh_token, sandbox.oauth.client_secret)

    # When the operator adds Alice with her Google credentials file, token file and base
    added = accounts(
        tmp_path, "add", "alice",
        "--google-credentials", str(files["google"]),
        "--airtable-token-file", str(files["token"]),
        "--airtable-base", "appAlicesBase001",
        "--sender-name", "Alice Example",
        "--timezone", "Europe/Paris",
        encryption_key=key,
    )  # fmt: skip

    # Then she is added, and the database holds her secrets only sealed under the key
    assert added.returncode == 0, added.stderr
    assert "Added account alice: Google linked, Airtable appAlicesBase001" in added.stdout
    # with the link to her private status page, shown once
    [page] = [line for line in added.stdout.splitlines() if line.startswith("Status page of")]
    assert page.startswith("Status page of alice, private to them (`followthrough accounts ")
    assert re.search(r": /accounts/alice/\?key=[\w-]{43} on the web app's address$", page)
    state, google, token, base = raw_row(tmp_path, "alice")
    assert (state, base) == ("active", "appAlicesBase001")
    for secret in secrets:
        assert secret.encode() not in google + token
    fernet = Fernet(key)
    assert fernet.decrypt(token).decode() == TOKEN
    assert json.loads(fernet.decrypt(google))["refresh_token"] == sandbox.oauth.refresh_token

    # And the list (which needs no key) shows her and her settings, and never a secret
    listed = accounts(tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "default  active  the settings' own account (FOLLOWTHROUGH_*)",
        "alice  active  Google linked, Airtable appAlicesBase001; "
        "sender_name=Alice Example; timezone=Europe/Paris",
    ]
    assert not [s for s in secrets if s in listed.stdout + listed.stderr + added.stdout]

    # When she is disabled: her data stays, the list says so; adding her again enables her
    assert accounts(tmp_path, "disable", "alice").returncode == 0
    assert raw_row(tmp_path, "alice")[0] == "disabled"
    assert "alice  disabled" in accounts(tmp_path, "list").stdout
    again = accounts(tmp_path, "add", "alice", encryption_key=key)
    assert "Updated account alice: Google linked" in again.stdout
    state, google, token, _ = raw_row(tmp_path, "alice")  # sealed anew, the same inside
    assert state == "active" and fernet.decrypt(token).decode() == TOKEN
    assert json.loads(fernet.decrypt(google))["refresh_token"] == sandbox.oauth.refresh_token

    # When her page link leaked, a new one is made (with the public URL, a whole link)
    relinked = accounts(tmp_path, "page-link", "alice", public_url="https://ft.example.org")
    assert relinked.returncode == 0, relinked.stderr
    assert re.search(
        r": https://ft\.example\.org/accounts/alice/\?key=[\w-]{43}$", relinked.stdout.strip()
    )
    assert relinked.stdout.strip().rsplit("=", 1)[1] != page.split("key=")[1].split()[0]
    assert accounts(tmp_path, "page-link", "nobody").returncode == 2

    # When she is removed: her row and secrets are gone; removing her again is one clear line
    removed = accounts(tmp_path, "remove", "alice")
    assert removed.returncode == 0, removed.stderr
    assert "Removed account alice: its credentials and 1 stored row are deleted" in removed.stdout
    assert raw_row(tmp_path, "alice") is None
    twice = accounts(tmp_path, "remove", "alice")
    assert twice.returncode == 2
    assert "there is no account alice" in one_error_line(twice)


def test_adding_without_a_key_or_with_a_bad_one_is_one_line_saying_how_to_make_one(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    parts = ("--airtable-token-file", str(files["token"]), "--airtable-base", "appAlicesBase001")

    missing = accounts(tmp_path, "add", "alice", *parts)
    assert missing.returncode == 3
    line = one_error_line(missing)
    assert "FOLLOWTHROUGH_ENCRYPTION_KEY is not set" in line and "Fernet.generate_key" in line

    bad = accounts(tmp_path, "add", "alice", *parts, encryption_key="letmein-letmein")
    assert bad.returncode == 3
    line = one_error_line(bad)
    assert "FOLLOWTHROUGH_ENCRYPTION_KEY" in line and "not a Fernet key" in line
    assert "letmein" not in line

    key_file = tmp_path / "key"
    key_file.write_text("not a key\n")
    from_file = accounts(tmp_path, "add", "alice", *parts, encryption_key_file=str(key_file))
    assert from_file.returncode == 3
    assert "FOLLOWTHROUGH_ENCRYPTION_KEY_FILE" in one_error_line(from_file)

    # Nothing was stored by any of them: not even a store was created
    assert not (tmp_path / "ft.db").exists()


def test_a_key_from_a_mounted_file_works_and_a_rotated_key_still_opens_old_secrets(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    key_file = tmp_path / "secret-mount" / "encryption-key"
    key_file.parent.mkdir()
    key_file.write_text(old + "\n")
    parts = ("--airtable-token-file", str(files["token"]), "--airtable-base", "appAlicesBase001")
    assert accounts(tmp_path, "add", "alice", *parts, encryption_key_file=str(key_file)).stdout

    # When the key is rotated: the new key first, the old one after it
    key_file.write_text(f"{new}\n{old}\n")
    accounts(tmp_path, "add", "bob", *parts, encryption_key_file=str(key_file))

    # Then Bob's token is sealed with the new key, Alice's still opens with the old one
    assert Fernet(new).decrypt(raw_row(tmp_path, "bob")[2]).decode() == TOKEN
    assert Fernet(old).decrypt(raw_row(tmp_path, "alice")[2]).decode() == TOKEN

    # When Alice is added again: her token is sealed anew, so the old key can go
    accounts(tmp_path, "add", "alice", encryption_key_file=str(key_file))
    assert Fernet(new).decrypt(raw_row(tmp_path, "alice")[2]).decode() == TOKEN
    key_file.write_text(new)
    listed = accounts(tmp_path, "list", encryption_key_file=str(key_file))
    assert "alice  active  Google not linked, Airtable appAlicesBase001" in listed.stdout


def test_bad_names_and_options_are_one_line_each(tmp_path: Path, files: dict[str, Path]) -> None:
    key = Fernet.generate_key().decode()
    for args, says in (
        (("add", "default"), "the account the settings define"),
        (("add", "Alice Smith"), "lowercase letters"),
        (("add", "alice", "--timezone", "Mars/Olympus"), "not an IANA time zone"),
        (("add", "alice", "--airtable-base", "base1"), "--airtable-base"),
        (("disable", "nobody"), "there is no account nobody"),
    ):
        result = accounts(tmp_path, *args, encryption_key=key)
        assert result.returncode == 2, (args, result.stderr)
        assert says in one_error_line(result)
    unreadable = accounts(
        tmp_path, "add", "alice", "--airtable-token-file", str(tmp_path / "nope"),
        encryption_key=key,
    )  # fmt: skip
    assert unreadable.returncode == 3
    assert "--airtable-token-file" in one_error_line(unreadable)


def test_add_links_google_through_the_consent_screen(tmp_path: Path, sandbox: Sandbox) -> None:
    # Given the OAuth client of a Desktop app
    client = tmp_path / "client_secret.json"
    client.write_text(json.dumps(sandbox.google_client_secrets()))
    key = Fernet.generate_key().decode()
    command = [sys.executable, "-m", "service.cli", "accounts", "add", "alice",
               "--client-secrets", str(client), "--no-browser"]  # fmt: skip

    # When the operator runs `accounts add` and Alice consents at the URL it prints
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=environment(tmp_path, encryption_key=key),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = ""
        while "http" not in line:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
        requests.get(line[line.index("http") :].strip(), timeout=10)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()

    # Then her Google credentials are in her account, sealed, and no file was written
    assert process.returncode == 0, err
    assert "Added account alice: Google linked" in out
    stored = json.loads(Fernet(key).decrypt(raw_row(tmp_path, "alice")[1]))
    assert stored["refresh_token"] and stored["token_uri"] == f"{sandbox.url}/token"
    assert stored["refresh_token"] not in out + err
    assert not (tmp_path / "config" / "followthrough").exists()
