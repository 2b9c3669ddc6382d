"""The credentials file: honoured token_uri, refresh and write-back, reuse, revoked grants."""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connectors.errors import AuthorizationError, ConfigurationError
from connectors.google.auth import CredentialStore, read_credentials_file, write_credentials_file
from connectors.sandbox.server import Sandbox

EXPIRED = "2020-01-01T00:00:00Z"


def test_still_valid_token_is_reused_without_a_refresh(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    store = CredentialStore(credentials_file(sandbox), timeout=5)
    token = sandbox.google_credentials()  # another token: the file's own must be used as is
    first, second = store.access_token(), store.access_token()

    assert first == second != token["token"]
    assert sandbox.request_counts().get("oauth.token", 0) == 0


def test_expired_token_is_refreshed_at_the_files_token_uri_and_written_back(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    path = credentials_file(sandbox, token="ya29.stale", expiry=EXPIRED)
    store = CredentialStore(path, timeout=5)

    token = store.access_token()

    assert token != "ya29.stale"
    assert sandbox.request_counts()["oauth.token"] == 1
    saved = read_credentials_file(path)
    assert saved.token == token
    assert saved.token_uri == f"{sandbox.url}/token"
    assert saved.expiry is not None and saved.expiry > dt.datetime.now(dt.UTC)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_rejected_token_is_refreshed_once_for_all_callers(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    store = CredentialStore(credentials_file(sandbox), timeout=5)
    old = store.access_token()

    first = store.refresh(old)
    second = store.refresh(old)  # a second thread that saw the same rejection

    assert first == second != old
    assert sandbox.request_counts()["oauth.token"] == 1


def test_revoked_grant_tells_the_user_to_authorize_again(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    path = credentials_file(sandbox, refresh_token="revoked", expiry=EXPIRED)

    with pytest.raises(AuthorizationError, match="followthrough auth google"):
        CredentialStore(path, timeout=5).access_token()


def test_missing_file_tells_the_user_to_authorize(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="followthrough auth google"):
        CredentialStore(tmp_path / "nope.json", timeout=5)


def test_written_file_is_owner_only_and_round_trips(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps(
            {
                "token": "ya29.a",
                "refresh_token": "1//r",
                "token_uri": "http://127.0.0.1:9/token",
                "client_id": "id",
                "client_secret": "s3cr3t-value",
                "scopes": ["https://www.googleapis.com/auth/tasks"],
                "expiry": "2030-01-01T00:00:00Z",
            }
        )
    )
    credentials = read_credentials_file(source)
    target = tmp_path / "out" / "credentials.json"

    write_credentials_file(target, credentials)

    assert read_credentials_file(target) == credentials
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "s3cr3t-value" not in repr(credentials)


def test_a_token_another_process_refreshed_is_reused_not_refreshed_again(
    sandbox: Sandbox, credentials_file: Callable[..., Path]
) -> None:
    path = credentials_file(sandbox, token="ya29.stale", expiry=EXPIRED)
    web, worker = CredentialStore(path, timeout=5), CredentialStore(path, timeout=5)

    refreshed = web.access_token()

    assert worker.access_token() == refreshed
    assert sandbox.request_counts()["oauth.token"] == 1


def test_a_refreshed_token_that_cannot_be_saved_is_kept_in_memory_with_a_warning(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Permissions cannot make a file unwritable for root (tests may run as root); a name too
    # long for the temporary file written beside it fails the write just the same.
    path = tmp_path / ("c" * 240 + ".json")
    path.write_text(json.dumps({**sandbox.google_credentials(), "expiry": EXPIRED}))
    store = CredentialStore(path, timeout=5)

    with capture_logs() as logs:
        token = store.access_token()
        again = store.access_token()

    assert token == again
    assert sandbox.request_counts()["oauth.token"] == 1
    assert read_credentials_file(path).expiry == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    warnings = [e for e in logs if e["event"] == "google.token_not_saved"]
    assert warnings and "writable" in warnings[0]["fix"]
