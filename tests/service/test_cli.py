"""The followthrough command: every --help, one-line errors, the web and sandbox commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from connectors.google.auth import SCOPES, TASKS_SCOPE
from connectors.sandbox.server import Sandbox
from service.cli import app
from tests.processes import free_port, sandbox_environment

REPO = Path(__file__).resolve().parents[2]
COMMANDS = [
    ["run"],
    ["demo"],
    ["sandbox"],
    ["auth", "google"],
    ["airtable", "init"],
    ["sync"],
    ["status"],
    ["doctor"],
    ["web"],
    ["worker"],
    ["scheduler"],
    ["accounts"],
    ["accounts", "add"],
    ["accounts", "list"],
    ["accounts", "disable"],
    ["accounts", "remove"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_a_useful_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], prog_name="followthrough")

    assert result.exit_code == 0
    assert f"Usage: followthrough {' '.join(command)}" in result.output
    assert len(result.output.splitlines()) > 5


def test_the_top_level_help_lists_the_commands_and_config_option() -> None:
    result = CliRunner().invoke(app, ["--help"], prog_name="followthrough")

    assert result.exit_code == 0
    names = ("run", "demo", "sandbox", "auth", "airtable", "sync", "status", "doctor", "web")
    for name in (*names, "worker"):
        assert name in result.output
    assert "--config" in result.output


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The test process's environment without FOLLOWTHROUGH_ settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWTHROUGH_")}
    env["PYTHONPATH"] = str(REPO)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # not the developer's own credentials
    env.update({f"FOLLOWTHROUGH_{name.upper()}": value for name, value in settings.items()})
    return env


def followthrough(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run the command in a fresh process, in `tmp_path`."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=tmp_path,
        env=environment(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = followthrough(tmp_path, "web", http_port="eighty")

    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert line.startswith("followthrough: ")
    assert "FOLLOWTHROUGH_HTTP_PORT" in line
    assert "Traceback" not in result.stderr


def test_missing_settings_for_run_are_named_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "ft.toml").write_text('airtable_base_id = "appBase12345678901"\n')

    result = followthrough(tmp_path, "--config", "ft.toml", "run")

    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE" in line
    assert "FOLLOWTHROUGH_AIRTABLE_TOKEN" in line
    assert "FOLLOWTHROUGH_AIRTABLE_BASE_ID" not in line


def test_run_refuses_a_public_url_that_is_not_https_in_one_line(tmp_path: Path) -> None:
    result = followthrough(tmp_path, "run", public_url="http://ft.example.com")

    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "FOLLOWTHROUGH_PUBLIC_URL" in line and "must be https://" in line
    assert "Traceback" not in result.stderr


def test_a_google_tasks_mirror_without_the_tasks_scope_stops_in_one_line(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    env = sandbox_environment(tmp_path, sandbox, tasks_sink="google")
    granted = [scope for scope in SCOPES if scope != TASKS_SCOPE]  # the user unticked Tasks
    (tmp_path / "google.json").write_text(json.dumps(sandbox.google_credentials(scopes=granted)))

    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "sync", "calendar"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 3
    [line] = [x for x in result.stderr.splitlines() if x.startswith("followthrough: ")]
    assert "FOLLOWTHROUGH_TASKS_SINK=google" in line and "tasks scope" in line
    assert "Traceback" not in result.stderr


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; each is stopped with SIGTERM (then killed) afterwards."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(url: str, timeout: float = 20.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_web_serves_probes_and_the_status_page(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "web"],
        cwd=tmp_path,
        env=environment(tmp_path, http_port=str(port), log_format="json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(web)
    base = f"http://127.0.0.1:{port}"

    assert wait_for(f"{base}/healthz").json() == {"status": "ok"}
    assert requests.get(f"{base}/readyz").json()["checks"] == {"database": True, "broker": True}
    assert "Followthrough" in requests.get(f"{base}/").text
    unknown = requests.post(f"{base}/webhooks/google/calendar", headers={"X-Goog-Channel-ID": "x"})
    assert unknown.status_code == 404

    web.send_signal(signal.SIGTERM)
    assert web.wait(timeout=10) == 0


def test_sandbox_prints_the_settings_that_point_at_it(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    fixture = tmp_path / "fixture.json"
    fixture.write_text(
        json.dumps({"airtable": {"base_id": "appCliTest0000001", "token": "patCli"}})
    )
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "sandbox", "--port", "0",
         "--fixture", str(fixture), "--credentials-out", "google.json"],
        cwd=tmp_path,
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    started.append(sandbox)
    assert sandbox.stdout is not None

    exported: dict[str, str] = {}
    while len(exported) < 5:
        line = sandbox.stdout.readline()
        assert line, f"the sandbox stopped: {sandbox.stderr.read() if sandbox.stderr else ''}"
        if line.startswith("export "):
            name, value = line.removeprefix("export ").strip().split("=", 1)
            exported[name] = value

    assert exported["FOLLOWTHROUGH_AIRTABLE_BASE_ID"] == "appCliTest0000001"
    credentials = Path(exported["FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE"])
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert json.loads(credentials.read_text())["token_uri"].startswith(
        exported["FOLLOWTHROUGH_GOOGLE_API_ENDPOINT"]
    )
    sandbox.send_signal(signal.SIGTERM)
    assert sandbox.wait(timeout=15) == 0


def test_auth_google_with_an_unusable_client_file_says_where_to_get_one(tmp_path: Path) -> None:
    # (Where the credentials go without the setting: tests/service/test_cli_auth_google.py.)
    (tmp_path / "client.json").write_text("{}")

    result = followthrough(tmp_path, "auth", "google", "--client-secrets", "client.json")

    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "client.json" in line and "Google Cloud console" in line
