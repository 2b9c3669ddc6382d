"""The project's error hierarchy, grouped by what the caller should do next.

It lives in the lowest layer so that connectors, workflows and the service share one root.
"""

from __future__ import annotations


class FollowthroughError(Exception):
    """Root of every error Followthrough raises on purpose."""


class RetryLater(FollowthroughError):
    """A transient failure (429, 5xx, timeout, dropped connection): try the same call later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AmbiguousWrite(RetryLater):
    """A write whose outcome is unknown: look it up before trying it again."""


class ResyncRequired(FollowthroughError):
    """A cursor (sync token, webhook cursor) is no longer valid: sync this source from scratch."""


class SkipRecord(FollowthroughError):
    """One record cannot be used (bad or unexpected data): skip it, log why, and go on."""


class UserActionRequired(FollowthroughError):
    """Nothing will work until the user acts; the message says exactly what to do."""


class ConfigurationError(UserActionRequired):
    """A setting is missing or invalid; the message names the setting and the fix."""


class AuthorizationError(UserActionRequired):
    """Credentials were refused or revoked; the user must authorize again."""


class NotPermitted(UserActionRequired):
    """The account may not do this (e.g. an Airtable Editor creating a webhook or a field)."""


class NotFound(FollowthroughError):
    """The remote object does not exist (any more): treat it as gone."""
