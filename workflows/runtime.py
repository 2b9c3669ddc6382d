"""What every workflow needs at hand: the store, the clients, the clock and the user's choices.

Each account has its runtime: the service builds the default account's from its settings and
the others' from the store (a bounded cache), and installs them with
`workflows.runtime.install`; actors read the runtime of the account their message names with
`current(account)`. Workflow functions take
the runtime as their first argument, so tests and the demo can call them directly.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

import jinja2

from connectors.airtable.client import AirtableClient
from connectors.errors import ConfigurationError, FollowthroughError, UserActionRequired
from connectors.google.client import GoogleClient
from connectors.model import ChatModel
from workflows.migrations import migrated, upgrade
from workflows.rules.clock import Clock, user_zone
from workflows.rules.digest import DigestTime
from workflows.rules.draft import template_environment
from workflows.rules.qualify import DEFAULT_TITLE_TERMS, QualifyPolicy
from workflows.store.airtable_writes import StoredOwnWrites
from workflows.store.base import DEFAULT_ACCOUNT
from workflows.store.db import DEFAULT_CONNECTIONS as DEFAULT_CONNECTIONS  # for the service
from workflows.store.db import Database
from workflows.store.due import DEFAULT_CLAIM
from workflows.store.ledger import DEFAULT_HOLD
from workflows.store.opening import describe, exists, opening
from workflows.store.status import RecentSuccesses

if TYPE_CHECKING:
    from workflows.sync.report import SyncReport

TASKS_SINKS = ("airtable", "google", "both")


@dataclass(frozen=True)
class WorkflowConfig:
    """The user's choices that shape the workflows (from the service's settings)."""

    account: str = DEFAULT_ACCOUNT
    calendar_id: str = "primary"
    time_zone: str | None = None  # None: the calendar's time zone
    sender_name: str = ""
    about_me: str = ""
    update_every_days: int = 30
    nudge_after: dt.timedelta = dt.timedelta(days=7)
    brief_before: dt.timedelta = dt.timedelta(hours=18)
    questions_file: Path | None = None  # None: the built-in question bank
    grace: dt.timedelta = dt.timedelta(minutes=15)
    history_days: int = 3
    first_sync_days: int = 180
    max_reminders_per_day: int = 3
    tasks_sink: str = "airtable"
    templates_dir: Path | None = None
    title_pattern: str | None = None  # a case-insensitive regex of whole words; None: defaults
    public_url: str | None = None
    claim_for: dt.timedelta = DEFAULT_CLAIM  # a claim on due work (a crashed claimer's lapses)
    effect_hold: dt.timedelta = DEFAULT_HOLD  # an attempt's hold on an effect's ledger key
    draft_model: ChatModel | None = None  # the model that polishes drafts; None: the rules'
    digest: DigestTime | None = None  # when the weekly digest is drafted; None: never

    def __post_init__(self) -> None:
        if self.tasks_sink not in TASKS_SINKS:
            raise ConfigurationError(
                f"FOLLOWTHROUGH_TASKS_SINK is {self.tasks_sink!r}; "
                f"use one of {', '.join(TASKS_SINKS)}"
            )

    @property
    def mirror_to_google(self) -> bool:
        """True when follow-ups are mirrored to Google Tasks."""
        return self.tasks_sink in ("google", "both")


@dataclass
class Runtime:
    """The live dependencies of the workflows; `clock` may be replaced (the demo steps it)."""

    db: Database
    config: WorkflowConfig
    google: GoogleClient | None = None
    airtable: AirtableClient | None = None
    clock: Clock = field(default_factory=Clock)
    on_sync_page: Callable[[SyncReport], None] | None = None  # e.g. a progress bar
    successes: RecentSuccesses = field(default_factory=RecentSuccesses, repr=False)
    _templates: jinja2.Environment | None = field(default=None, repr=False)
    _policy: QualifyPolicy | None = field(default=None, repr=False)

    @property
    def account(self) -> str:
        """The account every row this runtime writes belongs to."""
        return self.config.account

    def now(self) -> dt.datetime:
        """The one clock's current instant (frozen under FOLLOWTHROUGH_NOW)."""
        return self.clock.now()

    def zone(self, calendar_zone: str | None) -> ZoneInfo:
        """The user's time zone: the setting, else the calendar's, else UTC."""
        return user_zone(self.config.time_zone, calendar_zone)

    def templates(self) -> jinja2.Environment:
        """The Jinja2 environment for drafts (the user's template directory first)."""
        if self._templates is None:
            self._templates = template_environment(self.config.templates_dir)
        return self._templates

    def qualify_policy(self) -> QualifyPolicy:
        """The configured qualification policy (title pattern)."""
        if self._policy is None:
            pattern = self.config.title_pattern
            self._policy = (
                QualifyPolicy.from_pattern(pattern)
                if pattern
                else QualifyPolicy.from_terms(DEFAULT_TITLE_TERMS)
            )
        return self._policy

    def need_google(self) -> GoogleClient:
        """The Google client; a clear error when Google is not configured."""
        if self.google is None:
            raise ConfigurationError(
                "Google is not connected: run `followthrough auth google` (it writes the "
                "credentials where Followthrough reads them), or set "
                "FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE to your credentials file"
            )
        return self.google

    def need_airtable(self) -> AirtableClient:
        """The Airtable client; a clear error when Airtable is not configured."""
        if self.airtable is None:
            raise ConfigurationError(
                "Airtable is not connected: set FOLLOWTHROUGH_AIRTABLE_TOKEN and "
                "FOLLOWTHROUGH_AIRTABLE_BASE_ID"
            )
        if not isinstance(self.airtable.own_writes, StoredOwnWrites):
            # What it wrote is remembered in the store, so a new process still knows its own.
            self.airtable.own_writes = StoredOwnWrites(self.db, self.account, self.now)
        return self.airtable


