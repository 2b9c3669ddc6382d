"""A runtime wired to a sandbox and a fresh store, as the service would build it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter
from connectors.airtable.schema import init_schema
from connectors.google.client import GoogleClient
from connectors.policy import FAST_POLICY
from connectors.sandbox.server import Sandbox
from workflows.migrations import upgrade
from workflows.rules.clock import Clock
from workflows.runtime import Runtime, WorkflowConfig
from workflows.store.db import Database

RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[RuntimeFactory]:
    """Build runtimes on a sandbox: `make_runtime(sandbox, now=..., database_url=..., **config)`."""
    databases: list[Database] = []

    def build(
        sandbox: Sandbox,
        *,
        now: dt.datetime,
        database_url: str | None = None,
        init: bool = True,
        **config: Any,
    ) -> Runtime:
        url = database_url or f"sqlite:///{tmp_path / 'followthrough.db'}"
        upgrade(url)
        db = Database(url)
        databases.append(db)
        credentials = tmp_path / "google.json"
        credentials.write_text(json.dumps(sandbox.google_credentials()))
        credentials.chmod(0o600)
        airtable = AirtableClient(
            sandbox.airtable_token,
            sandbox.airtable_base_id,
            endpoint=sandbox.url,
            policy=FAST_POLICY,
            limiter=LocalRateLimiter(),
            penalty_seconds=0.5,
        )
        if init:
            init_schema(airtable)
        config.setdefault("sender_name", "Sam Seeker")
        return Runtime(
            db=db,
            config=WorkflowConfig(**config),
            google=GoogleClient(credentials, endpoint=sandbox.url, policy=FAST_POLICY),
            airtable=airtable,
            clock=Clock.frozen_at(now),
        )

    yield build
    for db in databases:
        db.dispose()
