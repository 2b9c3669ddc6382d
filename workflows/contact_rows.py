"""Contacts rows in Airtable: a known row updated by its id, a new one created exactly once.

Airtable will not merge an upsert on an `email` field, so a contact's row is created, and a
create is an effect in the ledger, keyed on the address and the row it replaces
(`airtable.contact:<folded email>:<last known record id, or "new">`): claimed before the
request (one transaction for a batch) and finished with the record id after it. A create
whose outcome is unknown (its response lost, or the process gone before it was recorded)
is looked for by Email before anything is created again; one already applied is not
repeated, its row is updated by id. A known row Airtable no longer has (the user deleted
it) is looked for by Email, then created under a key naming the deleted row, so a second
deletion makes a second key. The normal path costs one request a batch of ten: a PATCH for
known rows, a POST for new ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import structlog

from connectors.airtable.contact_writes import (
    address_key,
    create_contacts,
    find_contacts,
    update_contacts,
)
from connectors.airtable.writes import BATCH_SIZE, ContactWrite
from connectors.errors import FollowthroughError, RetryLater, SkipRecord
from connectors.records import Skipped
from workflows.rules.emails import fold_email
from workflows.runtime import Runtime
from workflows.store import ledger

log = structlog.get_logger(__name__)

KIND = "airtable.contact"
"""The ledger kind of a Contacts row created by Followthrough."""


@dataclass(frozen=True)
class ContactRow:
    """A contact's row to write, and the record id it was last known by (even if deleted)."""

    write: ContactWrite
    known_id: str | None = None


@dataclass(frozen=True)
class ContactsWritten:
    """Record ids by Email; which rows were created, refused, or must wait for another try."""

    record_ids: Mapping[str, str]
    created: frozenset[str] = frozenset()
    skipped: tuple[Skipped, ...] = ()
    errors: Mapping[str, FollowthroughError] = field(default_factory=dict)


def create_key(row: ContactRow) -> str:
    """The ledger key of creating this row: its address and the row it replaces."""
    return f"{KIND}:{fold_email(row.write.email)}:{row.known_id or 'new'}"


def write_contacts(runtime: Runtime, rows: Sequence[ContactRow]) -> ContactsWritten:
    """Write each contact's row once (the last row wins when an Email repeats), in batches.

    Errors of a request are raised (after the ledger recorded them); a row another worker
    is creating comes back in `errors`, to be tried again later.
    """
    writer = ContactWriter(runtime)
    for batch in contact_batches(rows):
        writer.write(batch)
    return writer.written()


def contact_batches(rows: Sequence[ContactRow]) -> list[Sequence[ContactRow]]:
    """Each contact's row once (the last wins when an Email repeats), known rows and new rows
    apart (a PATCH and a POST), ten a batch, in the rows' order."""
    unique = list({row.write.email: row for row in rows}.values())
    order = {row.write.email: index for index, row in enumerate(unique)}
    known = [row for row in unique if row.write.record_id]
    new = [row for row in unique if not row.write.record_id]
    chunks = [
        group[start : start + BATCH_SIZE]
        for group in (known, new)
        for start in range(0, len(group), BATCH_SIZE)
    ]
    return sorted(chunks, key=lambda chunk: order[chunk[0].write.email])


def _outcome_unknown(error: Exception) -> bool:
    """Whether a failed create may have been applied: only a refusal says it was not."""
    return isinstance(error, RetryLater) or not isinstance(error, FollowthroughError)


