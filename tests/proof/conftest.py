"""Fixtures for the proof suites: every log line of a test captured as JSON, at debug level."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from service.logging import configure_logging, reset_logging
from tests.workflows.conftest import RuntimeFactory, make_runtime  # noqa: F401 (fixture)


@dataclass
class CapturedLog:
    """The log lines written while a test ran (structlog and the standard library alike)."""

    stream: io.StringIO

    @property
    def text(self) -> str:
        """Everything logged, as written."""
        return self.stream.getvalue()

    def events(self, name: str) -> list[dict[str, object]]:
        """The JSON events called `name`."""
        found = []
        for line in self.text.splitlines():
            if line.strip():
                event = json.loads(line)
                if event.get("event") == name:
                    found.append(event)
        return found


@pytest.fixture
def captured_log() -> Iterator[CapturedLog]:
    """Logging configured as the service does it (JSON, DEBUG) into a buffer."""
    stream = io.StringIO()
    configure_logging("json", "DEBUG", stream)
    yield CapturedLog(stream)
    reset_logging()
