"""Fixtures for the service tests: a clean environment and working directory for settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings, env_name
from tests.workflows.conftest import make_runtime  # noqa: F401 (fixture for whole-pass tests)


@pytest.fixture
def clean_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No FOLLOWTHROUGH_* setting in the environment, and an empty working directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(env_name(name), raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
