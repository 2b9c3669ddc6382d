"""The sandbox control API over HTTP: `POST <base>/_sandbox/<name>` (reads also `GET`), each
tenant's under /_sandbox/tenants/<name>/, Airtable's methods under .../airtable/<method>; the
methods themselves are in connectors.sandbox.control."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.errors import FollowthroughError
from connectors.sandbox.control import READS, WRITES, SandboxControl
from connectors.sandbox.http import HttpError, Request, Response, Router, google_error

Resolve = Callable[[Request], Any]
"""Which world a control request acts on: the sandbox itself, or one of its tenants."""


def register_control(
    router: Router,
    sandbox: SandboxControl,
    *,
    tenant: Resolve,
    reads: frozenset[str] = frozenset(),
    writes: frozenset[str] = frozenset(),
) -> None:
    """Serve the control methods over HTTP under /_sandbox/ (the sandbox's own `reads` and
    `writes` beside every world's), and each tenant's under /_sandbox/tenants/<name>/."""
    itself: Resolve = lambda request: sandbox  # noqa: E731
    for prefix, world, own_reads, own_writes in (
        ("/_sandbox/tenants/{tenant}", tenant, READS, WRITES),
        ("/_sandbox", itself, READS | reads, WRITES | writes),
    ):
        read, call = _dispatcher(world, own_reads), _dispatcher(world, own_reads | own_writes)
        router.add("GET", prefix + "/{action}", read, name="control.read", api="control")
        router.add("POST", prefix + "/{action}", call, name="control.call", api="control")
        airtable, path = _airtable_dispatcher(world), prefix + "/airtable/{action}"
        router.add("POST", path, airtable, name="control.airtable", api="control")


def _dispatcher(world: Resolve, allowed: frozenset[str]) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        action = request.params["action"]
        if action not in allowed:
            raise HttpError(
                _control_error(
                    404, f"no control action {action!r}; see connectors/sandbox/control.py"
                )
            )
        return _call(getattr(_resolve(world, request), action), request)

    return handle


def _resolve(world: Resolve, request: Request) -> Any:
    try:
        return world(request)
    except KeyError as exc:
        raise HttpError(_control_error(404, str(exc.args[0]))) from exc


def _airtable_dispatcher(world: Resolve) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        action = request.params["action"]
        airtable = _resolve(world, request).airtable
        method = getattr(airtable, action, None) if not action.startswith("_") else None
        if action == "register" or not callable(method):
            raise HttpError(
                _control_error(404, f"the Airtable part offers no control method {action!r}")
            )
        return _call(method, request)

    return handle


def _call(method: Callable[..., Any], request: Request) -> Response:
    kwargs = (
        request.json() if request.method == "POST" else {k: v[0] for k, v in request.query.items()}
    )
    if not isinstance(kwargs, dict):
        raise HttpError(_control_error(400, "the body must be a JSON object of keyword arguments"))
    try:
        result = method(**kwargs)
    except (TypeError, ValueError, LookupError, FollowthroughError) as exc:
        raise HttpError(_control_error(400, f"{type(exc).__name__}: {exc}")) from exc
    return Response(200, {"result": result})


def _control_error(status: int, message: str) -> Response:
    return google_error(status, message, reason="invalid", grpc_status="INVALID_ARGUMENT")
