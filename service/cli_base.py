"""What every `followthrough` command shares: the app, global options, errors and exit codes.

Exit codes: 0 done; 1 failed; 2 bad usage; 3 the user must act (a setting, an
authorization); 75 a temporary failure, try again later. An expected failure prints one
line saying what happened and what to do, never a traceback.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from connectors.errors import FollowthroughError, RetryLater, UserActionRequired
from service.settings import Settings
from service.settings_loading import load_settings

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_USER_ACTION = 3
EXIT_TEMPORARY = 75

app = typer.Typer(
    name="followthrough",
    help="Follow-through for informational interviews: thank-you drafts, follow-ups and "
    "progress reminders from your calendar, Google Contacts and Airtable.",
    epilog="Settings come from FOLLOWTHROUGH_* environment variables or followthrough.toml. "
    "Exit codes: 0 done, 1 failed, 2 bad usage, 3 you must act, 75 try again later.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstring paragraphs are re-wrapped, not shown ragged
    context_settings={"help_option_names": ["-h", "--help"]},
)
auth_app = typer.Typer(
    help="Authorize Followthrough to use your accounts.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
airtable_app = typer.Typer(
    help="Set up the Airtable base.", no_args_is_help=True, rich_markup_mode="markdown"
)
app.add_typer(auth_app, name="auth")
app.add_typer(airtable_app, name="airtable")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """What the global options decided, shared with every command."""

    config: Path | None = None

    def settings(self, **overrides: Any) -> Settings:
        """Load the settings (environment over the config file) and start logging."""
        from service.logging import configure_logging, register_secret

        settings = load_settings(self.config, **overrides)
        configure_logging(settings.log_format, settings.log_level)
        register_secret(*settings.secret_values())
        return settings


def exit_code(error: FollowthroughError) -> int:
    """The exit code for an expected failure, by what the user should do next."""
    if isinstance(error, UserActionRequired):
        return EXIT_USER_ACTION
    if isinstance(error, RetryLater):
        return EXIT_TEMPORARY
    return EXIT_FAILED


def reports_errors(command: F) -> F:
    """Turn a FollowthroughError into one line on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except FollowthroughError as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            typer.echo(f"followthrough: {reason}", err=True)
            raise typer.Exit(exit_code(error)) from None

    return wrapper  # type: ignore[return-value]


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    return state if isinstance(state, CliState) else CliState()


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM (installed before anything starts, so none is missed)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Read settings from this TOML file instead of ./followthrough.toml.",
        dir_okay=False,
    ),
]


@app.callback()
def main(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Follow-through for informational interviews."""
    ctx.obj = CliState(config=config)
