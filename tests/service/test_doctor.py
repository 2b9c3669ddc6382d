"""`followthrough doctor` against the sandbox, each real-world problem staged there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connectors.airtable.schema import init_schema
from connectors.sandbox.server import Sandbox
from service.doctor import run_checks
from service.settings_loading import load_settings
from tests.connectors.airtable.conftest import make_client
from tests.processes import sandbox_environment
from tests.workflows.world import FAST_AIRTABLE, world


@pytest.fixture
def box(sandbox_factory: Any) -> Sandbox:
    """A sandbox whose base has every table Followthrough needs."""
    sandbox: Sandbox = sandbox_factory(world(), airtable_rate_limit=FAST_AIRTABLE)
    init_schema(make_client(sandbox))
    return sandbox


def _doctor(tmp_path: Path, sandbox: Sandbox, **settings: str) -> subprocess.CompletedProcess[str]:
    env = sandbox_environment(tmp_path, sandbox, log_format="console", **settings)
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _fixes(tmp_path: Path, sandbox: Sandbox, **settings: str) -> dict[str, str]:
    """What doctor says to fix, by check name (in process: the same checks as the command)."""
    env = sandbox_environment(tmp_path, sandbox, **settings)
    values = {k.removeprefix("FOLLOWTHROUGH_").lower(): v for k, v in env.items()}
    chosen = {k: v for k, v in values.items() if k in ENV_SETTINGS}
    return {c.name: c.detail for c in run_checks(load_settings(None, **chosen)) if not c.ok}


ENV_SETTINGS = {
    "google_credentials_file",
    "google_api_endpoint",
    "airtable_endpoint",
    "airtable_token",
    "airtable_base_id",
    "public_url",
}


def test_a_good_setup_is_all_ok_and_exits_0(tmp_path: Path, box: Sandbox) -> None:
    result = _doctor(tmp_path, box)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "all is well" and not [line for line in lines if line.startswith("FIX")]
    assert "Traceback" not in result.stderr


def test_without_a_sender_name_doctor_says_to_set_it_and_exits_3(
    tmp_path: Path, box: Sandbox
) -> None:
    result = _doctor(tmp_path, box, sender_name="")

    assert result.returncode == 3
    lines = result.stdout.splitlines()
    assert "FIX Sender name: FOLLOWTHROUGH_SENDER_NAME is not set" in " ".join(lines)
    assert "ok  Sender name: drafts are signed 'Sam Seeker'" in _doctor(tmp_path, box).stdout


def test_a_base_without_the_tables_says_to_run_airtable_init_and_exits_3(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    bare: Sandbox = sandbox_factory(world(), airtable_rate_limit=FAST_AIRTABLE)

    result = _doctor(tmp_path, bare)

    assert result.returncode == 3
    assert "FIX Airtable tables and fields: missing table Meetings" in result.stdout
    assert "followthrough airtable init" in result.stdout


def test_an_editors_base_is_told_apart(tmp_path: Path, box: Sandbox) -> None:
    box.airtable.set_permission_level("edit")

    fixes = _fixes(tmp_path, box)

    assert "Base creator" in fixes["Airtable base access"]
    assert "3 requests a pass" in fixes["Airtable webhooks"]


def test_a_token_without_some_scopes_names_them(tmp_path: Path, box: Sandbox) -> None:
    box.airtable.set_token_scopes(["data.records:read", "data.records:write", "schema.bases:read"])

    fixes = _fixes(tmp_path, box)

    assert "schema.bases:write, webhook:manage" in fixes["Airtable token"]


def test_a_revoked_google_grant_says_to_authorize_again(tmp_path: Path, box: Sandbox) -> None:
    box.revoke_refresh_token()

    fixes = _fixes(tmp_path, box)

    assert "run `followthrough auth google`" in fixes["Google token refresh"]


def test_a_public_url_must_be_https(tmp_path: Path, box: Sandbox) -> None:
    result = _doctor(tmp_path, box, public_url="http://followthrough.example.org")

    assert result.returncode == 3
    assert "must be https://" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_public_url_must_answer(tmp_path: Path, box: Sandbox) -> None:
    fixes = _fixes(tmp_path, box, public_url="http://127.0.0.1:9")

    assert "not reachable" in fixes["Public URL"]


def test_an_unticked_optional_scope_is_said_to_turn_its_feature_off(
    tmp_path: Path, box: Sandbox
) -> None:
    from connectors.google.auth import SCOPES

    env = sandbox_environment(tmp_path, box)
    path = Path(env["FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE"])
    kept = [s for s in SCOPES if not s.endswith("/tasks")]
    path.write_text(json.dumps(box.google_credentials(scopes=kept)))

    checks = {c.name: c for c in run_checks(load_settings(google_credentials_file=str(path)))}

    assert checks["Google scope tasks"].ok
    assert "the Google Tasks mirror is off" in checks["Google scope tasks"].detail


def test_a_step_the_base_cannot_hold_is_named_off_with_what_to_do(
    tmp_path: Path, sandbox_factory: Any
) -> None:
    fields = [f for f in world()["airtable"]["tables"][0]["fields"] if f["name"] != "Draft Ask"]
    old: Sandbox = sandbox_factory(world(contact_fields=fields), airtable_rate_limit=FAST_AIRTABLE)

    fixes = _fixes(tmp_path, old)

    assert fixes["Ask drafts"].startswith("Ask drafts are off: the base lacks Contacts.Draft Ask")
    assert "run `followthrough airtable init`" in fixes["Ask drafts"]


def test_without_about_me_asks_are_off_but_nothing_needs_fixing(
    tmp_path: Path, box: Sandbox
) -> None:
    result = _doctor(tmp_path, box)
    assert "ok  Ask drafts: Ask drafts are off: FOLLOWTHROUGH_ABOUT_ME is not set" in result.stdout
    about_me = "I'm moving into UX research."
    assert "Ask drafts" not in _doctor(tmp_path, box, about_me=about_me).stdout
