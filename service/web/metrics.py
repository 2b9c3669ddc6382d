"""GET /metrics: Followthrough's registry (service.metrics) in Prometheus' text format.

The counts behind the status page's pictures (pipeline, funnel, thank-you times, the week's
items) are read from the store at each scrape; a store that cannot be read leaves them as
they were and the rest is served.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.metrics import REGISTRY, record_home

router = APIRouter(tags=["operations"])
log = structlog.get_logger(__name__)


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    """Syncs, records, effects, errors, tasks, queue lag, and the counts behind the status
    page's pictures, in Prometheus' text format."""
    try:
        record_home(request.app.state.context.home())
    except Exception as exc:  # the operational counters are still worth serving
        log.warning("metrics.home_failed", error=type(exc).__name__)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
