"""The store: the source of truth (SQLAlchemy 2 models, Alembic migrations, a small repository API).

The broker only carries work; what must not be lost or done twice lives here. SQLite is the
default (one file, worker threads), PostgreSQL the distributed backend; the same calls work
on both.

Start-up::

    from workflows.migrations import upgrade
    from workflows.store.db import Database

    upgrade(settings.database_url)        # idempotent; every process may call it
    db = Database(settings.database_url)  # one per process; thread-safe

Sessions (`workflows.store.db`)::

    with db.transaction() as s: ...       # commits on exit, rolls back if the block raises
    with db.read() as s: ...              # read-only; on SQLite never waits for a writer
    db.ping()                             # for /readyz

Never hold a transaction open across an external call: SQLite writers queue one at a time.

What the functions return (one rule): entities you edit inside a transaction are ORM objects
(`Person`, `Meeting`, `Followup`, `Event`, `WebhookChannel`; their columns, and a person's
emails, stay readable after commit since sessions do not expire them; other relationships
load only inside a session); the reliability records you act on after the transaction
ends are frozen dataclasses (`EffectState`, `DueItem`, `LeaseState`, `SourceHealth`,
`ErrorEntry`). Every function takes the session first and `account=` (default "default");
rows of one account are invisible to another. Two clocks: `now`/`at` arguments are the domain
clock (what is due, which may be frozen by FOLLOWTHROUGH_NOW); leases, claims and holds use
the wall clock (`wall_now=`, default the real time), so they expire even under a frozen clock.

Modules:

- `ledger`: the effects ledger. `with effect(db, key, kind) as attempt:` holds the key around
  one call (raises `RetryLater` while another worker holds it); step by step:
  `begin_effect(s, key, kind) -> EffectState` with `action` run | reconcile | wait | skip,
  `finish_effect(s, key, external_id=...)`,
  `fail_effect(s, key, error, outcome_unknown=..., attempt=state.attempts)`,
  `get_effect(s, key)`.
- `due`: due work. `schedule(s, kind, key, due_at, payload=...)` (idempotent, re-times until
  done), `claim_due(s, now, limit=..., account=None) -> list[DueItem]` (each item to exactly
  one claimer; re-offered after `claim_for` if the claimer dies), `mark_done`, `release`
  (failed: offer again, optionally from `retry_at`), `cancel`, `reopen`, `get_due`, `pending`,
  `next_due_at`, `purge_done`.
- `cursors`: `get_cursor(s, source)`, `set_cursor(s, source, value)` (in the same transaction
  as what it covers), `clear_cursor` (forces a resync); `cursors_named` and
  `clear_cursors_named` (every account's).
- `lease`: `acquire_lease(s, name, holder, ttl) -> bool` (also renews), `release_lease`,
  `current_lease`. The scheduler holds "scheduler" on SQLite (on PostgreSQL an advisory
  lock, workflows.leadership); the syncs hold one per source.
- `people`: `find_person(s, email)` by any folded address, `find_person_by_emails`,
  `person_by_airtable_id`, `person_by_google_resource`, `save_person(s, PersonView)` (upsert
  from sources: Airtable wins, Google fills gaps), `forget_airtable_record`,
  `forget_google_contact`, `people_due_for_update(s, today)`, `person_view(person)`.
- `meetings`: `save_event(s, CalendarEvent)`, `get_event`, `invited_emails`, `event_from_json`,
  `upsert_meeting(s, event_id=, original_start=, ...)` (re-times while scheduled),
  `get_meeting`, `meetings_for_event`, `meeting_by_airtable_id`, `complete_meeting`,
  `cancel_meeting`, `scheduled_meetings` (waiting for effects).
- `followups`: `add_followup(s, key=, kind=, ...) -> (Followup, created)`, `get_followup`,
  `followup_by_airtable_id`, `set_status`, `has_open_followup`, `count_due_between` (the per-day
  reminder cap), `open_followups`, `followups_for_meeting`.
- `status`: `record_success(s, source, records=)`, `record_failure(s, source, error)` (in its
  own transaction), `log_error`, `source_health(s) -> list[SourceHealth]`, `recent_errors`.
- `webhooks`: `save_channel`, `find_channel(s, provider, channel_id, account=...)`,
  `channels`, `expiring_channels`, `delete_channel`, `accounts_notified_by` (whose pushes are live).
- `models`: the tables; statuses and kinds are lowercase codes (`MEETING_STATUSES`,
  `FOLLOWUP_KINDS`, `FOLLOWUP_STATUSES`, `EFFECT_STATUSES`, `CHANNEL_PROVIDERS`).

A unique-key race the API does not absorb (two syncs creating the same person at once)
surfaces as `sqlalchemy.exc.IntegrityError`; retry the message, and the second run finds
the row.
"""
