"""People API v1 in the sandbox: people/me/connections with paging, field masks and sync tokens.

Deleted contacts stay as tombstones so incremental syncs can report them with
`metadata.deleted`; a renamed contact (as a merge renames it) lists its old names in
`metadata.previousResourceNames`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import time
from functools import lru_cache
from typing import Any

from connectors.sandbox.calendar_store import rfc3339
from connectors.sandbox.http import HttpError, Request, Response, Router, bare_gone
from connectors.sandbox.tokens import PageLimits, decode_token, encode_token
from connectors.sandbox.values import clone, json_response

MAX_PAGE = 1000
DEFAULT_PAGE = 100
PERSON_FIELDS = frozenset(
    {
        "addresses",
        "ageRanges",
        "biographies",
        "birthdays",
        "calendarUrls",
        "clientData",
        "coverPhotos",
        "emailAddresses",
        "events",
        "externalIds",
        "genders",
        "imClients",
        "interests",
        "locales",
        "locations",
        "memberships",
        "metadata",
        "miscKeywords",
        "names",
        "nicknames",
        "occupations",
        "organizations",
        "phoneNumbers",
        "photos",
        "relations",
        "sipAddresses",
        "skills",
        "urls",
        "userDefined",
    }
)
_MASK_DOCS = "Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list."


def people_error(
    status: int, message: str, grpc_status: str, reason: str | None = None
) -> HttpError:
    """An error in the People API's shape (google.rpc.Status, with ErrorInfo for a reason)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "people.googleapis.com",
            }
        ]
    return HttpError(Response(status, {"error": error}))


