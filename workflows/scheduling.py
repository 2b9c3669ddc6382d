"""What the scheduler and an embedded start ask of the store: who leads, whether work waits,
and handing back what a process that died held.

Leases, claims and holds live in the store so that they outlast any process; these functions
each run one short transaction, so the service never holds a session itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from workflows.channels import CALENDAR_PROVIDER
from workflows.runtime import Runtime
from workflows.store import due, ledger
from workflows.store.base import utcnow
from workflows.store.cursors import clear_cursors_named, cursors_named, set_cursor
from workflows.store.lease import acquire_lease, release_lease, release_live_leases
from workflows.store.webhooks import accounts_notified_by
from workflows.sync.airtable import PROVIDER as AIRTABLE_PROVIDER

POLLED_AT = "fact:polled_at"
"""Per account: when the scheduler last sent its poll (epoch seconds, the wall clock), so a
new leader goes on with each account's schedule instead of polling every account at once."""
PUSHED_BY = (CALENDAR_PROVIDER, AIRTABLE_PROVIDER)
"""The change feeds that push: with both live, an account is polled at the safety interval."""


@dataclass(frozen=True)
class HandedBack:
    """What an embedded start took back from the process before it."""

    claims: int  # due work offered again at once
    holds: int  # unfinished effects, looked up before they are tried again
    leases: tuple[str, ...]  # account/name of each lease taken over instead of waiting for it


def hold_lease(runtime: Runtime, name: str, holder: str, ttl: dt.timedelta) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder has it."""
    with runtime.db.transaction() as session:
        return acquire_lease(session, name, holder, ttl, account=runtime.account)


def give_up_lease(runtime: Runtime, name: str, holder: str) -> None:
    """Release `holder`'s lease `name` now, so another holder may take it at once."""
    with runtime.db.transaction() as session:
        release_lease(session, name, holder, account=runtime.account)


def last_polls(runtime: Runtime) -> dict[str, float]:
    """When each account's poll was last sent (epoch seconds), for every account polled."""
    with runtime.db.read() as session:
        return {name: float(at) for name, at in cursors_named(session, POLLED_AT).items()}


def record_polls(runtime: Runtime, accounts: Sequence[str], at: float) -> None:
    """Store that the polls of `accounts` were sent at `at` (epoch seconds), in one transaction."""
    if not accounts:
        return
    with runtime.db.transaction() as session:
        for account in accounts:
            set_cursor(session, POLLED_AT, repr(at), account=account)


def accounts_with_live_push(runtime: Runtime) -> set[str]:
    """The accounts (any) whose Calendar channel and Airtable webhook both notify an address and
    have not expired: their changes are pushed, so polling them is only a safety net."""
    with runtime.db.read() as session:
        return accounts_notified_by(session, PUSHED_BY, utcnow())


def accounts_with_work_waiting(runtime: Runtime) -> set[str]:
    """The accounts (any, not only the runtime's) with work due and not claimed, at the
    runtime's clock."""
    with runtime.db.read() as session:
        return due.accounts_with_claimable(session, runtime.now())


def seconds_until_due(runtime: Runtime) -> float | None:
    """Seconds until the next waiting work of any account falls due by the runtime's clock
    (None: none waits)."""
    now = runtime.now()
    with runtime.db.read() as session:
        at = due.next_due(session, after=now)
    return None if at is None else (at - now).total_seconds()


def hand_back_all(runtime: Runtime, leases: Sequence[str]) -> HandedBack:
    """Release every account's claims on due work, holds on effects and leases named, and
    forget when accounts were polled (the polls queued in the process before died with it:
    they are sent again at once).

    Only for a process that knows no other one uses the store (an embedded start).
    """
    with runtime.db.transaction() as session:
        clear_cursors_named(session, POLLED_AT)
        claims = due.release_claims(session)
        holds = ledger.release_holds(session)
        released = release_live_leases(session, leases)
    return HandedBack(claims, holds, tuple(f"{account}/{name}" for account, name in released))


def hand_back_claims(runtime: Runtime, work: Sequence[tuple[str, str, str]]) -> None:
    """Release the claims on these (account, kind, key) items of due work: offered again at
    once (the runtime's database holds every account's)."""
    with runtime.db.transaction() as session:
        for account, kind, key in work:
            due.release(session, kind, key, account=account)
