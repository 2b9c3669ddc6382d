"""The web app's OpenAPI schema fuzzed with schemathesis: no request makes a 500.

The app is served on a free port on the live context (a real store and sandbox behind it), and
every operation in its schema gets valid and invalid requests (headers, bodies, methods), a
bounded number of each so the whole run stays well under a minute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from dramatiq.brokers.stub import StubBroker
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from connectors.sandbox.fixture import small_fixture
from service.web.app import create_app
from service.web.live import LiveContext
from service.web.server import WebServer
from tests.workflows.conftest import RuntimeFactory
from workflows import channels
from workflows.actors import declare_actors
from workflows.sync import sync_source

NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
EXAMPLES = 150


@pytest.fixture
def served(sandbox_factory: Any, make_runtime: RuntimeFactory) -> Iterator[str]:
    """The live web app's base URL, with a Calendar channel and an Airtable webhook open."""
    sandbox = sandbox_factory(small_fixture())
    runtime = make_runtime(sandbox, now=NOW)
    broker = StubBroker()
    server = WebServer(
        create_app(LiveContext(runtime, declare_actors(broker), broker), max_body_bytes=64_000)
    )
    runtime.config = dataclasses.replace(runtime.config, public_url=server.url)
    with server:
        channels.ensure_calendar_channel(runtime)
        sync_source(runtime, "airtable")
        yield server.url
    broker.close()


def test_no_request_the_schema_allows_or_forbids_makes_a_server_error(served: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    cases = st.one_of(
        schema.as_strategy(generation_mode=GenerationMode.POSITIVE),
        schema.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    seen: set[str] = set()

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def no_server_error(case: Any) -> None:
        response = case.call(base_url=served, timeout=5)
        seen.add(f"{case.method} {case.path}")
        assert response.status_code < 500, (case.method, case.path, response.text[:300])

    no_server_error()

    assert {"POST /webhooks/airtable", "POST /webhooks/google/calendar", "GET /healthz"} <= seen


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
PING_LIKE = st.fixed_dictionaries(
    {"webhook": st.one_of(JSON, st.fixed_dictionaries({"id": JSON}))}, optional={"base": JSON}
)


def test_no_ping_body_makes_a_server_error(served: str) -> None:
    # The schema cannot describe the ping's raw body (its MAC is over the exact bytes), so
    # bodies are fuzzed here: bytes, any JSON, and JSON shaped almost like a ping.
    bodies = st.one_of(
        st.binary(max_size=300),
        JSON.map(lambda value: json.dumps(value).encode()),
        PING_LIKE.map(lambda value: json.dumps(value).encode()),
    )

    @given(body=bodies, mac=st.sampled_from(["hmac-sha256=00", "hmac-sha256=", "HMAC-SHA256=zz"]))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
    def no_server_error(body: bytes, mac: str) -> None:
        response = requests.post(
            f"{served}/webhooks/airtable",
            data=body,
            headers={"X-Airtable-Content-MAC": mac},
            timeout=5,
        )
        assert response.status_code < 500, (body, response.text[:300])

    no_server_error()
