"""Loading the settings (the environment over followthrough.toml), and bad ones described in
one line: each named by its environment variable, with its range.

Every numeric setting declares its range on its field (`ge`/`le`), so the message, the
README and the check agree.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors.errors import ConfigurationError
from service.settings import (
    CONFIG_FILE_NAME,
    ENV_PREFIX,
    Settings,
    describe_setting,
    env_name,
)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings: environment over `config_file` (default ./followthrough.toml).

    `overrides` (field names) outrank the file but not the environment; tests and commands
    use them for their own defaults.
    """
    from_file = _read_config_file(config_file)
    try:
        return Settings(**{**from_file, **overrides})
    except ValidationError as exc:
        message = describe_validation_error(exc, config_file, file_keys=set(from_file))
        raise ConfigurationError(message) from None


def _read_config_file(config_file: Path | None) -> Mapping[str, Any]:
    path = config_file or Path.cwd() / CONFIG_FILE_NAME
    if not path.is_file():
        if config_file is not None:
            raise ConfigurationError(
                f"config file {config_file} does not exist; pass an existing file to --config"
            )
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}; fix the file's TOML syntax") from None
    return {key.lower().removeprefix(ENV_PREFIX.lower()): value for key, value in data.items()}


def describe_validation_error(
    error: ValidationError, config_file: Path | None = None, *, file_keys: set[str] | None = None
) -> str:
    """One line naming each bad setting by its environment variable, and how to fix it.

    A key that the file set is named as the file spells it too.
    """
    source = config_file or CONFIG_FILE_NAME
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        if item["type"] == "extra_forbidden":
            problems.append(f"{source}: unknown setting {name!r}; check its spelling (see README)")
            continue
        where = f" (or {name} in {source})" if name in (file_keys or ()) else ""
        problems.append(f"{env_name(name)}{where}{_problem(name, item)}")
    return "bad settings: " + "; ".join(problems)


def setting_range(name: str) -> tuple[float, float] | None:
    """The smallest and largest value a numeric setting takes (None: not a numeric setting)."""
    field = Settings.model_fields.get(name)
    if field is None or field.annotation not in (int, float):
        return None
    low = next(m.ge for m in field.metadata if hasattr(m, "ge"))
    high = next(m.le for m in field.metadata if hasattr(m, "le"))
    return low, high


def _problem(name: str, item: Any) -> str:
    """What is wrong with one setting's value, and what it should be."""
    bounds = setting_range(name)
    if bounds is None:
        message = item["msg"].removeprefix("Value error, ")
        return f": {message}; expected: {describe_setting(name)}"
    kind = "a whole number" if Settings.model_fields[name].annotation is int else "a number"
    given = str(item["input"])
    given = given if len(given) <= 40 else given[:40] + "..."
    return f" must be {kind} from {bounds[0]} to {bounds[1]}; got {given}"