class ContactWriter:
    """Writes batches of contact rows (from `contact_batches`), collecting what each did."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.client = runtime.need_airtable()
        self.rows = 0
        self.ids: dict[str, str] = {}
        self.created: set[str] = set()
        self.skipped: list[Skipped] = []
        self.errors: dict[str, FollowthroughError] = {}

    def write(self, batch: Sequence[ContactRow]) -> dict[str, str]:
        """Write a batch; returns the record ids by Email of its rows now in Airtable."""
        self.rows += len(batch)
        self._write(batch)
        emails = (row.write.email for row in batch)
        return {email: self.ids[email] for email in emails if email in self.ids}

    def written(self) -> ContactsWritten:
        """What every batch written did."""
        log.info(
            "airtable.contacts.written",
            rows=self.rows,
            created=len(self.created),
            skipped=len(self.skipped),
            waiting=len(self.errors),
        )
        return ContactsWritten(
            record_ids=self.ids,
            created=frozenset(self.created),
            skipped=tuple(self.skipped),
            errors=self.errors,
        )

    def _write(self, batch: Sequence[ContactRow]) -> None:
        """Write a batch of known rows, or of new ones (those created already become known)."""
        known = [row for row in batch if row.write.record_id]
        new = [row for row in batch if not row.write.record_id]
        if new:
            known += self._create(new)
        if known:
            self._update(known)

    def _update(self, rows: Sequence[ContactRow]) -> None:
        written = update_contacts(self.client, [row.write for row in rows])
        self.ids.update(written.record_ids)
        refused = [row for row in rows if row.write.email in written.refused]
        if refused:
            self._recover(refused, written.refused)

    def _recover(self, rows: Sequence[ContactRow], reasons: Mapping[str, str]) -> None:
        """Rows whose update was refused: found by Email, updated there; absent, created."""
        found = find_contacts(self.client, [row.write.email for row in rows])
        moved: list[ContactRow] = []
        gone: list[ContactRow] = []
        for row in rows:
            record_id = found.get(address_key(row.write.email))
            if record_id == row.write.record_id:  # the row is there: its values were refused
                self._skip(row, reasons[row.write.email])
            elif record_id is not None:
                moved.append(replace(row, write=replace(row.write, record_id=record_id)))
            else:
                log.info("airtable.contact.recreated", deleted=row.write.record_id)
                gone.append(ContactRow(replace(row.write, record_id=None), row.write.record_id))
        if moved:
            self._update(moved)
        known = self._create(gone) if gone else []
        if known:
            self._update(known)

    def _create(self, rows: Sequence[ContactRow]) -> list[ContactRow]:
        """Create the rows the ledger lets through; returns those it says exist already."""
        states = self._claim(rows)
        adopted: list[ContactRow] = []
        claimed: list[ContactRow] = []
        for row in rows:
            state = states[row.write.email]
            if state.action == "skip" and state.external_id:
                adopted.append(
                    ContactRow(replace(row.write, record_id=state.external_id), state.external_id)
                )
            elif state.action == "wait":
                self.errors[row.write.email] = RetryLater(
                    f"the Airtable row of {row.write.email} is being created by another "
                    "worker; try again shortly"
                )
            else:
                claimed.append(row)
        if claimed:
            self._create_claimed(claimed, states)
        return adopted

    def _claim(self, rows: Sequence[ContactRow]) -> dict[str, ledger.EffectState]:
        with self.runtime.db.transaction() as session:
            return {
                row.write.email: ledger.begin_effect(
                    session,
                    create_key(row),
                    KIND,
                    account=self.runtime.account,
                    hold=self.runtime.config.effect_hold,
                )
                for row in rows
            }

    def _create_claimed(
        self, rows: Sequence[ContactRow], states: Mapping[str, ledger.EffectState]
    ) -> None:
        unknown = {row.write.email for row in rows if states[row.write.email].action != "run"}
        try:
            written = create_contacts(self.client, [row.write for row in rows], look_up=unknown)
        except SkipRecord as exc:  # Airtable refused the batch: nothing was created
            self._release(rows, states, exc, unknown)
            if len(rows) == 1:
                self._skip(rows[0], str(exc))
                return
            for row in rows:
                self._write([row])
            return
        except Exception as exc:
            self._release(rows, states, exc, unknown)
            raise
        with self.runtime.db.transaction() as session:
            for row in rows:
                ledger.finish_effect(
                    session,
                    create_key(row),
                    external_id=written.record_ids[row.write.email],
                    account=self.runtime.account,
                )
        self.ids.update(written.record_ids)
        self.created.update(written.created)

    def _release(
        self,
        rows: Sequence[ContactRow],
        states: Mapping[str, ledger.EffectState],
        error: Exception,
        unknown: set[str],
    ) -> None:
        """Record the failed attempt: a row looked up (or a create that may have landed)
        stays unknown, so the next attempt looks for it before creating it."""
        with self.runtime.db.transaction() as session:
            for row in rows:
                ledger.fail_effect(
                    session,
                    create_key(row),
                    str(error) or type(error).__name__,
                    outcome_unknown=row.write.email in unknown or _outcome_unknown(error),
                    attempt=states[row.write.email].attempts,
                    account=self.runtime.account,
                )

    def _skip(self, row: ContactRow, reason: str) -> None:
        email = row.write.email
        self.skipped.append(Skipped(source="airtable.Contacts", record_id=email, reason=reason))
        log.warning("airtable.contact.skipped", email=email, reason=reason)
