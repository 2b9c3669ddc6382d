"""`AirtableClient`: pyairtable on one base, throttled, safely retried, errors mapped onto ours.

Everything the Airtable connector does goes through `AirtableClient.call` (or `.pages`), which turns
requests/pyairtable exceptions into the project's error hierarchy by what the caller does next.
pyairtable (its pydantic models are most of its import) is loaded on first use: a pass with
nothing changed reads the change feed through `request`, on the same throttled session.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import requests
import structlog

from connectors.airtable.own_writes import MemoryOwnWrites, OwnWrites, written_cells
from connectors.airtable.ratelimit import LocalRateLimiter, RateLimiter
from connectors.airtable.transport import (
    AIRTABLE_PENALTY_SECONDS,
    AirtableRetry,
    ThrottledAdapter,
    TransportStats,
)
from connectors.errors import (
    AmbiguousWrite,
    AuthorizationError,
    ConfigurationError,
    FollowthroughError,
    NotFound,
    NotPermitted,
    RetryLater,
    SkipRecord,
    UserActionRequired,
)
from connectors.policy import RETRIABLE_STATUSES, RetryPolicy

if TYPE_CHECKING:
    from pyairtable import Api, Table
    from pyairtable.api.base import Base
    from pyairtable.api.types import RecordDict

log = structlog.get_logger(__name__)

T = TypeVar("T")

AIRTABLE_ENDPOINT = "https://api.airtable.com"
TOKEN_SETTING = "FOLLOWTHROUGH_AIRTABLE_TOKEN"
BASE_SETTING = "FOLLOWTHROUGH_AIRTABLE_BASE_ID"
INIT_COMMAND = "followthrough airtable init"

_PROCESS_LIMITER = LocalRateLimiter()
"""Used when no limiter is given, so every client of this process shares Airtable's 5 req/s."""


