"""Prometheus metrics: what Followthrough counts, and the GET /metrics endpoint that exposes it.

The metric objects live here so that the service's wiring (actor middleware, sync loops)
records into one registry; `/metrics` serves that registry in Prometheus' text format.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

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

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
def metrics() -> Response:
    """Syncs, records, effects, errors, tasks and queue lag in Prometheus' text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
