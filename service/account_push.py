"""Before `accounts remove|disable`: stop the account's push channels with its own credentials.

The account's clients are built as a worker builds them (service.runtimes), with a short
retry policy so an unreachable service costs seconds, not minutes. When they cannot be
built (no key, a wrong key, the account already disabled), the channels are only forgotten;
workflows.push_teardown says what then remains and when it ends by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import FollowthroughError
from connectors.policy import RetryPolicy
from service.runtimes import AccountRuntimes
from service.settings import Settings
from workflows.accounts import AccountBook
from workflows.push_teardown import has_push, stop_push
from workflows.runtime import Runtime, WorkflowConfig

TEARDOWN_POLICY = RetryPolicy(timeout=10.0, attempts=2, base_delay=0.5, max_delay=2.0)


@dataclass(frozen=True)
class PushStopped:
    """What stopping the account's push did: whether it held any, and each leftover's line."""

    held: bool
    leftovers: tuple[str, ...]


def stop_account_push(settings: Settings, book: AccountBook, name: str) -> PushStopped:
    """Stop and forget the account's Calendar channels and Airtable webhooks."""
    bare = Runtime(db=book.db, config=WorkflowConfig(account=name))
    if not has_push(bare):
        return PushStopped(held=False, leftovers=())
    default = Runtime(db=book.db, config=WorkflowConfig(account=settings.account))
    runtimes = AccountRuntimes(settings, default, policy=TEARDOWN_POLICY)
    try:
        runtime, unopened = runtimes.runtime_for(name), None
    except FollowthroughError as error:
        runtime, unopened = bare, f"its credentials could not be opened: {error}"
    leftovers = stop_push(runtime, unopened)
    return PushStopped(held=True, leftovers=tuple(left.line() for left in leftovers))