class NoStore(UserActionRequired):
    """No store exists at the URL yet, and the caller may not create one."""


def open_store(
    url: str,
    *,
    create: bool = True,
    connections: int = DEFAULT_CONNECTIONS,
    name: str = "followthrough",
) -> Database:
    """The store at `url`, migrated to the current schema, holding at most `connections`
    connections named `name` (workflows.store.db.create_engine).

    With `create=False` a store that does not exist yet is not created: NoStore says where
    none was found. A store that cannot be opened raises workflows.store.opening's one-line
    errors (a UserActionRequired, or a RetryLater when it may answer later).
    """
    with opening(url):
        if not create and not (exists(url) and migrated(url)):
            raise NoStore(f"no Followthrough store at {describe(url)}")
        upgrade(url)
        return Database(url, connections=connections, name=name)


class AccountUnavailable(FollowthroughError):
    """The account a message names was removed or disabled (or is not served here): drop it."""


class Runtimes(Protocol):
    """Whatever hands out each account's runtime (the service's bounded cache)."""

    @property
    def default(self) -> Runtime:
        """The default account's runtime (the settings' own; it holds the scheduler's lease)."""
        ...

    def runtime_for(self, account: str) -> Runtime:
        """The account's runtime; AccountUnavailable when it is removed or disabled."""
        ...

    def served(self) -> list[str]:
        """The accounts whose work is scheduled now (the active ones)."""
        ...


class OneRuntime:
    """Runtimes for a process that serves one account (tests, one-shot commands)."""

    def __init__(self, runtime: Runtime) -> None:
        self.default = runtime

    def runtime_for(self, account: str) -> Runtime:
        """The one runtime, for its own account only."""
        if account != self.default.account:
            raise AccountUnavailable(f"this process serves account {self.default.account} only")
        return self.default

    def served(self) -> list[str]:
        """The one account."""
        return [self.default.account]


_installed: Runtimes | None = None
_lock = threading.Lock()


def install(runtimes: Runtime | Runtimes) -> None:
    """Make `runtimes` (or one runtime, for its account only) what actors use in this process."""
    global _installed
    with _lock:
        _installed = OneRuntime(runtimes) if isinstance(runtimes, Runtime) else runtimes


def current(account: str) -> Runtime:
    """The runtime of `account` installed by the service; an error when none is (a wiring bug),
    AccountUnavailable when the account is removed or disabled."""
    if _installed is None:
        raise ConfigurationError(
            "no runtime installed: start Followthrough through the `followthrough` command"
        )
    return _installed.runtime_for(account)
