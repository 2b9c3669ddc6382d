"""Structured logging: structlog events for us and for the libraries, with secrets redacted.

`configure_logging` sends structlog events and stdlib records (googleapiclient, urllib3,
dramatiq, uvicorn) through one chain that ends in a console or JSON renderer. The last step
before rendering replaces every registered secret value, and the value of every field whose
name looks secret (token, secret, authorization, password...), with "[REDACTED]", so a
secret never reaches a log line, not even inside a formatted traceback.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor

from service.metrics import count_events

REDACTED = "[REDACTED]"
SECRET_KEY_PARTS = ("token", "secret", "authorization", "password", "passwd", "api_key", "cookie")
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
SECRET_PATTERNS = re.compile(
    r"ya29\.[\w.\-]+"  # Google access tokens
    r"|1//[\w\-]{20,}"  # Google refresh tokens
    r"|GOCSPX-[\w\-]+"  # Google OAuth client secrets
    r"|pat[A-Za-z0-9]{14}\.[0-9a-f]{64}"  # Airtable personal access tokens
    r"|(?i:bearer)\s+[\w.~+/\-]+=*"  # any bearer credential
)
"""Credentials recognisable by shape, redacted even when nobody registered them (new tokens)."""
NOISY_LIBRARIES = {
    "googleapiclient.discovery_cache": logging.ERROR,
    "urllib3": logging.INFO,
    "alembic": logging.WARNING,  # its INFO lines narrate each start; store.migrated says it
}


class SecretRedactor:
    """A structlog processor that removes known secret values and secret-named fields."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def register(self, *values: str | None) -> None:
        """Remember secret values (tokens, client secrets, MAC secrets) to scrub from logs."""
        with self._lock:
            self._secrets.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        """Redact the event in place and return it."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for key in list(event_dict):
            event_dict[key] = self._clean(key, event_dict[key], secrets)
        return event_dict

    def _clean(self, key: str, value: Any, secrets: list[str]) -> Any:
        if _looks_secret(key) and value not in (None, ""):
            return REDACTED
        return self._scrub(value, secrets)

    def _scrub(self, value: Any, secrets: list[str]) -> Any:
        if isinstance(value, str):
            return _replace_all(value, secrets)
        if isinstance(value, Mapping):
            return {k: self._clean(str(k), v, secrets) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._scrub(item, secrets) for item in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return _replace_all(str(value), secrets)  # anything else is rendered via str()


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def _replace_all(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return SECRET_PATTERNS.sub(REDACTED, text)


redactor = SecretRedactor()
"""The process-wide redactor; `register_secret` adds to it."""


def register_secret(*values: str | None) -> None:
    """Never log these values (call as soon as a credential is loaded or minted)."""
    redactor.register(*values)


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(log_format: Literal["console", "json"], stream: TextIO) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer(default=str)
    return structlog.dev.ConsoleRenderer(
        colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
    )


def configure_logging(
    log_format: Literal["console", "json"] = "console",
    level: str = "INFO",
    stream: TextIO | None = None,
) -> None:
    """Route structlog and the standard library's logging through redaction to `stream`.

    Safe to call more than once (the last call wins); `stream` defaults to stderr.
    """
    stream = stream or sys.stderr
    structlog.configure(
        processors=[
            count_events,  # before the level filter: metrics do not depend on LOG_LEVEL
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # tracebacks become text, then get scrubbed
            redactor,
            _renderer(log_format, stream),
        ],
    )
    _install_handler(formatter, stream, level)


class _FollowthroughHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we installed, so reconfiguring replaces it instead of adding one."""


def _install_handler(formatter: logging.Formatter, stream: TextIO, level: str) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _FollowthroughHandler)]:
        root.removeHandler(handler)
    handler = _FollowthroughHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, library_level in NOISY_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(library_level, root.level))


def reset_logging() -> None:
    """Undo `configure_logging`: structlog's defaults, and our handler removed."""
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _FollowthroughHandler)]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)


def get_logger(name: str | None = None, **fields: Any) -> structlog.stdlib.BoundLogger:
    """A structlog logger, optionally bound to `fields`."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger.bind(**fields) if fields else logger
