"""Helpers for the Airtable tests: bases built from the contract, clients on the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter, RateLimiter
from connectors.airtable.tables import SCHEMA
from connectors.policy import FAST_POLICY, RetryPolicy
from connectors.sandbox.fixture import contract_table
from connectors.sandbox.server import Sandbox

FAST_RATE = 10_000
"""A limiter rate for tests that are not about rate limiting (the sandbox's limit is off too)."""


def base_fixture(
    records: dict[str, list[dict[str, Any]]] | None = None,
    *,
    tables: Iterable[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A sandbox world holding only an Airtable base: the contract's tables unless `tables`."""
    records = records or {}
    if tables is None:
        tables = [contract_table(spec, records.get(spec.name, [])) for spec in SCHEMA]
    return {"airtable": {"tables": list(tables)}}


def make_client(
    box: Sandbox,
    *,
    limiter: RateLimiter | None = None,
    policy: RetryPolicy = FAST_POLICY,
    penalty_seconds: float = 0.5,
    token: str | None = None,
) -> AirtableClient:
    """A client on the sandbox's base with fast retries (and a fast limiter unless one is given)."""
    return AirtableClient(
        token or box.airtable_token,
        box.airtable_base_id,
        endpoint=box.url,
        policy=policy,
        limiter=limiter or LocalRateLimiter(rate=FAST_RATE),
        penalty_seconds=penalty_seconds,
    )


@pytest.fixture
def airtable_box(sandbox_factory: Callable[..., Sandbox]) -> Callable[..., Sandbox]:
    """Start a sandbox holding an Airtable base (rate limit off unless given)."""

    def start(fixture: dict[str, Any] | None = None, **settings: Any) -> Sandbox:
        settings.setdefault("airtable_rate_limit", 0)
        return sandbox_factory(fixture if fixture is not None else base_fixture(), **settings)

    return start
