"""The accounts table: each account beyond the default, its state, settings and sealed secrets.

The secrets arrive here sealed (workflows.sealing) and leave sealed: this module never sees
them in clear. Removing an account deletes its row and every row it owns in every table.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import Base
from workflows.store.models import Account

UNCHANGED: Any = object()
"""A `save_account` argument left as it is stored."""


def get_account(session: Session, name: str) -> Account | None:
    """The account called `name` (None: no such account)."""
    query = sa.select(Account).where(Account.name == name)
    return session.execute(query).scalar_one_or_none()


def all_accounts(session: Session) -> list[Account]:
    """Every account, by name."""
    return list(session.execute(sa.select(Account).order_by(Account.name)).scalars())


def active_names(session: Session) -> list[str]:
    """The names of the active accounts, in order."""
    query = sa.select(Account.name).where(Account.state == "active").order_by(Account.name)
    return list(session.execute(query).scalars())


def save_account(
    session: Session,
    name: str,
    *,
    settings: dict[str, Any] | None = None,
    google_credentials: bytes | None = UNCHANGED,
    airtable_token: bytes | None = UNCHANGED,
    airtable_base_id: str | None = UNCHANGED,
) -> tuple[Account, bool]:
    """Create the account, or update what is given and make it active again; True if created.

    `settings` are merged into the stored ones. The revision grows either way.
    """
    row = get_account(session, name)
    created = row is None
    if row is None:
        row = Account(name=name, settings={}, revision=0)
        session.add(row)
    row.state = "active"
    row.settings = {**row.settings, **(settings or {})}
    for column, value in (
        ("google_credentials", google_credentials),
        ("airtable_token", airtable_token),
        ("airtable_base_id", airtable_base_id),
    ):
        if value is not UNCHANGED:
            setattr(row, column, value)
    row.revision += 1
    session.flush()
    return row, created


def store_google_credentials(session: Session, name: str, sealed: bytes) -> bool:
    """Keep a refreshed Google token (the revision stays: the runtime in use is still right)."""
    query = sa.update(Account).where(Account.name == name).values(google_credentials=sealed)
    return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def set_google_link(session: Session, name: str, sealed: bytes | None) -> bool:
    """Keep (or forget, with None) the account's pending web consent; False: no such account."""
    query = sa.update(Account).where(Account.name == name).values(google_link=sealed)
    return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def set_state(session: Session, name: str, state: str) -> bool:
    """Set the account's state (active or disabled); False when there is no such account."""
    row = get_account(session, name)
    if row is None:
        return False
    if row.state != state:
        row.state, row.revision = state, row.revision + 1
    return True


def delete_account(session: Session, name: str) -> int | None:
    """Delete the account and every row it owns in every table; how many rows (None: unknown).

    Tables are emptied children first, so no foreign key is left dangling.
    """
    row = get_account(session, name)
    if row is None:
        return None
    deleted = 0
    for table in reversed(Base.metadata.sorted_tables):
        if "account" in table.c:
            result = session.execute(sa.delete(table).where(table.c.account == name))
            deleted += result.rowcount  # type: ignore[attr-defined]
    session.delete(row)
    return deleted
