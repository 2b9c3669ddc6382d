"""`followthrough sandbox`: the local stand-in for Google and Airtable, served until stopped,
with the settings that point Followthrough at it printed as shell exports."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import typer

from connectors.sandbox.fixture import DEMO_FIXTURE
from connectors.sandbox.server import Sandbox
from service.demo.files import write_private
from service.settings import env_name


def serve_sandbox(
    stop: threading.Event,
    *,
    fixture: Path | None,
    host: str,
    port: int,
    latency: float,
    credentials_out: Path | None,
) -> None:
    """Serve `fixture` (default: the demo's) until `stop` is set."""
    with Sandbox(fixture or DEMO_FIXTURE, host=host, port=port, latency=latency) as running:
        _print_settings(running, credentials_out)
        stop.wait()


def _print_settings(running: Sandbox, credentials_out: Path | None) -> None:
    settings = {
        env_name("google_api_endpoint"): running.url,
        env_name("airtable_endpoint"): running.url,
        env_name("airtable_token"): running.airtable_token,
        env_name("airtable_base_id"): running.airtable_base_id,
    }
    if credentials_out is not None:
        write_private(credentials_out, json.dumps(running.google_credentials(), indent=2))
        settings[env_name("google_credentials_file")] = str(credentials_out.resolve())
    typer.echo(f"Sandbox serving at {running.url} (Ctrl-C to stop). Settings to use it:")
    for name, value in settings.items():
        typer.echo(f"export {name}={value}")
    sys.stdout.flush()
