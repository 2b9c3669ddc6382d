"""Apply an external effect exactly once, through the effects ledger.

The ledger row is written before the call and again after it (DESIGN.md, "Reliability
model"). A retry of an effect whose earlier outcome is unknown (a crash, a dropped
connection) reconciles first, so neither a duplicate message nor a lost response ever
makes a second draft or task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from connectors.errors import RetryLater
from workflows.runtime import Runtime
from workflows.store.ledger import begin_effect, fail_effect, finish_effect

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Applied:
    """An effect as it exists outside: its id, the details kept, and whether this call made it."""

    external_id: str
    detail: dict[str, Any]
    new: bool


def apply_once(
    runtime: Runtime,
    key: str,
    kind: str,
    call: Callable[[bool], T],
    describe: Callable[[T], tuple[str, dict[str, Any]]],
) -> Applied:
    """Run `call(outcome_unknown)` unless the ledger says `key` was applied already.

    `describe` turns the call's result into the external id and the details to keep.
    A transient failure leaves the key to be reconciled on the next attempt; any other
    failure releases it so the next attempt simply runs again.
    """
    with runtime.db.transaction() as session:
        state = begin_effect(session, key, kind, account=runtime.account)
    if state.action == "skip":
        return Applied(state.external_id or "", dict(state.detail or {}), new=False)
    if state.action == "wait":
        raise RetryLater(f"effect {key} is being applied by another worker; trying again later")
    try:
        result = call(state.action == "reconcile")
    except Exception as exc:
        with runtime.db.transaction() as session:
            unknown = isinstance(exc, RetryLater)
            fail_effect(session, key, str(exc), outcome_unknown=unknown, account=runtime.account)
        raise
    external_id, detail = describe(result)
    with runtime.db.transaction() as session:
        finish_effect(session, key, external_id=external_id, detail=detail, account=runtime.account)
    log.info("effect.applied", key=key, kind=kind, reconciled=state.action == "reconcile")
    return Applied(external_id, detail, new=True)
