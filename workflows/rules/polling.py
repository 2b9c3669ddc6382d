"""When each account is polled: at its own moment of the interval, so polls spread evenly.

Accounts are ranked by a hash of their name, and the k-th of n has its poll moments at
k/n of the way through each interval (`phases`): a thousand accounts polled every five
minutes make about three polls a second, not a thousand at the top of the interval. The
moments are on the wall clock and follow from the names alone, so a new leader keeps them.

An account is due at its first moment after its last poll (`next_poll`), so it is never
left unpolled longer than the interval (plus the tick its moment waits for). A `slack` of a
tick keeps a poll sent a tick late, or an account whose moment moved a little later (one
added before it in the ranking), from being polled twice in a row. An account never polled
is due at once; `per_tick` bounds how many polls one tick sends (twice the share, or ten), so a
deployment's first start or a long outage is caught up over half an interval, not at once;
each such poll is followed by one at the account's moment.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping


def phases(accounts: Iterable[str]) -> dict[str, float]:
    """Each account's place in the interval, from 0 to 1 (exclusive), evenly spaced."""
    ranked = sorted(set(accounts), key=_hash)
    return {name: index / len(ranked) for index, name in enumerate(ranked)}


def _hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def next_poll(last: float | None, phase: float, every: float, slack: float = 0.0) -> float:
    """When an account polled last at `last` (epoch seconds; None: never) is due again: its
    first moment more than `slack` seconds after `last`."""
    if last is None:
        return -math.inf
    offset = phase * every
    return offset + (math.floor((last + slack - offset) / every) + 1) * every


BURST = 10
"""Polls one tick may always send: a small deployment's accounts are all polled at its start."""


def per_tick(intervals: Mapping[str, float], tick: float) -> int:
    """The most polls one tick sends: twice the accounts' share of a tick, at least `BURST`."""
    share = sum(tick / every for every in intervals.values())
    return max(BURST, math.ceil(2 * share))
