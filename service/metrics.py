"""Prometheus metrics: what Followthrough counts, in one registry.

The metric objects live beside the broker and the logging, not in the web app, so that the
actor middleware (service.broker) and the event counter (service.logging) record into them
without importing the web app; `/metrics` (service.web.metrics) serves the registry.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
"""Followthrough's own registry (not the global one, so tests and re-imports stay clean)."""

SYNCS = Counter(
    "followthrough_syncs",
    "Sync passes by source and outcome (ok, failed).",
    ["source", "outcome"],
    registry=REGISTRY,
)
RECORDS = Counter(
    "followthrough_records",
    "Records read from a source (skipped ones counted with outcome=skipped).",
    ["source", "outcome"],
    registry=REGISTRY,
)
EFFECTS = Counter(
    "followthrough_effects",
    "External effects (draft, follow-up, task, contact update) by kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "followthrough_errors",
    "Errors by where they happened and their class.",
    ["where", "error"],
    registry=REGISTRY,
)
TASKS = Counter(
    "followthrough_tasks",
    "Broker messages processed by actor and outcome (done, failed, skipped).",
    ["actor", "outcome"],
    registry=REGISTRY,
)
QUEUE_LAG = Histogram(
    "followthrough_queue_lag_seconds",
    "Seconds between when a message was due and when a worker started it.",
    ["queue"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
    registry=REGISTRY,
)


def count_events(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    """A structlog processor that counts the workflows' events into the metrics above.

    The workflows know nothing of Prometheus; they log structured events (`sync.done`,
    `meeting.completed`, ...) and this processor, first in the chain so that the log level
    cannot hide them, turns those into counts.
    """
    name = event.get("event")
    if name == "sync.done":
        source = str(event.get("source", ""))
        SYNCS.labels(source=source, outcome="ok").inc()
        RECORDS.labels(source=source, outcome="read").inc(_number(event.get("records")))
        RECORDS.labels(source=source, outcome="skipped").inc(_number(event.get("skipped")))
    elif name == "sync.failed":
        source = str(event.get("source", ""))
        SYNCS.labels(source=source, outcome="failed").inc()
        ERRORS.labels(where=source, error=str(event.get("error", ""))).inc()
    elif name == "meeting.completed":
        _count_completion(event)
    elif name in ("due.skipped", "followup.skipped", "meeting.failed"):
        ERRORS.labels(where=name, error=str(event.get("error", "skipped"))).inc()
    return event


def _count_completion(event: MutableMapping[str, Any]) -> None:
    outcome = "skipped" if event.get("skipped") else "applied"
    EFFECTS.labels(kind="meeting", outcome=outcome).inc()
    if event.get("draft"):
        EFFECTS.labels(kind="draft", outcome="applied").inc()
    EFFECTS.labels(kind="follow_up", outcome="applied").inc(_number(event.get("followups")))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and value > 0 else 0.0
