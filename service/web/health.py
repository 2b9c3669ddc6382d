"""Liveness and readiness probes: GET /healthz and GET /readyz."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is alive and answering."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    responses={503: {"description": "A dependency is down; `down` lists which"}},
)
def readyz(request: Request) -> JSONResponse:
    """200 when every dependency (database, broker) is reachable; 503 naming what is down."""
    checks: dict[str, bool] = request.app.state.context.check_ready()
    down = sorted(name for name, ok in checks.items() if not ok)
    if down:
        return JSONResponse({"status": "unavailable", "down": down, "checks": checks}, 503)
    return JSONResponse({"status": "ready", "down": [], "checks": checks})
