"""The FastAPI application: `create_app(context)` assembles webhooks, probes, metrics, status.

The OpenAPI schema is served at /openapi.json. Every request body is limited to
`max_body_bytes`: a larger declared Content-Length, or a streamed body that grows past the
limit, is answered 413 before any handler sees it.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.web import account_pages, google_link, health, metrics, status, webhooks
from service.web.context import WebContext

DEFAULT_MAX_BODY_BYTES = 1_048_576


class _BodyTooLarge(Exception):
    """Raised inside `receive` when a streamed body passes the limit."""


class BodySizeLimit:
    """ASGI middleware answering 413 to request bodies larger than `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse by Content-Length up front, else count the body as it streams in."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        started = False
        total = 0

        async def counting_receive() -> Message:
            nonlocal total
            message = await receive()
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_bytes} bytes"},
            status_code=413,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def create_app(context: WebContext, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """The web app serving `context`; see service.web.context.WebContext for what it calls."""
    app = FastAPI(
        title="Followthrough",
        summary="Webhooks, health, metrics and the status page of the Followthrough service.",
        version="0.1.0",
    )
    app.state.context = context
    for module in (webhooks, google_link, health, metrics, status, account_pages):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    return app
