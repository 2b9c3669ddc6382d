"""What a good value of each kind of setting is: URLs, a base id, a time zone, a pattern.

Each kind is an annotated type the `service.settings.Settings` fields declare, so a field
says what it holds and the check lives beside the others of its kind. A check raises
ValueError with what the value must be; `service.settings_loading` turns it into the one-line
message naming the setting.
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connectors.addresses import push_address_problem
from workflows.rules.digest import parse_digest
from workflows.sealing import key_problem

BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")


def http_url(value: str | None) -> str | None:
    """An http:// or https:// base URL, without its trailing slash."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def database_url(value: str) -> str:
    """A SQLAlchemy URL of SQLite (naming a file) or PostgreSQL."""
    try:
        url = make_url(value)
    except ArgumentError:
        url = None
    if url is None or url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
    memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    if url.get_backend_name() == "sqlite" and memory:
        raise ValueError(
            "names no file, so the store would be in memory and forget everything at exit; "
            "name a file, e.g. sqlite:///followthrough.db"
        )
    return value


def broker_url(value: str) -> str:
    """Empty (the in-process broker), or a Redis or RabbitMQ URL."""
    if value and urlsplit(value).scheme not in BROKER_SCHEMES:
        raise ValueError("must be empty (in-process), redis://... or amqp://...")
    return value


def redis_url(value: str | None) -> str | None:
    """A redis:// (or rediss://) URL."""
    if value and urlsplit(value).scheme not in ("redis", "rediss"):
        raise ValueError("must be a redis:// URL")
    return value


def public_url(value: str | None) -> str | None:
    """An https:// base URL Google can push to (http:// only on a loopback host)."""
    url = http_url(value)
    problem = push_address_problem(url) if url is not None else None
    if problem is not None:
        raise ValueError(f"{problem} (127.0.0.0/8, ::1, localhost)")
    return url


def airtable_base_id(value: str | None) -> str | None:
    """An Airtable base id (app...)."""
    if value is not None and not re.fullmatch(r"app[A-Za-z0-9]+", value):
        raise ValueError("must be an Airtable base id like appXXXXXXXXXXXXXX (from its URL)")
    return value


def time_zone(value: str | None) -> str | None:
    """An IANA time zone name."""
    if value is not None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone name such as Europe/Paris") from None
    return value


def regular_expression(value: str) -> str:
    """A regular expression Python compiles."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc})") from None
    return value


def directory(value: Path | None) -> Path | None:
    """A directory that exists."""
    if value is not None and not value.is_dir():
        raise ValueError(f"{value} is not a directory")
    return value


def digest_time(value: str | None) -> str | None:
    """Empty (no digest), or a weekday and a time such as `mon 08:00`."""
    parse_digest(value)
    return (value or "").strip() or None


def readable_file(value: Path | None) -> Path | None:
    """A file that exists and can be read as UTF-8 text."""
    if value is None:
        return None
    try:
        value.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise ValueError(f"{value} cannot be read ({reason}); name a UTF-8 text file") from None
    return value


def encryption_key(value: SecretStr | None) -> SecretStr | None:
    """One or more Fernet keys (commas or whitespace between them)."""
    problem = key_problem(value.get_secret_value(), "the value") if value else None
    if problem:
        raise ValueError(problem)
    return value


def encryption_key_file(value: Path | None) -> Path | None:
    """A readable file holding one or more Fernet keys."""
    if value is None:
        return None
    readable_file(value)  # one that cannot be read says so first
    problem = key_problem(value.read_text(encoding="utf-8"), str(value))
    if problem:
        raise ValueError(problem)
    return value


DatabaseUrl = Annotated[str, AfterValidator(database_url)]
BrokerUrl = Annotated[str, AfterValidator(broker_url)]
RedisUrl = Annotated[str | None, AfterValidator(redis_url)]
HttpUrl = Annotated[str | None, AfterValidator(http_url)]
PublicUrl = Annotated[str | None, AfterValidator(public_url)]
AirtableBaseId = Annotated[str | None, AfterValidator(airtable_base_id)]
TimeZone = Annotated[str | None, AfterValidator(time_zone)]
RegularExpression = Annotated[str, AfterValidator(regular_expression)]
Directory = Annotated[Path | None, AfterValidator(directory)]
DigestTime = Annotated[str | None, AfterValidator(digest_time)]
ReadableFile = Annotated[Path | None, AfterValidator(readable_file)]
EncryptionKey = Annotated[SecretStr | None, AfterValidator(encryption_key)]
EncryptionKeyFile = Annotated[Path | None, AfterValidator(encryption_key_file)]
