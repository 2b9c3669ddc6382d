"""The dramatiq actors: thin, idempotent wrappers that hand the broker's messages to workflows.

Declare them only after the broker is set (service.broker's import-order rule), with
`declare_actors(broker)`; it returns the `Actors` that senders (the web app, the scheduler)
use. Every message names its account first; the actor runs with that account's runtime
(`workflows.runtime.current(account)`), and a message for an account removed or disabled
since it was sent is dropped with one log line.

    sync(account, sources)        sync the named sources (all by default, in order), then sweep
    fetch_airtable(account, id)   read an Airtable webhook's new payloads (a sync of `airtable`)
    sweep(account)                claim what is due, enqueue `run_due` per kind in batches;
                                  reminders; old finished work purged once a day
    run_due(account, kind, keys)  run due items of one kind together (their Airtable writes
                                  batched); a duplicate or late message finds them done
    renew_channels(account)       open or renew the Calendar push channel before it expires

Syncs (`sync`, `fetch_airtable`) have a queue of their own (see `declare_actors`).

The database is the source of truth (DESIGN.md, "Reliability model"): a lost message
delays work until the next sweep offers it again, and a message delivered twice finds its
work done, or runs effects that the ledger makes happen once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dramatiq
import structlog

from connectors.errors import FollowthroughError
from workflows import channels
from workflows.duework.digest import schedule_digest
from workflows.duework.dispatch import claim, find, purge_finished, run_batch
from workflows.facts import clear_fact, get_fact, set_fact
from workflows.progress import create_reminders
from workflows.runtime import AccountUnavailable, Runtime, current
from workflows.store.lease import acquire_lease, release_lease
from workflows.sync import SOURCES, sync_source
from workflows.sync.reconsider import contacts_changed

log = structlog.get_logger(__name__)

DEFAULT_QUEUE = "followthrough"
SYNC_QUEUE_SUFFIX = "_sync"  # syncs have their own queue: see `declare_actors`
SYNC_PRIORITY = 10  # dramatiq runs lower numbers first: effects before syncs in a worker
SWEEP_LIMIT = 100  # items claimed per sweep; the next sweep takes the rest
BATCH = 10  # items per run_due message: Airtable takes ten rows a request
RUN_TIME_LIMIT_MS = 10 * 60_000  # one due item or one sync pass; a stuck call is cut off
MAX_SYNCS_IN_A_ROW = 5  # syncs one worker makes of a source asked for again meanwhile
AIRTABLE, CALENDAR = "airtable", "google_calendar"
ACCOUNT_FIRST = "followthrough_account_first"  # marks an actor whose first argument is the account

AnyActor = dramatiq.Actor[Any, Any]


@dataclass(frozen=True)
class Actors:
    """The declared actors, for sending messages (`actors.sweep.send(account)`)."""

    sync: AnyActor
    fetch_airtable: AnyActor
    sweep: AnyActor
    run_due: AnyActor
    renew_channels: AnyActor

    @property
    def queue_name(self) -> str:
        """The queue of the work due now: sweeps, due items, channel renewals."""
        return str(self.sweep.queue_name)

    @property
    def sync_queue_name(self) -> str:
        """The queue of syncs (`sync`, `fetch_airtable`): bulk work that may take minutes."""
        return str(self.sync.queue_name)

    @property
    def queues(self) -> tuple[str, str]:
        """Both queues, syncs first: a sync sends work to the other (a worker consumes both)."""
        return self.sync_queue_name, self.queue_name


def do_sync(runtime: Runtime, sources: Sequence[str] | None, sweep: AnyActor) -> None:
    """Sync each source in order, then ask for a sweep; the first failure re-raises (a retry).

    A failing source does not stop the others: nothing due waits for an unrelated outage.
    A source another worker is syncing right now is left to that worker, which syncs it
    once more (`sync_alone`): two syncs of one source never overlap (two first Airtable
    syncs would make two webhooks), and a burst of pings makes one more sync, not a retried
    message each. When every source was busy there is no sweep: the syncs running now sweep
    when done (duplicate webhooks would otherwise each send a sweep).
    """
    first_error: FollowthroughError | None = None
    names = list(sources or SOURCES)
    busy: list[str] = []
    for name in names:
        try:
            if not sync_alone(runtime, name):
                busy.append(name)
        except FollowthroughError as exc:  # recorded on the status page by sync_source
            first_error = first_error or exc
    try:
        judge_with_new_contacts(runtime, names)
    except FollowthroughError as exc:
        first_error = first_error or exc
    if len(busy) < len(names):
        sweep.send(runtime.account)
    if first_error is not None:
        raise first_error


def judge_with_new_contacts(runtime: Runtime, synced: Sequence[str]) -> None:
    """After an Airtable sync without the calendar's, a calendar pass when the active contacts
    changed: it judges recent events again (a contact added after the invite makes it an
    interview). With live pushes the unchanged calendar is otherwise read only at the safety
    poll; the pass holds the calendar's lease, so no other pass judges the events meanwhile."""
    if AIRTABLE in synced and CALENDAR not in synced and contacts_changed(runtime):
        sync_alone(runtime, CALENDAR)


