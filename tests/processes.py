"""`followthrough` as child processes against a sandbox: their environment, a free port."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from service.settings import child_environment

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sandbox_environment(tmp_path: Path, sandbox: Any, **settings: str) -> dict[str, str]:
    """The environment of a `followthrough` process pointed at `sandbox`.

    `sandbox` is a `Sandbox` or a `RemoteSandbox`. This process's environment without its
    own settings, the sandbox's (its Google credentials written 0600 to
    `tmp_path/google.json`), JSON logs, then `settings`; and PYTHONPATH for this checkout.
    """
    google = sandbox.google_credentials  # a method on Sandbox, a property on RemoteSandbox
    credentials = tmp_path / "google.json"
    credentials.write_text(json.dumps(google() if callable(google) else google))
    credentials.chmod(0o600)
    values = {
        "google_credentials_file": str(credentials),
        "google_api_endpoint": sandbox.url,
        "airtable_endpoint": sandbox.url,
        "airtable_token": sandbox.airtable_token,
        "airtable_base_id": sandbox.airtable_base_id,
        "sender_name": "Sam Seeker",
        "log_format": "json",
        **settings,
    }
    env = child_environment(os.environ, values)
    env["PYTHONPATH"] = str(REPO)
    return env
