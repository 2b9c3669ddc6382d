"""From settings to a live `workflows.runtime.Runtime`: the store, the clients, the clock.

This is the one place that turns the user's settings into the explicit arguments the
workflows and connectors take (they never read settings themselves).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from connectors.errors import ConfigurationError, RetryLater, UserActionRequired
from connectors.google.auth import TASKS_SCOPE
from connectors.google.client import GoogleClient
from connectors.model import ChatModel
from connectors.policy import RetryPolicy
from service.logging import register_secret
from service.settings import Settings, env_name
from workflows.accounts import AccountBook
from workflows.rules.clock import Clock
from workflows.rules.digest import parse_digest
from workflows.rules.draft import template_environment
from workflows.runtime import DEFAULT_CONNECTIONS, NoStore, Runtime, WorkflowConfig, open_store
from workflows.sealing import Sealer, sealer_or_none
from workflows.shared_limits import StoreRateLimiter

if TYPE_CHECKING:  # the web app's (FastAPI) is imported only by a process that serves it
    from service.web.google_link import GoogleLinks


def workflow_config(settings: Settings) -> WorkflowConfig:
    """The workflows' view of the settings."""
    return WorkflowConfig(
        account=settings.account,
        calendar_id=settings.calendar_id,
        time_zone=settings.timezone,
        sender_name=settings.sender_name or "",
        about_me=(settings.about_me or "").strip(),
        update_every_days=settings.update_every_days,
        nudge_after=dt.timedelta(days=settings.nudge_after_days),
        brief_before=dt.timedelta(hours=settings.brief_hours_before),
        questions_file=settings.questions_file,
        grace=dt.timedelta(minutes=settings.thank_you_grace_minutes),
        history_days=settings.history_days,
        first_sync_days=settings.first_sync_days,
        max_reminders_per_day=settings.max_reminders_per_day,
        tasks_sink=settings.tasks_sink,
        templates_dir=settings.templates_dir,
        title_pattern=settings.interview_title_pattern,
        public_url=settings.public_url,
        claim_for=dt.timedelta(seconds=settings.due_claim_seconds),
        effect_hold=dt.timedelta(seconds=settings.effect_hold_seconds),
        draft_model=draft_model(settings),
        digest=parse_digest(settings.digest),
    )


def draft_model(settings: Settings) -> ChatModel | None:
    """The model that polishes drafts, when DRAFT_MODEL_URL is set (the key is a secret the
    log redactor already knows: `Settings.secret_values`)."""
    if settings.draft_model_url is None or settings.draft_model is None:
        return None
    key = settings.draft_model_api_key
    return ChatModel(
        settings.draft_model_url,
        settings.draft_model,
        key.get_secret_value() if key is not None else None,
    )


class NothingSetUp(UserActionRequired):
    """No store exists where DATABASE_URL points: Followthrough never ran with these settings."""


@contextmanager
def _store_errors() -> Iterator[None]:
    """Name DATABASE_URL in the errors of opening the store, and say what to run first when
    there is none yet (a store opened with `create=False`)."""
    try:
        yield
    except NoStore as missing:
        raise NothingSetUp(
            f"nothing is set up yet: {missing} ({env_name('database_url')}). First set up "
            'your accounts (README, "Connecting your real accounts"), run `followthrough '
            "airtable init`, then `followthrough run --once`; or try `followthrough demo`"
        ) from None
    except (UserActionRequired, RetryLater) as error:
        raise type(error)(f"{env_name('database_url')}: {error}") from None


def google_client(settings: Settings, policy: RetryPolicy | None = None) -> GoogleClient | None:
    """The Google client when its credentials file exists (their secrets registered first);
    None when the default file does not (Google not authorized yet)."""
    path = settings.google_credentials_file
    if not path.is_file():
        if not path.exists() and not settings.google_credentials_chosen:
            return None  # not authorized yet: the commands that need Google say so
        raise ConfigurationError(settings.missing_google_credentials())
    _register_google_secrets(path)
    client = GoogleClient(path, endpoint=settings.google_api_endpoint, policy=policy)
    check_tasks_scope(client, settings.tasks_sink, env_name("tasks_sink"))
    return client


