"""An external effect applied exactly once for this runtime's account, through the ledger.

Gmail drafts and Google tasks are created by calls that take `outcome_unknown`: when an
earlier attempt may have applied the effect (a crash, a dropped connection), the call looks
it up first. The ledger (`store.ledger.effect`) holds the key around that one call:

    with once(runtime, key, "gmail.draft") as draft:
        if draft.needed:
            ref = gmail.create_draft(message, outcome_unknown=draft.outcome_unknown)
            draft.applied(ref.draft_id, {"message_id": ref.message_id})
    draft.external_id
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from workflows.runtime import Runtime
from workflows.store import ledger


def once(
    runtime: Runtime, key: str, kind: str, *, maybe_done_before: bool = False
) -> AbstractContextManager[ledger.Attempt]:
    """The ledger's attempt at `key` for the runtime's account, held for its `effect_hold`.

    `maybe_done_before`: an earlier store may have applied it (this store began after the
    effect fell due: a lost or new database), so even the first attempt looks it up first.
    """
    return ledger.effect(
        runtime.db,
        key,
        kind,
        account=runtime.account,
        hold=runtime.config.effect_hold,
        maybe_done_before=maybe_done_before,
    )
