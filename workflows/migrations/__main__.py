"""`python -m workflows.migrations revision -m MESSAGE [URL]`: autogenerate a new revision."""

from __future__ import annotations

import argparse

from alembic import command

from workflows.migrations import config
from workflows.store.db import create_engine


def main() -> None:
    """Autogenerate a revision by comparing the models with a database at head."""
    parser = argparse.ArgumentParser(prog="python -m workflows.migrations")
    parser.add_argument("action", choices=["revision"])
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument("--rev-id", default=None)
    parser.add_argument("url", nargs="?", default="sqlite:///migrations-scratch.db")
    args = parser.parse_args()
    engine = create_engine(args.url)
    with engine.begin() as connection:
        command.revision(
            config(connection), message=args.message, autogenerate=True, rev_id=args.rev_id
        )
    engine.dispose()


if __name__ == "__main__":
    main()
