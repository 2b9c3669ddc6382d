"""Google error responses mapped by what the caller does next, and Retry-After honoured."""

from __future__ import annotations

import json
import time
from typing import Any

import httplib2
import pytest
from googleapiclient.errors import HttpError

from connectors.errors import (
    AmbiguousWrite,
    AuthorizationError,
    NotFound,
    ResyncRequired,
    RetryLater,
)
from connectors.google.calls import execute, translate
from connectors.policy import FAST_POLICY, RetryPolicy


def google_error(status: int, body: dict[str, Any], **headers: str) -> HttpError:
    """An HttpError as google-api-python-client raises it for a real error response."""
    response = httplib2.Response({"status": status, **headers})
    return HttpError(response, json.dumps(body).encode(), uri="https://example.invalid/x")


CALENDAR_410 = {
    "error": {
        "errors": [
            {
                "domain": "global",
                "reason": "fullSyncRequired",
                "message": "Sync token is no longer valid, a full sync is required.",
            }
        ],
        "code": 410,
        "message": "Sync token is no longer valid, a full sync is required.",
    }
}
BARE_410 = {"error": {"code": 410, "message": "Gone"}}
PEOPLE_EXPIRED = {
    "error": {
        "code": 400,
        "message": "Sync token is expired. Clear local cache and retry call without the sync "
        "token.",
        "status": "FAILED_PRECONDITION",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "EXPIRED_SYNC_TOKEN",
                "domain": "people.googleapis.com",
            }
        ],
    }
}
RATE_LIMITED_403 = {
    "error": {
        "code": 403,
        "message": "Rate Limit Exceeded",
        "errors": [{"reason": "rateLimitExceeded"}],
    }
}
SCOPE_403 = {
    "error": {
        "code": 403,
        "message": "Insufficient Permission",
        "errors": [{"reason": "insufficientPermissions"}],
    }
}


@pytest.mark.parametrize(
    ("error", "operation", "expected"),
    [
        (google_error(410, CALENDAR_410), "calendar.events.list", ResyncRequired),
        (google_error(400, PEOPLE_EXPIRED), "people.connections.list", ResyncRequired),
        # a 410 on a list call is a stale sync token even when its body names no reason
        (google_error(410, BARE_410), "calendar.events.list", ResyncRequired),
        (google_error(410, BARE_410), "people.connections.list", ResyncRequired),
        (google_error(410, {"error": "gone"}), "calendar.events.list", ResyncRequired),
        (
            google_error(410, {"error": {"code": 410, "message": "Resource has been deleted"}}),
            "calendar.events.get",
            NotFound,
        ),
        (
            google_error(404, {"error": {"code": 404, "message": "Not Found"}}),
            "gmail.drafts.get",
            NotFound,
        ),
        (
            google_error(401, {"error": {"code": 401, "message": "Invalid Credentials"}}),
            "calendar.events.list",
            AuthorizationError,
        ),
        (google_error(403, SCOPE_403), "gmail.drafts.create", AuthorizationError),
        (google_error(403, RATE_LIMITED_403), "calendar.events.list", RetryLater),
        (google_error(429, {"error": {"code": 429}}), "tasks.tasks.insert", RetryLater),
        (google_error(503, {"error": {"code": 503}}), "tasks.tasks.list", RetryLater),
    ],
)
def test_error_responses_map_to_what_the_caller_does_next(
    error: HttpError, operation: str, expected: type[Exception]
) -> None:
    assert type(translate(error, operation=operation)) is expected


def test_authorization_errors_say_how_to_fix_them() -> None:
    error = translate(google_error(401, {"error": {"code": 401}}), operation="calendar.events.list")

    assert "followthrough auth google" in str(error)


def test_retry_after_is_honoured() -> None:
    replies = iter([google_error(429, {"error": {"code": 429}}, **{"retry-after": "0.3"})])

    def call() -> str:
        error = next(replies, None)
        if error is not None:
            raise error
        return "done"

    started = time.monotonic()
    assert execute(call, policy=FAST_POLICY, operation="calendar.events.list") == "done"
    assert time.monotonic() - started >= 0.3


def test_a_non_idempotent_write_is_not_retried_after_a_5xx() -> None:
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise google_error(500, {"error": {"code": 500}})

    with pytest.raises(AmbiguousWrite):
        execute(call, policy=FAST_POLICY, operation="gmail.drafts.create", idempotent=False)
    assert len(calls) == 1


def test_reads_give_up_after_the_policy_attempts() -> None:
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise google_error(503, {"error": {"code": 503}})

    policy = RetryPolicy(timeout=1, attempts=3, base_delay=0.001, max_delay=0.002)
    with pytest.raises(RetryLater):
        execute(call, policy=policy, operation="people.connections.list")
    assert len(calls) == 3
