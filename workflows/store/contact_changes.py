"""A token renewed whenever who an account's contacts are may have changed.

After each calendar pass, `workflows.sync.reconsider` compares a digest of every active
Airtable contact with the one the recent events were judged by. Hashing every contact cost
a pass with nothing changed more than the rest of its work, so the digest is taken again
only when this token moved since it was last taken.

Any transaction that adds or removes an Airtable contact or one of their addresses, or
changes a person's Airtable id, Inactive or deleted flag, or an address's owner or spelling,
renews the token of the
accounts it touched just before it commits: in the same transaction, and as its last
write, so two writers never wait on each other in a cycle for its row. A bulk statement on
people names no single account: it renews every account's token. Writes made outside a
Session (raw SQL, migrations) are not seen: none change contacts.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, object_session

from workflows.store.cursors import get_cursor, set_cursor
from workflows.store.models import Cursor, Person, PersonEmail

CONTACTS_CHANGED = "fact:contacts_changed"
"""The account's token: a new value after each change to who its contacts are."""

_TOUCHED = "followthrough.contacts_touched"  # session.info: the accounts touched, or EVERY
EVERY = "*"
_WATCHED = {Person: ("airtable_record_id", "inactive", "airtable_deleted"),
            PersonEmail: ("email", "person_id")}  # fmt: skip


def contacts_token(session: Session, *, account: str) -> str | None:
    """The account's token now (None before any contact was stored or judged)."""
    return get_cursor(session, CONTACTS_CHANGED, account=account)


def renew_token(session: Session, *, account: str) -> str:
    """Give the account a fresh token inside the caller's transaction; returns it."""
    token = uuid.uuid4().hex
    set_cursor(session, CONTACTS_CHANGED, token, account=account)
    return token


def _touch(session: Session | None, account: str) -> None:
    if session is not None:
        session.info.setdefault(_TOUCHED, set()).add(account)


def _on_insert_or_delete(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    if _of_a_contact(target):
        _touch(object_session(target), target.account)


def _of_a_contact(target: Person | PersonEmail) -> bool:
    """Whether the person, or the address's person, is an Airtable contact (unknown: yes).

    Attendees and Google contacts stored by a sync are not: their many rows leave the token.
    """
    if isinstance(target, Person):
        return target.airtable_record_id is not None
    person = sa.inspect(target).dict.get("person")  # only as loaded: no query inside a flush
    return person is None or person.airtable_record_id is not None


def _on_update(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    state = sa.inspect(target)
    if any(state.attrs[name].history.has_changes() for name in _WATCHED[type(target)]):
        _touch(object_session(target), target.account)


for _model in _WATCHED:
    sa.event.listen(_model, "after_insert", _on_insert_or_delete)
    sa.event.listen(_model, "after_delete", _on_insert_or_delete)
    sa.event.listen(_model, "after_update", _on_update)


@sa.event.listens_for(Session, "do_orm_execute")
def _on_bulk(state: ORMExecuteState) -> None:
    """An insert, update or delete statement on people or addresses touches every account."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if any(mapper.class_ in _WATCHED for mapper in state.all_mappers):
        _touch(state.session, EVERY)


@sa.event.listens_for(Session, "before_commit")
def _renew_before_commit(session: Session) -> None:
    session.flush()  # what is still pending is seen by the mapper events above
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    if EVERY in touched:
        token = uuid.uuid4().hex
        session.execute(
            sa.update(Cursor).where(Cursor.source == CONTACTS_CHANGED).values(value=token)
        )
        touched.discard(EVERY)
    for account in sorted(touched):
        renew_token(session, account=account)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_TOUCHED, None)
