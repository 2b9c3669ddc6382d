"""`followthrough accounts page-link NAME`: a new private link to an account's status page.

`accounts add` prints the first link when it creates an account; this command makes a new
one whenever it is lost or leaked (the last one then stops working). The page is served by
the web app at /accounts/NAME/ (service.web.account_pages); the default account's is `/`.
"""

from __future__ import annotations

import typer

from service.cli_accounts import NameArgument, _check_name, _usage_error, _with_book, accounts_app
from service.cli_base import reports_errors, state_of
from service.logging import register_secret
from workflows.page_keys import page_line


@accounts_app.command("page-link")
@reports_errors
def page_link_command(ctx: typer.Context, name: NameArgument) -> None:
    """Make a new link to the account's status page and print it (the last link stops
    working). Give it to that person only: whoever has it can read their week."""
    settings = state_of(ctx).settings()
    _check_name(name, settings)
    key = _with_book(settings, lambda book: book.page_key(name), None)
    if key is None:
        raise _usage_error(f"there is no account {name}; `followthrough accounts list` names them")
    register_secret(key)
    typer.echo(page_line(settings.public_url, name, key))
