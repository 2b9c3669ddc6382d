"""`followthrough doctor`: the checklist of a user's real setup (see `service.doctor`)."""

from __future__ import annotations

import typer

from service.cli_base import EXIT_USER_ACTION, app, reports_errors, state_of


@app.command()
@reports_errors
def doctor(ctx: typer.Context) -> None:
    """Check your real setup and print a checklist: each line ok, or FIX and what to do.

    Checks the settings; the Google credentials file, the scopes granted and what each
    enables, that the token refreshes and the calendar can be read; the Airtable token's
    scopes, your access to the base, every table, field and choice Followthrough needs, and
    whether webhooks can be made; the public URL's scheme and that it answers. Creates
    nothing. Exits 0 when all is well, 3 when you must act.
    """
    settings = state_of(ctx).settings()
    from service.doctor import run_checks

    failed = 0
    for check in run_checks(settings):
        typer.echo(check.line())
        failed += not check.ok
    if failed:
        typer.echo(f"{failed} to fix; run `followthrough doctor` again after fixing them")
        raise typer.Exit(EXIT_USER_ACTION)
    typer.echo("all is well")
