"""Who leads among scheduler replicas: a PostgreSQL advisory lock, or a lease on SQLite.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own
(outside the pool). When its process dies, even by SIGKILL, the server ends the session and
releases the lock, so a standby trying each tick (2 s) leads within seconds, where a lease
would wait out its time-to-live. The lock's key comes from the database and schema, so
deployments sharing one PostgreSQL server (or one database, in schemas of their own) never
hold each other's. The leader checks its connection every tick: when the connection drops
(a network blip, the server restarted), the session and its lock may be gone, so it stops
leading at once and tries for the lock again on a new connection. A connection whose session
the server still holds keeps the lock, so a standby cannot lead beside it: never two leaders.
Keepalives on both sides bound how long a vanished leader's session (a machine gone, a
network cut) holds the lock: seconds, where the system's TCP defaults would take hours.

SQLite (the embedded shape, one process) keeps the lease in the database, taken back at an
embedded start (workflows.scheduling.hand_back_all).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Protocol

import sqlalchemy as sa
import structlog

from workflows.runtime import Runtime
from workflows.scheduling import give_up_lease, hold_lease

log = structlog.get_logger(__name__)

LOCK_KEY = "hashtext(current_database() || '.' || current_schema()), hashtext(:name)"
"""The advisory lock's two keys: the deployment (database and schema), then the lock's name."""
CLIENT_TIMEOUTS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
"""libpq's: a leader cut off from the server notices within seconds, not TCP's minutes."""
SERVER_TIMEOUTS = (
    "SET tcp_keepalives_idle = 5",
    "SET tcp_keepalives_interval = 2",
    "SET tcp_keepalives_count = 3",
)
"""The server's side of the session: a leader whose machine vanished (no FIN, no RST) loses
the lock within seconds, where the system's keepalive would wait two hours."""


def lock_connection_name(holder: str) -> str:
    """The lock connection's application name (pg_stat_activity shows who leads), at most
    the 63 characters PostgreSQL keeps."""
    return f"followthrough scheduler {holder}"[:63]


class Leadership(Protocol):
    """Whether this replica leads: `hold()` every tick, `give_up()` on stop."""

    def hold(self) -> bool:
        """Take or keep the leadership; False while another replica has it."""
        ...

    def give_up(self) -> None:
        """Let another replica lead at its next tick."""
        ...


class LeaseLeadership:
    """Leadership as a lease in the store, renewed each tick; it lapses after `ttl`."""

    def __init__(self, runtime: Runtime, name: str, holder: str, ttl: dt.timedelta) -> None:
        self._runtime, self._name, self._holder, self._ttl = runtime, name, holder, ttl

    def hold(self) -> bool:
        """Take or renew the lease."""
        return hold_lease(self._runtime, self._name, self._holder, self._ttl)

    def give_up(self) -> None:
        """Release the lease now."""
        give_up_lease(self._runtime, self._name, self._holder)


class LockLeadership:
    """Leadership as a PostgreSQL session-level advisory lock on a connection of its own."""

    def __init__(self, url: sa.URL, name: str, holder: str) -> None:
        # No pool: closing the connection ends the session, and with it the lock.
        self._engine = sa.create_engine(
            url,
            poolclass=sa.pool.NullPool,
            connect_args={"application_name": lock_connection_name(holder), **CLIENT_TIMEOUTS},
        )
        self._name = name
        self._connection: sa.Connection | None = None
        self._held = False

    def hold(self) -> bool:
        """Keep the lock while its connection answers; else try to take it."""
        try:
            if self._held:
                self._session().execute(sa.text("SELECT 1"))
                return True
            taken = self._session().execute(
                sa.text(f"SELECT pg_try_advisory_lock({LOCK_KEY})"), {"name": self._name}
            )
            self._held = bool(taken.scalar())
            return self._held
        except sa.exc.DBAPIError as exc:
            log.warning("leadership.connection_lost", error=type(exc).__name__, held=self._held)
            self._drop()
            return False

    def give_up(self) -> None:
        """Release the lock (at once, so a standby's next try takes it), close the connection."""
        if self._held and self._connection is not None:
            # on failure the session, and the lock with it, ends on closing
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.execute(
                    sa.text(f"SELECT pg_advisory_unlock({LOCK_KEY})"), {"name": self._name}
                )
        self._drop()
        self._engine.dispose()

    def _session(self) -> sa.Connection:
        if self._connection is None:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            for statement in SERVER_TIMEOUTS:
                connection.execute(sa.text(statement))
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None:
            try:
                connection.close()
            except sa.exc.DBAPIError:  # gone already: so is its session
                connection.invalidate()


def leadership_for(runtime: Runtime, name: str, holder: str, ttl: dt.timedelta) -> Leadership:
    """An advisory lock on PostgreSQL; on SQLite, a lease that lapses after `ttl`."""
    if runtime.db.dialect == "postgresql":
        return LockLeadership(runtime.db.engine.url, name, holder)
    return LeaseLeadership(runtime, name, holder, ttl)
