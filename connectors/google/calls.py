"""One policy for every Google call: run it, map failures onto our errors, retry what is safe.

Failures map by what the caller does next: 429, 5xx, timeouts and dropped connections ->
RetryLater (honouring Retry-After); a stale sync token (Calendar's 410 fullSyncRequired,
People's 400 EXPIRED_SYNC_TOKEN, or People's 400 FAILED_PRECONDITION about the sync token when
the body names no reason) -> ResyncRequired; 401 (the transport has already refreshed
the token once) -> AuthorizationError; Gmail's 403 for what a gmail.metadata token may not do
(search, read bodies) -> MetadataScopeRefusal; 404 -> NotFound. Reads and idempotent writes are
retried with backoff and jitter; a non-idempotent write is retried only on 429 (refused before
being applied); anything else that might have applied it becomes AmbiguousWrite, for the caller
to look the result up before trying again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from googleapiclient.errors import HttpError

from connectors.errors import (
    AmbiguousWrite,
    AuthorizationError,
    FollowthroughError,
    NotFound,
    NotPermitted,
    ResyncRequired,
    RetryLater,
)
from connectors.google.auth import REAUTHORIZE
from connectors.policy import RETRIABLE_STATUSES, RetryPolicy

log = structlog.get_logger(__name__)

T = TypeVar("T")


class MetadataScopeRefusal(NotPermitted):
    """Gmail refused a search or a body read because the token carries gmail.metadata."""


SYNC_TOKEN_EXPIRED = frozenset({"fullSyncRequired", "EXPIRED_SYNC_TOKEN"})
RATE_LIMITED = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})


def execute(
    call: Callable[[], T], *, policy: RetryPolicy, operation: str, idempotent: bool = True
) -> T:
    """Run `call` (usually `request.execute`) under `policy`; raise our error when it gives up."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except HttpError as exc:
            error = translate(exc, operation=operation)
            error.__cause__ = exc
        except RetryLater as exc:  # raised by the transport
            error = exc
        if not idempotent:
            error = _as_write_failure(error, operation)
        if not isinstance(error, RetryLater) or isinstance(error, AmbiguousWrite):
            raise error
        if attempt == policy.attempts:
            raise error
        delay = policy.delay(attempt, error.retry_after)
        log.info(
            "google.retry",
            operation=operation,
            attempt=attempt,
            delay=round(delay, 3),
            error=str(error),
        )
        time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


def translate(exc: HttpError, *, operation: str) -> FollowthroughError:
    """The error of our hierarchy that says what to do about a Google error response."""
    status = exc.resp.status
    reasons = error_reasons(exc.content)
    what = f"Google {operation} failed with {status}"
    if _sync_token_expired(status, reasons, exc.content, operation):
        return ResyncRequired(f"{what}: the sync token is no longer valid; sync from scratch.")
    if status in RETRIABLE_STATUSES or (status == 403 and reasons & RATE_LIMITED):
        return RetryLater(f"{what}; try again later.", retry_after=_retry_after(exc))
    if status == 401:
        return AuthorizationError(
            f"{what}: the access token was refused even after a refresh. {REAUTHORIZE}"
        )
    if status == 403 and _message(exc.content).startswith("Metadata scope"):
        return MetadataScopeRefusal(f"{what}: {_message(exc.content)}")
    if status == 403:
        return AuthorizationError(
            f"{what}: permission denied ({', '.join(sorted(reasons))}). {REAUTHORIZE}"
        )
    if status in (404, 410):
        return NotFound(f"{what}: it does not exist (any more).")
    return FollowthroughError(
        f"{what}: {_message(exc.content)}; Google refuses the request as sent, so it is not "
        "retried: the message names what to change"
    )


def error_reasons(content: bytes) -> frozenset[str]:
    """Every `reason` in a Google error body (errors[].reason and details[].reason)."""
    error = _error_body(content)
    entries = [*error.get("errors", []), *error.get("details", [])]
    return frozenset(str(e["reason"]) for e in entries if isinstance(e, dict) and "reason" in e)


def _sync_token_expired(
    status: int, reasons: frozenset[str], content: bytes, operation: str
) -> bool:
    """Calendar's 410 on a listing, a known reason, or People's reasonless 400 about the token."""
    if reasons & SYNC_TOKEN_EXPIRED or (status == 410 and operation.endswith(".list")):
        return True
    error = _error_body(content)
    return (
        status == 400
        and error.get("status") == "FAILED_PRECONDITION"
        and "sync token" in str(error.get("message", "")).lower()
    )


def _as_write_failure(error: FollowthroughError, operation: str) -> FollowthroughError:
    """For a non-idempotent write, only a 429 is known not to have been applied."""
    if (
        isinstance(error, RetryLater)
        and not isinstance(error, AmbiguousWrite)
        and not _rate_limited(error)
    ):
        ambiguous = AmbiguousWrite(
            f"{error} The {operation} may have been applied: look it up first."
        )
        ambiguous.__cause__ = error.__cause__ or error
        return ambiguous
    return error


def _rate_limited(error: RetryLater) -> bool:
    return isinstance(error.__cause__, HttpError) and error.__cause__.resp.status in (403, 429)


def _retry_after(exc: HttpError) -> float | None:
    value = exc.resp.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from Google; fall back to our backoff


def _error_body(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _message(content: bytes) -> str:
    return str(_error_body(content).get("message") or content[:200].decode("utf-8", "replace"))
