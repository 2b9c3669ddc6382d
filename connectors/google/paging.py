"""Paging through a Google listing, and the incremental sync built on it.

Every Google listing pages alike: a request per page, each passing the previous reply's
`nextPageToken`, until a reply has none. A sync listing (Calendar's events, People's
connections) ends its last page with `nextSyncToken`, where the next pass resumes; a stale one
(ResyncRequired, see calls.translate) restarts the listing from scratch, its pages flagged
`full_sync` so the consumer may reconcile by absence (the ids are the same: nothing downstream
is duplicated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import structlog

from connectors.errors import ResyncRequired
from connectors.google.calls import execute
from connectors.policy import RetryPolicy

log = structlog.get_logger(__name__)

Reply = dict[str, Any]
PageRequest = Callable[[str | None], Any]
"""The request for one page, given its page token (None for the first)."""
SyncRequest = Callable[[str | None, str | None], Any]
"""The request for one page, given the sync token (None: from scratch) and its page token."""

P_co = TypeVar("P_co", covariant=True)
T = TypeVar("T")


class ToPage(Protocol[P_co]):
    """Turns one reply of a sync listing into our page (the sync token only on the last)."""

    def __call__(self, reply: Reply, *, full_sync: bool, last: bool) -> P_co: ...


def replies(
    request: PageRequest, *, policy: RetryPolicy, operation: str
) -> Iterator[tuple[Reply, bool]]:
    """Each reply of a listing, and whether it is the last, one request per page."""
    return converted(request, lambda reply, last: (reply, last), policy=policy, operation=operation)


def converted(
    request: PageRequest,
    convert: Callable[[Reply, bool], T],
    *,
    policy: RetryPolicy,
    operation: str,
) -> Iterator[T]:
    """`convert(reply, last)` for each reply of a listing, one request per page.

    A reply is let go once converted, before its page is used and before the next is asked
    for: a first sync's page of 2,500 events, as parsed, is the largest thing it holds.
    """
    page_token: str | None = None
    while True:
        reply: Reply = execute(request(page_token).execute, policy=policy, operation=operation)
        page_token = reply.get("nextPageToken")
        item = convert(reply, not page_token)
        del reply
        yield item
        del item
        if not page_token:
            return


def sync_pages(
    request: SyncRequest,
    to_page: ToPage[P_co],
    cursor: str | None,
    *,
    policy: RetryPolicy,
    operation: str,
    resync_event: str,
    **log_fields: str,
) -> Iterator[P_co]:
    """The pages changed since the sync token `cursor` (all of them when None); a stale token
    is logged as `resync_event` and the listing read again from scratch."""
    try:
        yield from _sync_pass(request, to_page, cursor, policy=policy, operation=operation)
    except ResyncRequired:
        if cursor is None:
            raise
        log.warning(resync_event, reason="sync token expired", **log_fields)
        yield from _sync_pass(request, to_page, None, policy=policy, operation=operation)


def _sync_pass(
    request: SyncRequest,
    to_page: ToPage[P_co],
    cursor: str | None,
    *,
    policy: RetryPolicy,
    operation: str,
) -> Iterator[P_co]:
    full = cursor is None
    yield from converted(
        lambda token: request(cursor, token),
        lambda reply, last: to_page(reply, full_sync=full, last=last),
        policy=policy,
        operation=operation,
    )
