"""Structured logging: JSON or console lines, library records included, and no secret ever."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from service.logging import (
    REDACTED,
    configure_logging,
    get_logger,
    register_secret,
    reset_logging,
)

CANARY = "canary-7f3a9c1e-secret"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Logging configured as JSON into a buffer, at debug level, with the canary registered."""
    stream = io.StringIO()
    configure_logging("json", "DEBUG", stream)
    register_secret(CANARY)
    yield stream
    reset_logging()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """The JSON log lines this test wrote so far (a sandbox another test left serving may still
    log from its threads: its `sandbox.*` lines are not this test's)."""
    written = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in written if not str(line.get("event", "")).startswith("sandbox.")]


def test_events_are_json_lines_with_their_fields(json_log: io.StringIO) -> None:
    get_logger("followthrough.sync").info("sync.page", source="calendar", records=3)

    [line] = lines(json_log)
    assert line["event"] == "sync.page"
    assert line["source"] == "calendar"
    assert line["records"] == 3
    assert line["level"] == "info"
    assert "timestamp" in line


def test_a_registered_secret_never_reaches_a_line(json_log: io.StringIO) -> None:
    log = get_logger("followthrough.test")
    log.info("request", url=f"https://api.example.com/v0?x={CANARY}", attempt=1)
    log.debug("nested", payload={"inner": [f"Bearer {CANARY}"], "count": 2})
    try:
        raise RuntimeError(f"refresh failed for {CANARY}")
    except RuntimeError:
        log.exception("auth.failed")
    logging.getLogger("urllib3.connectionpool").warning("retrying %s", CANARY)
    logging.getLogger("dramatiq.worker").error("message failed: %r", {"token": CANARY})

    assert CANARY not in json_log.getvalue()
    written = lines(json_log)
    assert len(written) == 5
    assert sum(json.dumps(line).count(REDACTED) for line in written) >= 5


def test_fields_named_like_secrets_are_redacted(json_log: io.StringIO) -> None:
    get_logger().info(
        "oauth.refresh",
        access_token="ya29.unregistered",
        client_secret="GOCSPX-unregistered",
        headers={"Authorization": "Bearer abc", "Accept": "application/json"},
        user="ada@example.com",
    )

    [line] = lines(json_log)
    assert line["access_token"] == REDACTED
    assert line["client_secret"] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}
    assert line["user"] == "ada@example.com"


def test_library_records_go_through_the_same_renderer(json_log: io.StringIO) -> None:
    logging.getLogger("googleapiclient.http").info("Sleeping %.2f seconds", 1.5)

    [line] = lines(json_log)
    assert line["event"] == "Sleeping 1.50 seconds"
    assert line["logger"] == "googleapiclient.http"


def test_console_format_writes_readable_lines_without_secrets() -> None:
    stream = io.StringIO()
    configure_logging("console", "INFO", stream)
    register_secret(CANARY)
    try:
        get_logger("followthrough.web").info("webhook.accepted", source="airtable", mac=CANARY)
        get_logger("followthrough.web").debug("hidden.at.info")
    finally:
        reset_logging()

    text = stream.getvalue()
    assert "webhook.accepted" in text
    assert "source=airtable" in text
    assert CANARY not in text
    assert "hidden.at.info" not in text


def test_credentials_recognisable_by_shape_are_redacted_unregistered(json_log: io.StringIO) -> None:
    fresh_access_token = "ya29.a0AfB_byC-freshly-refreshed-token"
    airtable_token = "patAbCdEfGhIjKlMn." + "0123456789abcdef" * 4
    get_logger().info(
        "http.request",
        detail=f"GET /v0/app?x=1 with {airtable_token}",
        header=f"Bearer {fresh_access_token}",
        note=f"refreshed to {fresh_access_token}",
    )

    text = json_log.getvalue()
    assert fresh_access_token not in text
    assert airtable_token not in text
    assert "GET /v0/app?x=1 with [REDACTED]" in text
