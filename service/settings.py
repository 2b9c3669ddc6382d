"""Followthrough's settings: environment variables (prefix FOLLOWTHROUGH_) over followthrough.toml.

This is the only module that reads the environment. A bad or missing setting becomes a
`ConfigurationError` naming the environment variable and what to do, never a traceback.

The TOML file uses the setting names in lower case (`database_url = "..."`); the environment
wins over the file, so a deployment can override one value without editing it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.errors import ConfigurationError
from service.settings_values import (
    AirtableBaseId,
    BrokerUrl,
    DatabaseUrl,
    DigestTime,
    Directory,
    EncryptionKey,
    EncryptionKeyFile,
    HttpUrl,
    PublicUrl,
    ReadableFile,
    RedisUrl,
    RegularExpression,
    TimeZone,
)
from workflows.sealing import split_keys

ENV_PREFIX = "FOLLOWTHROUGH_"
CONFIG_FILE_NAME = "followthrough.toml"
DEFAULT_INTERVIEW_TITLE_PATTERN = r"informational|info interview|coffee chat|career chat"
NOW_FIRST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NOW_END = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)
"""A frozen clock stays within these years, so no date computed from it can overflow."""


def env_name(field_name: str) -> str:
    """The environment variable that sets `field_name` (e.g. FOLLOWTHROUGH_HTTP_PORT)."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def child_environment(base: Mapping[str, str], settings: Mapping[str, str]) -> dict[str, str]:
    """The environment for a child `followthrough` process: `base` without any setting of its
    own (FOLLOWTHROUGH_*), plus `settings` (field name -> value) under their variable names."""
    env = {name: value for name, value in base.items() if not name.startswith(ENV_PREFIX)}
    env.update({env_name(field): value for field, value in settings.items()})
    return env