class PeopleApi:
    """The user's contacts, each with the change sequence number of its last change."""

    def __init__(self, contacts: list[dict[str, Any]]) -> None:
        self.people: dict[str, dict[str, Any]] = {}
        self.changed_at: dict[str, int] = {}
        self.seq = 0
        self.epoch = 0
        self.expired_token_reason: str | None = "EXPIRED_SYNC_TOKEN"
        self.bare_gone = False  # stale tokens answer a 410 naming no reason
        self.limits = PageLimits()
        self._cache: list[dict[str, Any]] = []
        self._cache_key: tuple[int | None, int, int] | None = None
        self._ids = itertools.count(900001)
        for person in contacts:
            self._adopt(person)

    def register(self, router: Router) -> None:
        """Serve people.connections.list."""
        router.add(
            "GET",
            "/v1/people/me/connections",
            self.list_connections,
            name="people.connections.list",
            api="google",
        )

    # --- state changes ---------------------------------------------------------------------

    def _touch(self, person: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        person["etag"] = (
            "%Ey" + hashlib.sha1(f"{person['resourceName']}:{self.seq}".encode()).hexdigest()[:20]
        )
        metadata = person.setdefault("metadata", {})
        metadata.setdefault("objectType", "PERSON")
        source_id = person["resourceName"].split("/", 1)[1]
        metadata["sources"] = [
            {
                "type": "CONTACT",
                "id": source_id,
                "etag": person["etag"],
                "updateTime": _stamp(int(time.time())),
            }
        ]
        self.people[person["resourceName"]] = person
        self.changed_at[person["resourceName"]] = self.seq
        return person

    def add(self, person: dict[str, Any]) -> dict[str, Any]:
        """Store a contact (a resourceName is made up when missing)."""
        return clone(self._adopt(clone(person)))

    def _adopt(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Store a person dict as is (the caller gives up its copy)."""
        stored.setdefault("resourceName", f"people/c{next(self._ids)}")
        for key in ("names", "emailAddresses", "phoneNumbers", "organizations"):
            for index, item in enumerate(stored.get(key, [])):
                item.setdefault("metadata", {"primary": index == 0, "source": {"type": "CONTACT"}})
        return self._touch(stored)

    def update(self, resource_name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Replace top-level fields of a live contact."""
        person = self._live(resource_name)
        person.update(clone(changes))
        return clone(self._touch(person))

    def delete(self, resource_name: str) -> None:
        """Delete a contact, keeping a tombstone for incremental syncs."""
        self._live(resource_name)
        self._touch({"resourceName": resource_name, "metadata": {"deleted": True}})

    def rename(self, resource_name: str, new_resource_name: str) -> dict[str, Any]:
        """Move a contact to a new resource name; the old one goes into previousResourceNames."""
        person = self._live(resource_name)
        del self.people[resource_name]
        self.changed_at.pop(resource_name, None)
        previous = person.setdefault("metadata", {}).setdefault("previousResourceNames", [])
        previous.append(resource_name)
        person["resourceName"] = new_resource_name
        return clone(self._touch(person))

    def _live(self, resource_name: str) -> dict[str, Any]:
        person = self.people.get(resource_name)
        if person is None or person.get("metadata", {}).get("deleted"):
            raise KeyError(f"no contact {resource_name!r}")
        return person

    def expire_sync_tokens(self, reason: bool = True, *, with_reason: bool = True) -> None:
        """Invalidate every sync token issued so far: they answer 400 FAILED_PRECONDITION with
        the reason EXPIRED_SYNC_TOKEN (`with_reason=False`: with no ErrorInfo at all), or
        (`reason=False`) a bare 410 naming no reason."""
        self.epoch, self.bare_gone = self.epoch + 1, not reason
        self.expired_token_reason = "EXPIRED_SYNC_TOKEN" if with_reason else None

    def set_page_limits(self, max_page: int | None, empty_pages: int) -> None:
        """Page connections oddly (short pages, leading empty pages)."""
        self.limits = PageLimits(max_page, empty_pages)

    def stored_people(self) -> list[dict[str, Any]]:
        """Every stored contact, tombstones included."""
        return clone(list(self.people.values()))

    def snapshot(self) -> list[dict[str, Any]]:
        """The stored contacts."""
        return self.stored_people()

    # --- handler ---------------------------------------------------------------------------

    def list_connections(self, request: Request) -> Response:
        """people.connections.list."""
        fields = self._person_fields(request)
        size = self._page_size(request)
        since = self._sync_since(request)
        cursor = self._cursor(request)
        at = cursor.get("s", self.seq)
        chosen = self._listing(since, at)
        start, end = self.limits.window(cursor.get("n", 0), cursor.get("o", 0), size, len(chosen))
        body: dict[str, Any] = {
            "connections": [_masked(p, fields) for p in chosen[start:end]],
            "totalPeople": len(chosen),
            "totalItems": len(chosen),
        }
        if end < len(chosen) or (start == end and start < len(chosen)):
            body["nextPageToken"] = encode_token({"o": end, "n": cursor.get("n", 0) + 1, "s": at})
        elif (request.arg("requestSyncToken") or "").lower() == "true":
            body["nextSyncToken"] = encode_token({"p": "people", "s": at, "e": self.epoch})
        if not body["connections"]:
            del body["connections"]  # proto3 JSON leaves out empty repeated fields
        return json_response(body)

    def _listing(self, since: int | None, at: int) -> list[dict[str, Any]]:
        """Live contacts by name (full) or changes in order (since a token), cached per state."""
        if self._cache_key != (since, at, self.seq):
            if since is None:
                live = [p for p in self.people.values() if not p.get("metadata", {}).get("deleted")]
                self._cache = sorted(live, key=_sort_name)
            else:
                changed = [(seq, r) for r, seq in self.changed_at.items() if since < seq <= at]
                self._cache = [self.people[r] for _, r in sorted(changed)]
            self._cache_key = (since, at, self.seq)
        return self._cache

    def _person_fields(self, request: Request) -> set[str]:
        fields = set(request.args("personFields"))
        if not fields:
            message = "personFields mask is required. Please specify one or more valid paths. "
            message += _MASK_DOCS
            raise people_error(400, message, "INVALID_ARGUMENT")
        unknown = sorted(f for f in fields if f.removeprefix("person.") not in PERSON_FIELDS)
        if unknown:
            raise people_error(
                400,
                f'Invalid personFields mask path: "{unknown[0]}". {_MASK_DOCS}',
                "INVALID_ARGUMENT",
            )
        return {f.removeprefix("person.") for f in fields}

    def _page_size(self, request: Request) -> int:
        raw = request.arg("pageSize") or "0"
        try:
            size = int(raw)
        except ValueError:
            raise people_error(
                400, f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"", "INVALID_ARGUMENT"
            ) from None
        if size < 0 or size > MAX_PAGE:
            raise people_error(
                400, "Page size must be less than or equal to 1000.", "INVALID_ARGUMENT"
            )
        return size or DEFAULT_PAGE

    def _sync_since(self, request: Request) -> int | None:
        token = request.arg("syncToken")
        if token is None:
            return None
        state = decode_token(token)
        if state is None or state.get("p") != "people" or not isinstance(state.get("s"), int):
            raise people_error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT")
        if state.get("e") != self.epoch:
            if self.bare_gone:
                raise bare_gone()
            message = (
                "Sync token is expired. Clear local cache and retry call without the sync token."
            )
            raise people_error(
                400, message, "FAILED_PRECONDITION", reason=self.expired_token_reason
            )
        return int(state["s"])

    def _cursor(self, request: Request) -> dict[str, Any]:
        token = request.arg("pageToken")
        if not token:
            return {}
        cursor = decode_token(token)
        if cursor is None or not all(isinstance(cursor.get(k), int) for k in ("o", "n", "s")):
            raise people_error(400, "Request contains an invalid argument.", "INVALID_ARGUMENT")
        return cursor


@lru_cache(maxsize=4)
def _stamp(second: int) -> str:
    """An RFC 3339 time for a whole second (formatting is slow; many changes share a second)."""
    return rfc3339(dt.datetime.fromtimestamp(second, dt.UTC))


def _sort_name(person: dict[str, Any]) -> tuple[str, str]:
    names = person.get("names") or [{}]
    return (str(names[0].get("displayName", "")).lower(), person["resourceName"])


def _masked(person: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """A person with only the requested fields (resourceName and etag always; tombstones whole)."""
    if person.get("metadata", {}).get("deleted"):
        return {k: person[k] for k in ("resourceName", "etag", "metadata")}
    out = {"resourceName": person["resourceName"], "etag": person["etag"]}
    out.update({k: v for k, v in person.items() if k in fields})
    return out