def sync_lease(source: str) -> str:
    """The name of the lease held while `source` is being synced."""
    return f"sync:{source}"


def sync_request(source: str) -> str:
    """The name of the stored request that `source` be synced (again)."""
    return f"fact:sync_requested:{source}"


def sync_alone(runtime: Runtime, source: str) -> bool:
    """Have `source` synced after this call began: here, or by the worker syncing it now.

    The request is stored first, then the source's lease tried. Whoever holds the lease
    takes the request before each sync and syncs again while one came meanwhile; after
    releasing the lease it looks once more, so a request is never left behind. False when
    another worker holds the lease: it does this sync.

    The lease lasts as long as a claim on due work (`claim_for`), so a worker killed
    mid-sync delays that source's next sync by at most that long (its request waits there).
    """
    holder, lease, ttl = uuid.uuid4().hex, sync_lease(source), runtime.config.claim_for
    request, account = sync_request(source), runtime.account
    with runtime.db.transaction() as session:
        set_fact(session, request, holder, account=account)
    while True:
        with runtime.db.transaction() as session:
            if not acquire_lease(session, lease, holder, ttl, account=account):
                log.info("sync.busy", source=source)
                return False
        try:
            for _ in range(MAX_SYNCS_IN_A_ROW):
                if not _take(runtime, request, lease, holder):
                    break
                sync_source(runtime, source)
            else:  # asked again and again: the next message or poll goes on from here
                log.info("sync.requests_left", source=source)
                return True
        finally:
            with runtime.db.transaction() as session:
                release_lease(session, lease, holder, account=account)
        with runtime.db.read() as session:
            if get_fact(session, request, account=account) is None:
                return True


def _take(runtime: Runtime, request: str, lease: str, holder: str) -> bool:
    """Take the stored sync request, renewing the lease for the sync it asks for.

    False when there is none, or when the lease was lost (another worker took it after it
    ran out): that worker takes the request instead.
    """
    account, ttl = runtime.account, runtime.config.claim_for
    with runtime.db.transaction() as session:
        if get_fact(session, request, account=account) is None:
            return False
        if not acquire_lease(session, lease, holder, ttl, account=account):
            return False
        clear_fact(session, request, account=account)
        return True


def do_sweep(runtime: Runtime, run_due: AnyActor) -> int:
    """Make the coming digest due, claim the work due now, enqueue it in batches of one kind,
    create due reminders, and purge old finished work once a day."""
    schedule_digest(runtime)
    items = claim(runtime, limit=SWEEP_LIMIT)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item.key)
    for kind, keys in by_kind.items():
        for start in range(0, len(keys), BATCH):
            run_due.send(runtime.account, kind, keys[start : start + BATCH])
    try:
        create_reminders(runtime)
    except FollowthroughError as exc:  # the next sweep tries again; the items are sent already
        log.warning("reminders.failed", error=type(exc).__name__, reason=str(exc))
    purge_finished(runtime)
    if items:
        log.info("sweep.enqueued", count=len(items))
    return len(items)