def default_google_credentials_file() -> Path:
    """Where `auth google` writes Google's credentials and every command reads them, unless
    GOOGLE_CREDENTIALS_FILE says otherwise: followthrough/google-credentials.json in the user's
    config directory ($XDG_CONFIG_HOME when it is an absolute path, else ~/.config)."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or "")
    base = config_home if config_home.is_absolute() else Path.home() / ".config"
    return base / "followthrough" / "google-credentials.json"


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'followthrough.db'}"


def _bounded(default: float, low: float, high: float, description: str) -> Any:
    """A number setting: its default and the range a value must lie in (both ends allowed)."""
    return Field(default=default, ge=low, le=high, description=description)


class Settings(BaseSettings):
    """Every setting of the service; field descriptions say what each one does."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        env_ignore_empty=True,
        extra="forbid",
        validate_default=True,
        allow_inf_nan=False,
    )

    database_url: DatabaseUrl = Field(
        default_factory=_default_database_url,
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db.",
    )
    broker_url: BrokerUrl = Field(
        default="", description="Empty: in-process broker; or redis://... or amqp://..."
    )
    redis_url: RedisUrl = Field(
        default=None,
        description="Redis for the shared Airtable rate limit when BROKER_URL is amqp://.",
    )
    account: str = Field(default="default", description="The account this process serves.")
    google_credentials_file: Path = Field(
        default_factory=default_google_credentials_file,
        description="Google's authorized-user credentials JSON: `followthrough auth google` "
        "writes it, every command reads it (default: "
        "~/.config/followthrough/google-credentials.json, under $XDG_CONFIG_HOME when set).",
    )
    google_api_endpoint: HttpUrl = Field(
        default=None, description="Base URL for all Google APIs (the sandbox's URL); empty: Google."
    )
    calendar_id: str = Field(default="primary", description="The Google Calendar to watch.")
    airtable_token: SecretStr | None = Field(
        default=None, description="Airtable personal access token."
    )
    airtable_base_id: AirtableBaseId = Field(
        default=None, description="The Airtable base (app...)."
    )
    airtable_endpoint: HttpUrl = Field(
        default=None,
        description="Base URL for the Airtable API (the sandbox's URL); empty: Airtable.",
    )
    tasks_sink: Literal["airtable", "google", "both"] = Field(
        default="airtable", description="Where follow-up tasks go: airtable, google or both."
    )
    public_url: PublicUrl = Field(
        default=None,
        description="Public https:// base URL of the web app (http:// only on a loopback host); "
        "webhooks are registered only when set.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address the web app listens on.")
    http_port: int = _bounded(8080, 1, 65535, "Port the web app listens on.")
    timezone: TimeZone = Field(
        default=None,
        description="IANA time zone for dates (e.g. Europe/Paris); empty: the calendar's.",
    )
    digest: DigestTime = Field(
        default=None,
        description="When the weekly digest is drafted in Gmail, in the user's time zone: a "
        "weekday and a time, e.g. 'mon 08:00'; empty: no digest.",
    )
    now: AwareDatetime | None = Field(
        default=None,
        description="Frozen clock: an ISO datetime with offset, e.g. 2026-03-02T09:00+00:00",
    )
    sender_name: str | None = Field(
        default=None, description="The name that signs thank-you drafts."
    )
    about_me: str | None = Field(
        default=None,
        description="A sentence or two on who you are and what you are exploring, for ask drafts "
        "(e.g. I'm a product designer moving into UX research).",
    )
    update_every_days: int = _bounded(30, 1, 3650, "Default progress-update cadence, in days.")
    nudge_after_days: int = _bounded(
        7, 1, 60, "Days an ask waits without a reply or a meeting before its one nudge draft."
    )
    brief_hours_before: float = _bounded(
        18, 1, 336, "Hours before an informational interview its brief is written."
    )
    questions_file: ReadableFile = Field(
        default=None,
        description="A text file of questions for briefs, one per line (# for comments); "
        "empty: the built-in bank.",
    )
    thank_you_grace_minutes: int = _bounded(
        15, 0, 1440, "Minutes after a meeting's end before its effects run."
    )
    poll_minutes: float = _bounded(
        5.0, 0.1, 1440, "Minutes between syncs of every source (due work is swept when due)."
    )
    safety_poll_minutes: float = _bounded(
        60.0,
        0.1,
        1440,
        "Minutes between syncs of an account whose Calendar channel and Airtable webhook are "
        "live (pushes bring its changes); never less than POLL_MINUTES.",
    )
    due_claim_seconds: float = _bounded(
        300.0,
        1,
        86_400,
        "Seconds a worker's claim on due work or on a source's sync lasts; a "
        "crashed worker's work is offered again after this.",
    )
    effect_hold_seconds: float = _bounded(
        300.0,
        1,
        86_400,
        "Seconds one attempt holds an external effect before another attempt "
        "reconciles it; longer than one call with its retries can take.",
    )
    airtable_penalty_seconds: float = _bounded(
        30.0, 0, 3600, "Seconds no request goes to the base after an Airtable 429 (Airtable: 30)."
    )
    history_days: int = _bounded(
        3, 0, 3650, "On a first sync, meetings that ended longer ago are history."
    )
    first_sync_days: int = _bounded(180, 1, 3650, "Days of past events read on a first sync.")
    max_reminders_per_day: int = _bounded(
        3, 1, 1000, "At most this many progress reminders fall due on one day."
    )
    interview_title_pattern: RegularExpression = Field(
        default=DEFAULT_INTERVIEW_TITLE_PATTERN,
        description=(
            "Regular expression (case-insensitive) for informational interview titles, "
            "matched as whole words."
        ),
    )
    templates_dir: Directory = Field(
        default=None,
        description="Directory of Jinja2 templates overriding the built-in drafts (sandboxed: "
        "the draft's variables only).",
    )
    draft_model_url: HttpUrl = Field(
        default=None,
        description="OpenAI-compatible chat endpoint that polishes thank-you drafts (e.g. "
        "http://127.0.0.1:11434/v1 for a local Ollama); empty: drafts as the rules write them.",
    )
    draft_model: str | None = Field(
        default=None, description="The model that polishes drafts (e.g. llama3.1:8b)."
    )
    draft_model_api_key: SecretStr | None = Field(
        default=None, description="Bearer key for DRAFT_MODEL_URL, when the service needs one."
    )
    encryption_key: EncryptionKey = Field(
        default=None,
        description="The Fernet key that encrypts accounts' credentials in the database; when "
        "rotating, the new key first, then the old one (commas between).",
    )
    encryption_key_file: EncryptionKeyFile = Field(
        default=None,
        description="A file holding the encryption key(s), e.g. a mounted Kubernetes Secret "
        "(instead of ENCRYPTION_KEY).",
    )
    google_client_secrets_file: ReadableFile = Field(
        default=None,
        description="OAuth client JSON (type Web application) for linking accounts' Google "
        "from a browser (`accounts add NAME --web-link`); its redirect URI: "
        "PUBLIC_URL/accounts/google/callback.",
    )
    account_cache: int = _bounded(
        64, 1, 100_000, "Accounts whose runtime and clients a process keeps at hand at once."
    )
    account_concurrency: int = _bounded(
        4,
        1,
        1000,
        "Messages of one account (syncs; other work) one worker process runs at once; "
        "more wait for a moment, so one account's bulk work never takes every thread.",
    )
    max_body_bytes: int = _bounded(
        1_048_576, 1024, 104_857_600, "Largest request body the web app accepts, in bytes."
    )
    log_format: Literal["console", "json"] = Field(
        default="console", description="console or json."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment outranks keyword arguments, which carry the TOML file's values."""
        return (env_settings, init_settings)

    @field_validator(
        "redis_url",
        "google_api_endpoint",
        "airtable_token",
        "airtable_base_id",
        "airtable_endpoint",
        "public_url",
        "timezone",
        "now",
        "sender_name",
        "about_me",
        "questions_file",
        "templates_dir",
        "draft_model_url",
        "draft_model",
        "draft_model_api_key",
        "encryption_key",
        "encryption_key_file",
        "google_client_secrets_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("google_credentials_file", mode="before")
    @classmethod
    def _credentials_default(cls, value: Any) -> Any:
        return default_google_credentials_file() if value in ("", None) else value

    @field_validator("draft_model")
    @classmethod
    def _draft_model(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("draft_model_url"):
            raise ValueError(
                f"must name the model when {env_name('draft_model_url')} is set (e.g. llama3.1:8b)"
            )
        return value

    @field_validator("now")
    @classmethod
    def _now(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and not NOW_FIRST <= value < NOW_END:
            raise ValueError(f"must fall in the years {NOW_FIRST.year} to {NOW_END.year - 1}")
        return value

    @property
    def embedded_broker(self) -> bool:
        """True when no BROKER_URL is set: dramatiq runs in this process."""
        return not self.broker_url

    @property
    def rate_limit_redis_url(self) -> str | None:
        """The Redis shared by workers for the Airtable rate limit; None: a per-process limit."""
        if self.redis_url:
            return self.redis_url
        is_redis = urlsplit(self.broker_url).scheme in ("redis", "rediss")
        return self.broker_url if is_redis else None

    def clock(self) -> dt.datetime:
        """The current time: the frozen NOW when set, else the real UTC time."""
        return self.now if self.now is not None else dt.datetime.now(dt.UTC)

    def secret_values(self) -> list[str]:
        """The secrets this object holds, for the log redactor."""
        secrets = (self.airtable_token, self.draft_model_api_key)
        values = [secret.get_secret_value() for secret in secrets if secret is not None]
        return values + self.encryption_keys()

    def encryption_keys(self) -> list[str]:
        """The encryption keys, the one that encrypts first (empty: none set)."""
        keys = split_keys(self.encryption_key.get_secret_value()) if self.encryption_key else []
        path = self.encryption_key_file
        return keys + (split_keys(path.read_text(encoding="utf-8")) if path else [])

    @property
    def google_credentials_chosen(self) -> bool:
        """True when GOOGLE_CREDENTIALS_FILE was set (not the default path)."""
        return "google_credentials_file" in self.model_fields_set

    def missing_google_credentials(self) -> str:
        """What to do when the credentials file does not exist (naming the file and setting)."""
        path, name = self.google_credentials_file, env_name("google_credentials_file")
        if path.exists():
            return f"{name}: {path} is not a file; run `followthrough auth google` to create it"
        if self.google_credentials_chosen:
            return f"{name}: {path} does not exist; run `followthrough auth google` to create it"
        return (
            f"Google is not authorized: {path} (the default of {name}) does not exist; run "
            f"`followthrough auth google` to write it there, or set {name} to your credentials file"
        )

    def require(self, *names: str, command: str | None = None) -> None:
        """Raise one ConfigurationError naming every setting among `names` that is not set
        (the Google credentials: whose file does not exist)."""
        problems = [
            f"{env_name(name)} is not set ({describe_setting(name)})"
            for name in names
            if getattr(self, name) is None
        ]
        if "google_credentials_file" in names and not self.google_credentials_file.is_file():
            problems.insert(0, self.missing_google_credentials())
        if problems:
            doing = f"`followthrough {command}` needs: " if command else ""
            raise ConfigurationError(doing + "; ".join(problems))

    def require_for(self, command: str) -> None:
        """Check the settings `command` (e.g. "run", "airtable init") cannot work without."""
        self.require(*COMMAND_REQUIREMENTS.get(command, ()), command=command)


_GOOGLE = ("google_credentials_file",)
_AIRTABLE = ("airtable_token", "airtable_base_id")
COMMAND_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "run": _GOOGLE + _AIRTABLE,
    "worker": _GOOGLE + _AIRTABLE,
    "sync": _GOOGLE + _AIRTABLE,
    "airtable init": _AIRTABLE,
}
"""Settings each command needs beyond the defaults."""


def describe_setting(name: str) -> str:
    """What a setting is, as its field's description says (for messages)."""
    return Settings.model_fields[name].description or name
