"""Google Contacts (People API): incremental sync of the user's connections.

The first pass asks for a sync token; later passes return only what changed, deletions as
tombstones (`metadata.deleted`) and renamed resources with their previous names. An expired
token (400 EXPIRED_SYNC_TOKEN, or a 400 FAILED_PRECONDITION about it that names no reason)
restarts a full sync flagged `full_sync`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import structlog

from connectors.google.paging import sync_pages
from connectors.policy import RetryPolicy
from connectors.records import GoogleContact, Page, Skipped

log = structlog.get_logger(__name__)

PERSON_FIELDS = "names,emailAddresses,organizations,phoneNumbers,metadata"
PAGE_SIZE = 1000  # the largest page people.connections.list allows
SOURCE = "contacts"


class ContactsClient:
    """People v1 calls on a per-thread service object (see GoogleClient)."""

    def __init__(self, service: Callable[[], Any], policy: RetryPolicy) -> None:
        self._service = service
        self._policy = policy

    def sync(self, cursor: str | None) -> Iterator[Page[GoogleContact]]:
        """Pages of changed contacts; the last page carries the sync token to resume from."""
        return sync_pages(
            self._request,
            connections_page,
            cursor,
            policy=self._policy,
            operation="people.connections.list",
            resync_event="contacts.resync",
        )

    def _request(self, cursor: str | None, page_token: str | None) -> Any:
        """The connections.list request for one page."""
        return (
            self._service()
            .people()
            .connections()
            .list(
                resourceName="people/me",
                personFields=PERSON_FIELDS,
                pageSize=PAGE_SIZE,
                requestSyncToken=True,
                syncToken=cursor,
                pageToken=page_token,
            )
        )


def normalize_person(person: dict[str, Any]) -> GoogleContact | Skipped:
    """A GoogleContact from a People API person, or a Skipped saying why it cannot be used.

    A contact with no name or no email still syncs with what it has.
    """
    resource_name = person.get("resourceName")
    if not isinstance(resource_name, str) or not resource_name.startswith("people/"):
        return Skipped(SOURCE, None, "person has no resource name")
    metadata = person.get("metadata") or {}
    name = _primary(person.get("names"))
    organization = _primary(person.get("organizations"))
    return GoogleContact(
        resource_name=resource_name,
        previous_resource_names=tuple(metadata.get("previousResourceNames") or ()),
        deleted=bool(metadata.get("deleted")),
        display_name=_text(name.get("displayName")),
        given_name=_text(name.get("givenName")),
        family_name=_text(name.get("familyName")),
        emails=_values(person.get("emailAddresses")),
        company=_text(organization.get("name")),
        role=_text(organization.get("title")),
        phones=_values(person.get("phoneNumbers")),
        etag=person.get("etag"),
    )


def connections_page(reply: dict[str, Any], *, full_sync: bool, last: bool) -> Page[GoogleContact]:
    """One connections.list response as a Page (the cursor only on the last page)."""
    contacts: list[GoogleContact] = []
    skipped: list[Skipped] = []
    for person in reply.get("connections", []):
        result = (
            normalize_person(person)
            if isinstance(person, dict)
            else Skipped(SOURCE, None, "not an object")
        )
        if isinstance(result, Skipped):
            log.warning("contacts.skipped", record_id=result.record_id, reason=result.reason)
            skipped.append(result)
        else:
            contacts.append(result)
    return Page(
        records=tuple(contacts),
        skipped=tuple(skipped),
        next_cursor=reply.get("nextSyncToken") if last else None,
        full_sync=full_sync,
        last=last,
    )


def _primary(entries: Any) -> dict[str, Any]:
    """The entry marked primary, else the first one, else an empty dict."""
    usable = [e for e in entries or () if isinstance(e, dict)]
    return next(
        (e for e in usable if (e.get("metadata") or {}).get("primary")), usable[0] if usable else {}
    )


def _values(entries: Any) -> tuple[str, ...]:
    """Each distinct non-empty `value`, the primary entry first."""
    usable = [e for e in entries or () if isinstance(e, dict)]
    ordered = sorted(usable, key=lambda e: not (e.get("metadata") or {}).get("primary"))
    values = (str(e.get("value") or "").strip() for e in ordered)
    return tuple(dict.fromkeys(v for v in values if v))


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
