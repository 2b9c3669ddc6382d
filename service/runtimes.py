"""Every account's runtime in one process: the settings' own, and the store's accounts in a
bounded cache (workflows.runtime.Runtimes).

The default account (FOLLOWTHROUGH_ACCOUNT, "default" unless set) is the settings' runtime,
as a single-account process always had. Any other account's runtime is built from its row
(workflows.accounts: settings it overrides, sealed credentials) on first use and kept in a
least-recently-used cache of FOLLOWTHROUGH_ACCOUNT_CACHE runtimes; all of them share the
default runtime's one Database (one connection pool) and one Airtable rate limiter. Each use
reads the account's revision (one small query), so an account disabled, removed or changed
is noticed at its next message without a restart.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import RateLimiter
from connectors.google.client import GoogleClient
from connectors.policy import RetryPolicy
from service.logging import get_logger, register_secret
from service.settings import Settings
from service.wiring import build_runtime, check_tasks_scope, rate_limiter, workflow_config
from workflows.accounts import (
    AccountCredentials,
    OpenedAccount,
    account_revision,
    account_settings,
    active_accounts,
    open_account,
)
from workflows.rules.digest import parse_digest
from workflows.runtime import DEFAULT_CONNECTIONS, AccountUnavailable, Runtime, WorkflowConfig
from workflows.sealing import NoKey, Sealer, sealer_or_none

CONFIG_FIELDS = {
    "calendar_id": "calendar_id",
    "timezone": "time_zone",
    "sender_name": "sender_name",
    "about_me": "about_me",
    "tasks_sink": "tasks_sink",
    "update_every_days": "update_every_days",
}
"""Account settings (workflows.accounts.ACCOUNT_SETTINGS) that are WorkflowConfig fields."""

log = get_logger("followthrough.accounts")


def build_runtimes(
    settings: Settings,
    *,
    policy: RetryPolicy | None = None,
    create: bool = True,
    connections: int = DEFAULT_CONNECTIONS,
    process: str = "followthrough",
) -> AccountRuntimes:
    """Every account's runtime: the default built from the settings (the store migrated on
    the way), the others on demand from the store; all on one pool of at most `connections`
    database connections (named `process` on PostgreSQL), however many accounts there are."""
    limiter = rate_limiter(settings, process)  # one for every account's Airtable client
    default = build_runtime(
        settings,
        policy=policy,
        create=create,
        connections=connections,
        process=process,
        limiter=limiter,
    )
    return AccountRuntimes(settings, default, policy=policy, limiter=limiter)


class AccountRuntimes:
    """The runtimes of every account this deployment serves (see the module's docstring)."""

    def __init__(
        self,
        settings: Settings,
        default: Runtime,
        *,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.default = default
        self._policy = policy
        self._sealer = sealer_or_none(settings.encryption_keys())
        self._limiter = limiter or rate_limiter(settings)
        self._cache: OrderedDict[str, Runtime] = OrderedDict()
        self._revisions: dict[str, int] = {}
        self._lock = threading.Lock()

    def served(self) -> list[str]:
        """The default account when its settings connect something, then every active one."""
        connected = self.default.google is not None or self.default.airtable is not None
        own = [self.default.account] if connected else []
        return own + [name for name in active_accounts(self.default.db) if name not in own]

    def runtime_for(self, account: str) -> Runtime:
        """The account's runtime, from the cache while its revision is unchanged."""
        if account == self.default.account:
            return self.default
        revision = account_revision(self.default.db, account)
        if revision is None:
            self._forget(account)
            raise AccountUnavailable(f"account {account} was removed or disabled")
        with self._lock:
            cached = self._cache.get(account)
            if cached is not None and self._revisions[account] == revision:
                self._cache.move_to_end(account)
                return cached
        return self._keep(self._build(account))

    def view_for(self, account: str) -> Runtime:
        """The account's runtime without clients, to read what the store holds for it (its
        status page, `status --account`): its own settings, and no key needed."""
        if account == self.default.account:
            return self.default
        own = account_settings(self.default.db, account)
        if own is None:
            raise AccountUnavailable(f"account {account} was removed or disabled")
        config = self._config(account, own)
        return Runtime(db=self.default.db, config=config, clock=self.default.clock)

    def _keep(self, opened: tuple[Runtime, int]) -> Runtime:
        runtime, revision = opened
        with self._lock:
            self._cache[runtime.account] = runtime
            self._revisions[runtime.account] = revision
            self._cache.move_to_end(runtime.account)
            while len(self._cache) > self.settings.account_cache:
                evicted, _ = self._cache.popitem(last=False)
                del self._revisions[evicted]
        return runtime

    def _forget(self, account: str) -> None:
        with self._lock:
            self._cache.pop(account, None)
            self._revisions.pop(account, None)

    def _build(self, account: str) -> tuple[Runtime, int]:
        sealer = self._need_sealer(account)
        opened = open_account(self.default.db, sealer, account)
        if opened is None:
            raise AccountUnavailable(f"account {account} was removed or disabled")
        _register_secrets(opened)
        runtime = Runtime(
            db=self.default.db,
            config=self._config(opened.name, opened.settings),
            google=self._google(opened, sealer),
            airtable=self._airtable(opened),
            clock=self.default.clock,
        )
        log.info("account.runtime_built", account=account, revision=opened.revision)
        return runtime, opened.revision

    def _need_sealer(self, account: str) -> Sealer:
        if self._sealer is None:
            raise NoKey(
                f"account {account}'s credentials are encrypted, but neither "
                "FOLLOWTHROUGH_ENCRYPTION_KEY nor FOLLOWTHROUGH_ENCRYPTION_KEY_FILE is set: "
                "set the key the accounts were added with"
            )
        return self._sealer

    def _config(self, account: str, settings: dict[str, Any]) -> WorkflowConfig:
        base = workflow_config(self.settings)
        own: dict[str, Any] = {
            CONFIG_FIELDS[name]: value for name, value in settings.items() if name in CONFIG_FIELDS
        }
        if "digest" in settings:  # its own day and time, or "" for none
            own["digest"] = parse_digest(settings["digest"])
        return dataclasses.replace(base, account=account, **own)

    def _google(self, opened: OpenedAccount, sealer: Sealer) -> GoogleClient | None:
        if opened.google is None:
            return None
        endpoint = opened.settings.get("google_api_endpoint") or self.settings.google_api_endpoint
        keeper = AccountCredentials(self.default.db, sealer, opened.name)
        client = GoogleClient(keeper, endpoint=endpoint, policy=self._policy)
        sink = opened.settings.get("tasks_sink", self.settings.tasks_sink)
        again = f"followthrough accounts add {opened.name}"
        check_tasks_scope(client, sink, f"account {opened.name}'s --tasks-sink", again)
        return client

    def _airtable(self, opened: OpenedAccount) -> AirtableClient | None:
        if opened.airtable_token is None or not opened.airtable_base_id:
            return None
        endpoint = opened.settings.get("airtable_endpoint") or self.settings.airtable_endpoint
        return AirtableClient(
            opened.airtable_token,
            opened.airtable_base_id,
            endpoint=endpoint,
            policy=self._policy,
            limiter=self._limiter,
            penalty_seconds=self.settings.airtable_penalty_seconds,
        )


def _register_secrets(opened: OpenedAccount) -> None:
    """Every secret the account holds, for the log redactor."""
    google = opened.google
    register_secret(opened.airtable_token)
    if google is not None:
        register_secret(google.token, google.refresh_token, google.client_secret)