def do_run_due(runtime: Runtime, kind: str, keys: Sequence[str]) -> None:
    """Run due items of one kind; those already done (a duplicate message) or unknown are left."""
    found = [find(runtime, kind, key) for key in keys]
    todo = [item for item in found if item is not None and item.done_at is None]
    if len(todo) < len(keys):
        log.info("due.already_done", kind=kind, count=len(keys) - len(todo))
    if not todo:
        return
    # A failure stays claimed: the broker's retry runs it again, and if that message is lost
    # the claim runs out and the sweep offers the work again.
    run_batch(runtime, todo, release_on_failure=False)


def do_renew_channels(runtime: Runtime) -> None:
    """Open the Calendar push channel, or replace one about to expire."""
    channels.ensure_calendar_channel(runtime)


def runtime_of(account: str) -> Runtime | None:
    """The account's runtime; None (and one log line) when it was removed or disabled."""
    try:
        return current(account)
    except AccountUnavailable as gone:
        log.info("account.message_dropped", account=account, reason=str(gone))
        return None


def per_account(work: Callable[..., object]) -> Callable[..., None]:
    """An actor's function from `work(runtime, ...)`: its message names the account first, and
    the account's name is on every log line meanwhile; a removed or disabled one is dropped."""

    def run(account: str, *args: Any, **kwargs: Any) -> None:
        with structlog.contextvars.bound_contextvars(account=account):
            runtime = runtime_of(account)
            if runtime is not None:
                work(runtime, *args, **kwargs)

    setattr(run, ACCOUNT_FIRST, True)
    return run


def account_of(actor: AnyActor, args: Sequence[Any]) -> str | None:
    """The account a message for `actor` names (None: an actor that takes none)."""
    takes_account = getattr(actor.fn, ACCOUNT_FIRST, False)
    return str(args[0]) if takes_account and args else None


def declare_actors(broker: dramatiq.Broker, *, queue_name: str = DEFAULT_QUEUE) -> Actors:
    """Declare the actors on `broker` (set it first) and return them for sending.

    Syncs go to their own queue (`queue_name` + "_sync") at a lower priority, so that a
    worker busy with one account's first sync of 50,000 events still takes another's due
    thank-you at once: the due work's queue is fetched apart from the syncs' backlog, and
    a worker thread that frees up takes due work first.
    """

    def actor(
        fn: Callable[..., None], name: str, *, bulk: bool = False, **options: Any
    ) -> AnyActor:
        declare = dramatiq.actor(
            broker=broker,
            actor_name=name,
            queue_name=queue_name + SYNC_QUEUE_SUFFIX if bulk else queue_name,
            priority=SYNC_PRIORITY if bulk else 0,
            time_limit=RUN_TIME_LIMIT_MS,
            **options,
        )
        return declare(fn)

    due_actor = actor(per_account(do_run_due), "run_due")
    # The scheduler sends the next sweep: no retry.
    sweep_actor = actor(per_account(lambda rt: do_sweep(rt, due_actor)), "sweep", max_retries=0)

    def sync(runtime: Runtime, sources: list[str] | None = None) -> None:
        do_sync(runtime, sources, sweep_actor)

    def fetch_airtable(runtime: Runtime, webhook_id: str) -> None:
        log.info("airtable.fetch", webhook_id=webhook_id)
        do_sync(runtime, ["airtable"], sweep_actor)

    return Actors(
        sync=actor(per_account(sync), "sync", bulk=True),
        fetch_airtable=actor(per_account(fetch_airtable), "fetch_airtable", bulk=True),
        sweep=sweep_actor,
        run_due=due_actor,
        renew_channels=actor(per_account(do_renew_channels), "renew_channels"),
    )