def check_tasks_scope(
    client: GoogleClient, sink: str, setting: str, again: str = "followthrough auth google"
) -> None:
    """A clear error when follow-ups go to Google Tasks but Google did not grant its scope."""
    if sink != "airtable" and not client.allows(TASKS_SCOPE):
        raise ConfigurationError(
            f"{setting}={sink} mirrors follow-ups to Google Tasks, but Google did "
            f"not grant Followthrough the tasks scope; run `{again}` again and "
            f"leave Tasks ticked, or set {setting}=airtable"
        )


def _register_google_secrets(path: Path) -> None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # the client reports an unreadable file with a clear message
    if isinstance(data, dict):  # odd values too: the client names what is wrong with them
        keys = ("token", "refresh_token", "client_secret")
        register_secret(*(v for v in map(data.get, keys) if isinstance(v, str)))


def rate_limiter(settings: Settings, process: str = "followthrough") -> RateLimiter:
    """Airtable's 5 requests/s per base, shared by every worker: through Redis when there is
    one; else, in the distributed shape on PostgreSQL (RabbitMQ with no REDIS_URL), through
    the database; else (one process) kept in this process."""
    url = settings.rate_limit_redis_url
    if url:
        return RedisRateLimiter(url)
    if not settings.embedded_broker and settings.database_url.startswith("postgresql"):
        return StoreRateLimiter(settings.database_url, name=process)
    return LocalRateLimiter()


def airtable_client(
    settings: Settings, policy: RetryPolicy | None = None, limiter: RateLimiter | None = None
) -> AirtableClient | None:
    """The Airtable client when a token and base are configured."""
    if settings.airtable_token is None or not settings.airtable_base_id:
        return None
    token = settings.airtable_token.get_secret_value()
    register_secret(token)
    return AirtableClient(
        token,
        settings.airtable_base_id,
        endpoint=settings.airtable_endpoint,
        policy=policy,
        limiter=limiter or rate_limiter(settings),
        penalty_seconds=settings.airtable_penalty_seconds,
    )


def account_book(settings: Settings, *, create: bool = True) -> AccountBook:
    """The accounts of the store DATABASE_URL names, with the configured encryption key."""
    with _store_errors():
        db = open_store(settings.database_url, create=create)
    return AccountBook(db, sealer_or_none(settings.encryption_keys()))


def google_links(settings: Settings, store: Runtime | AccountBook) -> GoogleLinks | None:
    """One-time links to link accounts' Google from a browser, when the settings allow them
    (`store`: the runtime or the accounts whose database keeps the pending links)."""
    keys, client = settings.encryption_keys(), settings.google_client_secrets_file
    if not (keys and client and settings.public_url):
        return None
    from service.web.google_link import GoogleLinks

    return GoogleLinks(store, Sealer(keys), client, settings.public_url)


def build_runtime(
    settings: Settings,
    *,
    policy: RetryPolicy | None = None,
    create: bool = True,
    connections: int = DEFAULT_CONNECTIONS,
    process: str = "followthrough",
    limiter: RateLimiter | None = None,
) -> Runtime:
    """Everything the workflows need, from the settings (the store migrated on the way).

    `create=False`: a store that does not exist yet is not created (NothingSetUp says what
    to run first). The process holds at most `connections` database connections, named
    `process` on PostgreSQL; its Airtable client paces itself with `limiter` (by default
    `rate_limiter(settings)`).
    The draft templates and the clients come first, so that a refused custom template or a
    credentials file that cannot be used stops start-up and creates nothing.
    """
    template_environment(settings.templates_dir)  # cached: the runtime's drafts use this one
    google = google_client(settings, policy)
    airtable = airtable_client(settings, policy, limiter or rate_limiter(settings, process))
    with _store_errors():
        db = open_store(settings.database_url, create=create, connections=connections, name=process)
    return Runtime(
        db=db,
        config=workflow_config(settings),
        google=google,
        airtable=airtable,
        clock=Clock.frozen_at(settings.now) if settings.now else Clock(),
    )
