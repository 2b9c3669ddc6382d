"""Rate windows kept in the store: a request limit shared by every process of one database.

One row per limited key (an Airtable base) holds the times of its latest requests and the
end of any penalty, read and written under a row lock on the server's clock, so that the
workers of a deployment with no Redis (RabbitMQ, PostgreSQL) pace themselves together.
PostgreSQL only: SQLite has one writer at a time and serves one process.

    with db.transaction() as s:
        wait = take_slot(s, "appXYZ", rate=4, window=1.1)  # 0: go; else seconds to wait
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.store.base import utcnow
from workflows.store.models import Cursor
from workflows.store.sql import insert_ignore

SHARED = "_shared"  # the rows' account: these limits belong to no account, all share them


def take_slot(session: Session, key: str, *, rate: int, window: float) -> float:
    """Take one of the `rate` requests allowed to `key` in any `window` seconds and return 0,
    or take nothing and return the seconds to wait first."""
    row, now = _locked(session, key)
    state = json.loads(row.value)
    if state["until"] > now:
        return float(state["until"] - now)
    sent = [t for t in state["sent"] if t > now - window]
    if len(sent) >= rate:
        return max(sent[0] + window - now, 0.001)
    row.value = json.dumps({"sent": [*sent, now], "until": state["until"]})
    return 0.0


def block_key(session: Session, key: str, seconds: float) -> None:
    """Let no request to `key` through for `seconds` (a longer penalty already set stays)."""
    row, now = _locked(session, key)
    state = json.loads(row.value)
    row.value = json.dumps({**state, "until": max(state["until"], now + seconds)})


def _locked(session: Session, key: str) -> tuple[Any, float]:
    """The key's row, locked until the transaction ends, and the server's time in seconds."""
    source = f"rate:{key}"
    empty = json.dumps({"sent": [], "until": 0.0})
    values = {"account": SHARED, "source": source, "value": empty, "updated_at": utcnow()}
    insert_ignore(session, Cursor, values, ["account", "source"])
    query = sa.select(Cursor).where(Cursor.account == SHARED, Cursor.source == source)
    row = session.execute(query.with_for_update()).scalar_one()
    now = session.execute(sa.select(sa.func.extract("epoch", sa.func.clock_timestamp())))
    return row, float(now.scalar_one())
