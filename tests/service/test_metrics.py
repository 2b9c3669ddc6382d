"""/metrics counts what the workflows did: syncs, records, effects, whatever the log level."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import generate_latest

from connectors.sandbox.fixture import small_fixture
from service.logging import configure_logging, reset_logging
from service.metrics import REGISTRY
from tests.workflows.conftest import RuntimeFactory
from workflows.passes import run_once

AFTER_ADA = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
def quiet_logging() -> Iterator[None]:
    configure_logging("json", "ERROR", io.StringIO())  # INFO events are not written...
    yield
    reset_logging()


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_pass_is_counted_in_the_metrics_even_when_info_is_not_logged(
    quiet_logging: None, sandbox_factory: Any, make_runtime: RuntimeFactory
) -> None:
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=AFTER_ADA)
    syncs_before = _value("followthrough_syncs_total", source="google_calendar", outcome="ok")
    drafts_before = _value("followthrough_effects_total", kind="draft", outcome="applied")
    records_before = _value("followthrough_records_total", source="google_calendar", outcome="read")

    run_once(runtime)

    # ...but they are counted: one calendar sync, its events, and Ada's draft
    assert _value("followthrough_syncs_total", source="google_calendar", outcome="ok") == (
        syncs_before + 1
    )
    assert _value("followthrough_records_total", source="google_calendar", outcome="read") > (
        records_before
    )
    assert _value("followthrough_effects_total", kind="draft", outcome="applied") == (
        drafts_before + 1
    )
    assert b"followthrough_syncs_total" in generate_latest(REGISTRY)