@dataclass(frozen=True)
class IdNames:
    """Table and field names by id, as the metadata API tells them (webhook payloads carry ids)."""

    tables: dict[str, str]
    fields: dict[str, str]

    def to_json(self) -> str:
        """The map as JSON, to keep between processes."""
        return json.dumps({"tables": self.tables, "fields": self.fields}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> IdNames:
        """The map kept by `to_json`."""
        data = json.loads(text)
        return cls(tables=dict(data["tables"]), fields=dict(data["fields"]))


class AirtableClient:
    """One Airtable base through pyairtable: the only place that sends Airtable requests."""

    def __init__(
        self,
        token: str,
        base_id: str,
        *,
        endpoint: str | None = None,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        penalty_seconds: float = AIRTABLE_PENALTY_SECONDS,
        own_writes: OwnWrites | None = None,
    ) -> None:
        self.base_id = base_id
        self.policy = policy or RetryPolicy()
        self.stats = TransportStats()
        retry = AirtableRetry.build(
            self.policy,
            penalty_seconds=penalty_seconds,
            limiter=limiter if limiter is not None else _PROCESS_LIMITER,
            limiter_key=base_id,
            stats=self.stats,
        )
        self.endpoint = (endpoint or AIRTABLE_ENDPOINT).rstrip("/")
        self.timeout = (self.policy.timeout, self.policy.timeout)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        adapter = ThrottledAdapter(retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self._token = token
        self._id_names: IdNames | None = None
        self.own_writes: OwnWrites = own_writes if own_writes is not None else MemoryOwnWrites()
        """What Followthrough wrote, to tell its own changes in the feed from the user's."""

    def __repr__(self) -> str:
        return f"AirtableClient(base_id={self.base_id!r})"

    @functools.cached_property
    def api(self) -> Api:
        """pyairtable's API object, loaded on first use, sending through this client's session."""
        from pyairtable import Api

        timeout = self.timeout
        api = Api(self._token, endpoint_url=self.endpoint, timeout=timeout, retry_strategy=None)  # type: ignore[arg-type]
        api.session = self.session  # throttled, retried as `AirtableRetry` decides
        return api

    @functools.cached_property
    def base(self) -> Base:
        """pyairtable's object for this base (no request is made)."""
        return self.api.base(self.base_id)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """One request to `path` under this base (`webhooks/<id>/payloads`), its JSON answer;
        an error status raises requests.HTTPError, for `call` to map."""
        url = f"{self.endpoint}/v0/bases/{self.base_id}/{path}"
        response = self.session.request(method, url, params=params, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def table(self, name: str) -> Table:
        """The pyairtable table `name` of this base (no request is made)."""
        return self.base.table(name)

    def call(
        self, action: str, fn: Callable[[], T], *, table: str | None = None, write: bool = False
    ) -> T:
        """Run one pyairtable call, mapping its failures onto the project's errors."""
        try:
            return fn()
        except requests.HTTPError as exc:
            raise map_http_error(
                exc.response, action=action, base_id=self.base_id, table=table
            ) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _transport_error(action, write) from exc

    def pages(self, table: str, **options: Any) -> Iterator[list[RecordDict]]:
        """Every page of records of `table` (pyairtable's list-records options), errors mapped."""
        pages = self.table(table).iterate(**options)
        while True:
            page = self.call("list records", lambda: next(pages, None), table=table)
            if page is None:
                return
            yield page

    def id_names(self, *, refresh: bool = False) -> IdNames:
        """Table and field names by id (one metadata request, then cached until `refresh`)."""
        if self._id_names is None or refresh:
            schema = self.call("read the base schema", lambda: self.base.schema(force=True))
            tables = {t.id: t.name for t in schema.tables}
            fields = {f.id: f.name for t in schema.tables for f in t.fields}
            self._id_names = IdNames(tables=tables, fields=fields)
        return self._id_names

    def token_scopes(self) -> frozenset[str]:
        """The scopes of the access token (whoami)."""
        info = self.call("read the token's user and scopes", self.api.whoami)
        return frozenset(info.get("scopes") or ())

    def permission_level(self) -> str | None:
        """The token's user's access to this base ("create" for its creator, "edit"...)."""
        data = self.call("list bases", lambda: self.api.get(self.api.urls.bases))
        found = [b for b in data.get("bases", []) if b.get("id") == self.base_id]
        return str(found[0].get("permissionLevel")) if found else None

    @property
    def known_id_names(self) -> IdNames | None:
        """The id-to-name map if read (or adopted) already, without a request."""
        return self._id_names

    def adopt_id_names(self, names: IdNames) -> None:
        """Take the id-to-name map as stored by an earlier process, saving the request."""
        self._id_names = names

    def remember_written(
        self, records: Sequence[Mapping[str, Any]], sent: Sequence[Mapping[str, Any]]
    ) -> None:
        """Keep what one write set (its response's records, each record's sent fields)."""
        self.own_writes.remember(written_cells(records, sent))


CREATOR = "Base creator"


def map_http_error(
    response: requests.Response | None, *, action: str, base_id: str, table: str | None = None
) -> FollowthroughError:
    """The project error for an Airtable error response, with a message saying what to do."""
    if response is None:
        return RetryLater(f"Airtable failed to {action} without a response; try again later")
    status = response.status_code
    kind, detail = _airtable_error(response)
    where = f"table {table!r} of base {base_id}" if table else f"base {base_id}"
    if status == 401:
        return AuthorizationError(
            f"Airtable refused the access token ({kind}) while trying to {action}; "
            f"set {TOKEN_SETTING} to a valid personal access token"
        )
    if status in (403, 404) and kind in (
        "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
        "TABLE_NOT_FOUND",
    ):
        return _not_found_or_forbidden(action, base_id, table, kind)
    if status == 403 and kind == "INVALID_PERMISSIONS":
        return NotPermitted(
            f"Airtable did not permit the token's user to {action} on {where} ({kind}): "
            f"creating tables, fields and webhooks needs the base's {CREATOR} permission, "
            "and an Editor may only edit records; ask the base's creator to give you Creator "
            "access, or to run `followthrough airtable init`"
        )
    if status == 403:
        return AuthorizationError(
            f"Airtable did not allow the token to {action} on {where} ({kind}); give the token in "
            f"{TOKEN_SETTING} access to the base and the scopes Followthrough needs"
        )
    if status == 404:
        return NotFound(f"Airtable found nothing to {action} on {where} ({kind}: {detail})")
    if status == 422 and kind in ("UNKNOWN_FIELD_NAME", "INVALID_MULTIPLE_CHOICE_OPTIONS"):
        return UserActionRequired(
            f"Airtable refused to {action} on {where}: {detail or kind}; run `{INIT_COMMAND}` "
            "to create the fields and select choices Followthrough writes"
        )
    if status in RETRIABLE_STATUSES:  # 429 among them
        return RetryLater(
            f"Airtable answered {status} ({kind}) to {action} on {where} after all retries; "
            "try again later",
            retry_after=_retry_after(response),
        )
    return SkipRecord(f"Airtable refused to {action} on {where}: {status} {kind} {detail}".rstrip())


def _not_found_or_forbidden(
    action: str, base_id: str, table: str | None, kind: str
) -> FollowthroughError:
    if table:
        return UserActionRequired(
            f"Airtable has no table {table!r} in base {base_id} that the token may use ({kind}) "
            "while "
            f"trying to {action}; run `{INIT_COMMAND}` to create it, and check the token's access"
        )
    return ConfigurationError(
        f"Airtable base {base_id} was not found or the token may not use it ({kind}); check "
        f"{BASE_SETTING} and that the token in {TOKEN_SETTING} has access to that base"
    )


def _airtable_error(response: requests.Response) -> tuple[str, str]:
    """Airtable's error type and message from `{"error": {...}}` or `{"error": "TYPE"}`."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}", ""
    if isinstance(error, dict):
        return str(error.get("type", f"HTTP {response.status_code}")), str(error.get("message", ""))
    if isinstance(error, str):
        return error, ""
    return f"HTTP {response.status_code}", ""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _transport_error(action: str, write: bool) -> RetryLater:
    if write:
        return AmbiguousWrite(
            f"the connection to Airtable failed while trying to {action}; the write may or may not "
            "have been applied: look it up (or repeat an idempotent upsert) before trying again"
        )
    return RetryLater(
        f"the connection to Airtable failed while trying to {action}; try again later"
    )
