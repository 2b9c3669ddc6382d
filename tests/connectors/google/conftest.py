"""Helpers for the Google connector tests: a credentials file for a running sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.google.client import GoogleClient
from connectors.google.consent import requested_scopes
from connectors.policy import FAST_POLICY
from connectors.sandbox.server import Sandbox


@pytest.fixture
def credentials_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a sandbox's credentials (with optional overrides) to a file and return its path."""

    def write(sandbox: Any, **overrides: Any) -> Path:
        path = tmp_path / "google-credentials.json"
        path.write_text(json.dumps({**sandbox.google_credentials(), **overrides}))
        return path

    return write


@pytest.fixture
def google_client(credentials_file: Callable[..., Path]) -> Callable[..., GoogleClient]:
    """A GoogleClient for a running sandbox, with the fast test policy."""

    def make(sandbox: Any, **overrides: Any) -> GoogleClient:
        return GoogleClient(credentials_file(sandbox, **overrides), sandbox.url, FAST_POLICY)

    return make


@pytest.fixture
def client_with(tmp_path: Path) -> Callable[..., GoogleClient]:
    """A GoogleClient whose user granted `scopes` (default: Followthrough's and gmail.metadata)."""

    def make(sandbox: Sandbox, scopes: tuple[str, ...] = requested_scopes(mail_metadata=True)):
        path = tmp_path / "google-credentials.json"
        path.write_text(json.dumps(sandbox.google_credentials(list(scopes))))
        return GoogleClient(path, sandbox.url, FAST_POLICY)

    return make
