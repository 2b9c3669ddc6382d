"""Secrets at rest: accounts' credentials sealed with Fernet under FOLLOWTHROUGH_ENCRYPTION_KEY.

The key setting holds one or more Fernet keys (32 url-safe base64-encoded bytes each),
separated by commas or whitespace. The first seals; every one opens (`MultiFernet`), so a
key is rotated by putting the new key first and keeping the old one after it until every
account was sealed again (`accounts add NAME` reseals what it keeps). A secret never
appears in an error, a log line or a `repr`.
"""

from __future__ import annotations

import datetime as dt
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from connectors.errors import ConfigurationError

KEY_SETTING = "FOLLOWTHROUGH_ENCRYPTION_KEY"
NEW_KEY_HINT = (
    "make one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


NO_KEY = f"{KEY_SETTING} is not set (nor {KEY_SETTING}_FILE); {NEW_KEY_HINT}"


class NoKey(ConfigurationError):
    """Accounts' secrets are needed but no encryption key is set."""


class WrongKey(ConfigurationError):
    """A sealed secret does not open with any of the keys set."""


def split_keys(text: str) -> list[str]:
    """The keys in a setting's value (commas or whitespace between them)."""
    return [key for key in re.split(r"[\s,]+", text) if key]


def key_problem(text: str, where: str) -> str | None:
    """What is wrong with the keys in `text` (None: each is a Fernet key); `where` names it."""
    keys = split_keys(text)
    if not keys:
        return f"{where} holds no key; {NEW_KEY_HINT}"
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            which = where if len(keys) == 1 else f"key {number} of {where}"
            return f"{which} is not a Fernet key (32 url-safe base64-encoded bytes); {NEW_KEY_HINT}"
    return None


class Sealer:
    """Seals and opens secrets with the configured keys (the first one seals)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise NoKey(NO_KEY)
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def __repr__(self) -> str:
        return "Sealer(keys=[REDACTED])"

    def seal(self, secret: str) -> bytes:
        """The secret encrypted and authenticated (a Fernet token)."""
        return self._fernet.encrypt(secret.encode())

    def reseal(self, sealed: bytes, what: str) -> bytes:
        """The secret sealed anew with the first key (after a rotation); WrongKey as `open`."""
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken:
            raise self._wrong(what) from None

    def open(self, sealed: bytes, what: str) -> str:
        """The secret back; WrongKey (naming `what`, never the secret) when no key opens it."""
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise self._wrong(what) from None

    def open_fresh(self, sealed: str, max_age: dt.timedelta) -> str | None:
        """The secret of a token sealed less than `max_age` ago by one of the keys; None for any
        other (forged, damaged, too old)."""
        try:
            return self._fernet.decrypt(sealed, ttl=int(max_age.total_seconds())).decode()
        except (InvalidToken, UnicodeDecodeError):
            return None

    @staticmethod
    def _wrong(what: str) -> WrongKey:
        return WrongKey(
            f"{KEY_SETTING} does not open {what}: set the key it was stored with (when "
            "rotating, the new key first, then the old one)"
        )


def sealer_or_none(keys: list[str] | None) -> Sealer | None:
    """A Sealer when keys are set, else None (only the default account can be served)."""
    return Sealer(keys) if keys else None
