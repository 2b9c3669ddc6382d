"""Apply an external effect exactly once, through the effects ledger (`store.ledger.apply_once`).

Gmail drafts and Google tasks are created by calls that take `outcome_unknown`: when an
earlier attempt may have applied the effect (a crash, a dropped connection), the call looks
it up first. This module adapts those calls to the ledger's apply/reconcile protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from workflows.runtime import Runtime
from workflows.store import ledger

T = TypeVar("T")


@dataclass(frozen=True)
class Applied:
    """An effect as it exists outside: its id and the details the ledger kept."""

    external_id: str
    detail: dict[str, Any]


def apply_once(
    runtime: Runtime,
    key: str,
    kind: str,
    call: Callable[[bool], T],
    describe: Callable[[T], tuple[str, dict[str, Any]]],
    *,
    maybe_done_before: bool = False,
) -> Applied:
    """Run `call(outcome_unknown)` unless the ledger says `key` was applied already.

    `describe` turns the call's result into the external id and the details to keep.
    `maybe_done_before`: an earlier store may have applied it (this store began after the
    effect fell due: a lost or new database), so even the first attempt looks it up first.
    """

    def attempt(outcome_unknown: bool) -> ledger.Outcome:
        external_id, detail = describe(call(outcome_unknown))
        return ledger.Outcome(external_id, detail)

    state = ledger.apply_once(
        runtime.db,
        key,
        kind,
        lambda: attempt(maybe_done_before),
        lambda: attempt(True),
        account=runtime.account,
        hold=runtime.config.effect_hold,
    )
    return Applied(state.external_id or "", dict(state.detail or {}))
