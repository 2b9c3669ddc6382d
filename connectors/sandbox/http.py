"""The sandbox's small HTTP toolkit: requests, responses, routes, and the two APIs' error shapes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote


class HttpError(Exception):
    """Raised by a handler to answer with an error response instead of a result."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Request:
    """One parsed HTTP request as a handler sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Request:
        """Build a request from the raw method, target (path?query), headers and body."""
        path, _, query = target.partition("?")
        return cls(
            method=method.upper(),
            path=path,
            query=parse_qs(query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter, or `default`."""
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (also split on commas, as Google allows)."""
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out

    def json(self) -> Any:
        """The body parsed as JSON; a malformed body is the caller's fault (400)."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            error = {
                "code": 400,
                "message": f"Invalid JSON payload received. {exc}",
                "status": "INVALID_ARGUMENT",
            }
            raise HttpError(Response(400, {"error": error})) from exc

    @property
    def bearer(self) -> str | None:
        """The bearer token of the Authorization header, if any."""
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class Response:
    """What a handler answers: a status, a JSON-able body (or raw bytes), and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        """The body as bytes (JSON unless already bytes; empty for None)."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """A method and path pattern bound to a handler, with a name for request counts and faults."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str  # e.g. "calendar.events.list"
    api: str  # google | airtable | oauth | control
    write: bool  # applied state changes: subject to the ambiguous-write fault


class Router:
    """Routes requests by method and a path pattern with `{name}` placeholders."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self, method: str, path: str, handler: Handler, *, name: str, api: str, write: bool = False
    ) -> None:
        """Register `handler` for `method` on `path` ("/v0/{baseId}/{table}": placeholders)."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self.routes.append(
            Route(method.upper(), re.compile(f"^{regex}$"), handler, name, api, write)
        )

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and path parameters for a request, or None when nothing matches."""
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method.upper():
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def fingerprint(secret: str) -> str:
    """A short, one-way name for a credential: which caller it was, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def google_error(
    status: int, message: str, *, reason: str, grpc_status: str, domain: str = "global"
) -> Response:
    """An error in Google's JSON shape (as Calendar, People, Gmail and Tasks answer)."""
    return Response(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
                "status": grpc_status,
            }
        },
    )


def bare_gone() -> HttpError:
    """A 410 Gone whose body names no reason (a stale sync token, when so staged)."""
    return HttpError(Response(410, {"error": {"code": 410, "message": "Gone"}}))


def airtable_error(status: int, error_type: str, message: str | None = None) -> Response:
    """An error in Airtable's JSON shape: {"error": {"type": ..., "message": ...}}."""
    error: dict[str, str] = {"type": error_type}
    if message is not None:
        error["message"] = message
    return Response(status, {"error": error})
